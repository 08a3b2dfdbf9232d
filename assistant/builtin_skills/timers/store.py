"""The timers kept in the skill's state folder, so a restart neither loses nor moves them.

The file is also how timers pass between processes: a one-shot command (`assistant ask`)
changes it and the service running on the same folder finds the change and rings what it
holds. Every change is a read-modify-write under a lock on the folder, so neither process
writes over what the other has just written.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .timer import Timer

STATE_FILE = "timers.json"
LOCK_FILE = ".timers.lock"


class _Stored(BaseModel):
    version: int = 1
    timers: list[Timer]


class TimerStore:
    def __init__(self, folder: Path, log: logging.Logger) -> None:
        self.path = folder / STATE_FILE
        self._lock_path = folder / LOCK_FILE
        self._log = log
        self._seen: tuple[int, int, int] | None = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock: only for what involves no wait (another process waits for
        it, and this one's event loop does not run while it does)."""
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def changed(self) -> bool:
        """Whether the file is not as this process last read or wrote it: a cheap look (one
        stat) that a watcher can take every second."""
        return self._signature() != self._seen

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        # Every save is a new file renamed in place, so the inode alone tells a new version; the
        # time and size are for file systems that reuse an inode at once.
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def load(self) -> list[Timer]:
        """The timers saved last; none when there are none or the file is unreadable."""
        self._seen = self._signature()
        try:
            return _Stored.model_validate_json(self.path.read_bytes()).timers
        except FileNotFoundError:
            return []
        except (OSError, ValidationError) as error:
            # A broken file must not take the skill down: start empty, keep the file for a look.
            kept = self.path.with_suffix(".corrupt")
            self._log.warning(
                "timers: %s is unreadable (%s); starting with no timers, kept it as %s",
                self.path, type(error).__name__, kept.name,
            )  # fmt: skip
            with contextlib.suppress(OSError):
                self.path.replace(kept)
            return []

    def save(self, timers: list[Timer]) -> None:
        # Temp file + fsync + rename: a power cut leaves the old list or the new one, never half.
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as handle:
                handle.write(_Stored(timers=timers).model_dump_json().encode())
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(self.path)
            self._seen = self._signature()
        except OSError as error:  # the timers still ring; they just won't survive a restart
            self._log.error("timers: cannot save %s: %s", self.path, error)
