"""A private Mosquitto on a loopback port, for the demo and the tests.

It listens on 127.0.0.1 only and keeps nothing on disk; it exists only while its owner runs,
even when the owner is killed (SIGKILL after systemd's stop timeout, a crash, or a prompt exit
that skips all cleanup): the kernel kills it with its owner.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from assistant.errors import AssistantError


class BrokerError(AssistantError):
    code = "broker-unavailable"


def find_mosquitto() -> str:
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/sbin")
    if not found:
        raise BrokerError(
            "mosquitto is not installed; run ./bootstrap.sh (or apt-get install mosquitto)"
        )
    return found


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def dies_with_this_thread() -> Callable[[], None]:
    """A `preexec_fn` that has the child killed when the thread starting it ends, which the
    process's end always is. Linux ties this to the thread, not the process: start such a
    child from a thread that lives as long as it should (the main thread).

    Between fork and exec the child runs only the prctl call, looked up here in the parent, and
    getppid: nothing that takes a lock another thread of the parent may have held at the fork,
    which is what makes a `preexec_fn` unsafe in a process with threads."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent was gone before that took effect
            os._exit(1)

    return set_parent_death_signal


class PrivateBroker:
    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_loopback_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_seconds: float = 5.0) -> None:
        # The configuration is read at start, so its folder goes once Mosquitto listens: an
        # owner that is killed leaves nothing in /tmp.
        with tempfile.TemporaryDirectory(prefix="assistant-mosquitto-") as folder:
            config = Path(folder) / "mosquitto.conf"
            config.write_text(
                f"listener {self.port} {self.host}\n"
                "allow_anonymous true\n"
                "persistence false\n"
                "set_tcp_nodelay true\n"
                "log_dest stderr\n"
                "log_type error\n"
                "log_type warning\n"
                # As root, Mosquitto would switch to its own user, and a change of user clears
                # the parent death signal: it stays who started it.
                f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
            )
            self._process = subprocess.Popen(
                [find_mosquitto(), "-c", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                preexec_fn=dies_with_this_thread(),  # noqa: PLW1509 (it takes no lock: see there)
            )
            self._wait_listening(self._process, timeout_seconds)

    def _wait_listening(self, process: subprocess.Popen[bytes], timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                error = (process.stderr.read() if process.stderr else b"").decode()
                raise BrokerError(f"mosquitto exited at start: {error.strip()[-300:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerError(
            f"mosquitto did not listen on {self.host}:{self.port} within {timeout_seconds} s"
        )

    def stop(self) -> None:
        """Stop the broker abruptly, as a crash or a pulled cable would look to its clients."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=5)
        self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> PrivateBroker:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
