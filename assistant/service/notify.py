"""A dependency-free sd_notify client: readiness, status and watchdog pings for systemd.

Why not python-systemd or sdnotify: the protocol is one datagram of `KEY=VALUE` lines on the
AF_UNIX socket named by `$NOTIFY_SOCKET`, and a C extension (libsystemd) or another package
is more to build on a Pi than these lines. Outside systemd (no `$NOTIFY_SOCKET`) every call is
a no-op that returns False, so the live loop calls these unconditionally.

The unit is `Type=notify` with `WatchdogSec=`: systemd starts counting only after `ready()`,
so slow model loading is covered by `TimeoutStartSec=`, not by the watchdog. After that the
loop must call `watchdog_ping()` at half of `watchdog_interval_seconds()` (what sd_notify(3)
recommends), from the event loop itself, so that a blocked loop stops the pings and gets the
service restarted.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)

_SEND_TIMEOUT_SECONDS = 1.0


def _socket_address() -> str | None:
    """`$NOTIFY_SOCKET` as an AF_UNIX address: a path, or `@name` for the abstract namespace."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        return "\0" + address[1:]
    if address.startswith("/"):
        return address
    if address:
        # systemd also knows vsock: addresses (VMs); nothing here runs in one.
        log.debug("ignoring NOTIFY_SOCKET=%r: not an AF_UNIX address", address)
    return None


def notify(*fields: str) -> bool:
    """Send `KEY=VALUE` fields in one datagram; True when it was sent, False outside systemd.

    A failed send is logged and returns False rather than raising: losing one status message
    must not take the assistant down (a lost watchdog ping is what the watchdog is for).
    """
    for field in fields:
        if "=" not in field or "\n" in field:
            raise ValueError(f"not a single KEY=VALUE notification field: {field!r}")
    address = _socket_address()
    if address is None or not fields:
        return False
    message = "\n".join(fields).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(_SEND_TIMEOUT_SECONDS)
            sock.sendto(message, address)
    except OSError as error:
        log.warning("could not notify systemd (%s): %s", os.environ.get("NOTIFY_SOCKET"), error)
        return False
    return True


def _one_line(text: str) -> str:
    # A newline would start a new field: a status could otherwise forge READY=1 or WATCHDOG=1.
    return " ".join(text.split())


def ready(status: str) -> bool:
    """Start-up is complete (models loaded, listening): systemd marks the unit active."""
    return notify("READY=1", f"STATUS={_one_line(status)}")


def status(text: str) -> bool:
    """A one-line state shown by `systemctl status assistant`."""
    return notify(f"STATUS={_one_line(text)}")


def stopping() -> bool:
    """Shutdown has begun; systemd waits for the exit instead of treating it as a crash."""
    return notify("STOPPING=1", "STATUS=Stopping")


def watchdog_ping() -> bool:
    """Tell systemd the loop is alive; must come within every watchdog interval."""
    return notify("WATCHDOG=1")


def watchdog_interval_seconds() -> float | None:
    """The watchdog timeout systemd expects pings within, or None when there is none for us.

    From `$WATCHDOG_USEC`; `$WATCHDOG_PID`, when set, must be this process (a child that
    inherited the environment must not ping on its parent's behalf). Ping at half of it.
    """
    raw_usec = os.environ.get("WATCHDOG_USEC", "")
    raw_pid = os.environ.get("WATCHDOG_PID", "")
    try:
        usec = int(raw_usec)
        if raw_pid and int(raw_pid) != os.getpid():
            return None
    except ValueError:
        if raw_usec:
            log.warning("ignoring malformed WATCHDOG_USEC=%r / WATCHDOG_PID=%r", raw_usec, raw_pid)
        return None
    return usec / 1_000_000 if usec > 0 else None
