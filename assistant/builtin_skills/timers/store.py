"""The timers kept in the skill's state folder, so a restart neither loses nor moves them."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .timer import Timer

STATE_FILE = "timers.json"


class _Stored(BaseModel):
    version: int = 1
    timers: list[Timer]


class TimerStore:
    def __init__(self, folder: Path, log: logging.Logger) -> None:
        self.path = folder / STATE_FILE
        self._log = log

    def load(self) -> list[Timer]:
        """The timers saved last; none when there are none or the file is unreadable."""
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
        except OSError as error:  # the timers still ring; they just won't survive a restart
            self._log.error("timers: cannot save %s: %s", self.path, error)
