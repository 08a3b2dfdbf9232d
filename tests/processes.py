"""Commands run as processes, watched as systemd or a script would watch them: their output line
by line, systemd's notification socket, and the processes they leave behind."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO


def until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition` held within `seconds` (looked at every 20 ms)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Lines:
    """The lines of a process's stream, read on a thread of their own as they come."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self.first = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))
            self.first.set()

    def matching(self, pattern: str) -> list[str]:
        return [line for line in list(self.lines) if re.search(pattern, line)]

    def wait_for(self, pattern: str, seconds: float) -> str:
        """The first line matching `pattern`; fails after `seconds` showing what came."""
        if not until(lambda: bool(self.matching(pattern)), seconds):
            raise AssertionError(f"no line like {pattern!r} in {seconds:.0f} s: {self.lines}")
        return self.matching(pattern)[0]


@contextlib.contextmanager
def notify_socket(folder: Path) -> Iterator[tuple[str, list[str], threading.Event]]:
    """What systemd listens on for `Type=notify`: (its path for $NOTIFY_SOCKET, the fields
    received so far, an event set at READY=1)."""
    path, fields, ready = str(folder / f"notify-{uuid.uuid4().hex[:8]}.sock"), [], threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        server.settimeout(0.2)
        done = threading.Event()

        def receive() -> None:
            while not done.is_set():
                with contextlib.suppress(TimeoutError):
                    fields.extend(server.recv(4096).decode().split("\n"))
                    if "READY=1" in fields:
                        ready.set()

        thread = threading.Thread(target=receive, daemon=True)
        thread.start()
        try:
            yield path, fields, ready
        finally:
            done.set()
            thread.join()


def session_members(session: int) -> list[str]:
    """Live processes of `session` ("pid name"): what a command started in a session of its own
    (start_new_session) left behind."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                stat = (entry / "stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                state, _parent, _group, sid = stat[stat.rindex(")") + 2 :].split()[:4]
                if int(sid) == session and state not in ("Z", "X"):
                    found.append(f"{entry.name} {name}")
    return found
