"""A problem that lasts while something is retried, logged as a person reading the journal
needs it: when it starts, then at most once a minute with the number of tries, and when it
ends. A board booted without its microphone retries every 2 s; one line per try was 43,000
journal lines a day."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

_EVERY_SECONDS = 60.0


class RepeatedProblem:
    def __init__(
        self, log: logging.Logger, what: str, *, every_seconds: float = _EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.log, self.what = log, what
        self.every_seconds = every_seconds
        self.clock = clock
        self.tries = 0
        self._logged_at = 0.0

    def failed(self, reason: str) -> None:
        """One more try failed, for this reason."""
        self.tries += 1
        now = self.clock()
        if self.tries == 1:
            self.log.error("%s: %s; trying again", self.what, reason)
        elif now - self._logged_at >= self.every_seconds:
            self.log.warning("%s: still %s (%d tries so far)", self.what, reason, self.tries)
        else:
            return
        self._logged_at = now

    def ended(self) -> None:
        """The last try worked."""
        if self.tries:
            self.log.warning("%s: working again after %d tries", self.what, self.tries)
        self.tries = 0
