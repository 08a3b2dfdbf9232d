"""Whether the assistant service is running on a state folder: a lock it holds while it runs.

`assistant run` holds an exclusive lock on `<state_dir>/service.lock`, with its pid in the
file, for as long as it runs; the kernel releases the lock when the process ends, however it
ends, so a crash leaves no stale claim behind. One-shot commands (`ask`, `once`) sharing the
folder look at it to know whether what they hand over (a timer) will be kept, and a second
`run` on the same folder is refused: two would ring every timer twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from assistant.errors import AssistantError
from assistant.private import private_folder

LOCK_FILE = "service.lock"
# A one-shot command looking holds a shared lock for microseconds; a service starting at that
# moment tries again rather than take the look for another service.
_ACQUIRE_SECONDS = 1.0


class ServiceLock:
    """`with ServiceLock(state_dir):` this process is the service on that folder."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> ServiceLock:
        private_folder(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + _ACQUIRE_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.02)
                    continue
                os.close(fd)
                raise AssistantError(
                    f"another assistant is already running on this state folder (pid "
                    f"{_pid(self.path)}): {self.path.parent}; stop it first, or give this one "
                    "another [storage] state_dir"
                ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock; the file stays (removing it would race)
            self._fd = None


def running_service(state_dir: Path) -> int | None:
    """The pid of the service running on `state_dir` (0 in the instant before it has written
    it), or None when none is."""
    try:
        fd = os.open(state_dir / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _pid(state_dir / LOCK_FILE)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _pid(path: Path) -> int:
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text() or 0)
    return 0
