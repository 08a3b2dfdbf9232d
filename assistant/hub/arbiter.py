"""The right one answers: when several microphones hear the same wake word, one is chosen.

A round opens with the first report of a wake word. Rule `best` waits for the others for at
most `arbitration_window_seconds`, and no longer than it takes every microphone that is
listening for the wake word to report; the one that heard it best answers. Rule `first`
answers the first report at once, as Home Assistant does (its issue #157762).

"Best" is the loudest speech, with the wake score as a small correction: each satellite
measures its speech level over the same span of the audio the wake word model heard
(`assistant.live.hearing`), and a whole unit of score is worth `SCORE_DB` of level. Levels of
microphones in different rooms differ by tens of dB; a score only tips the balance between
two that heard it about as loud (0.1 of score against 1 dB).

A report that comes after the choice, within `LATE_SECONDS` of the round's first, is the same
wake word heard by a slow or busy board: it stands down too. Every decision is logged at info,
with each candidate's scores and the winner.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from assistant.live.hearing import WakeHeard

log = logging.getLogger(__name__)

SCORE_DB = 10.0
"""Speech level, in dB, that a whole unit of wake score is worth in the `best` rule."""
LATE_SECONDS = 1.0
"""A wake word said once reaches every board's model within this, however busy the board."""

Rule = Literal["best", "first"]


def merit(heard: WakeHeard) -> float:
    """How well a microphone heard the wake word, for the `best` rule (higher is better)."""
    return heard.level_dbfs + SCORE_DB * heard.score


@dataclass
class _Round:
    opened_monotonic: float
    candidates: list[WakeHeard] = field(default_factory=list)
    winner: asyncio.Future[WakeHeard] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    timer: asyncio.TimerHandle | None = None


class Arbiter:
    """`assistant.live.hearing.Floor` for the whole home."""

    def __init__(
        self, window_seconds: float, rule: Rule, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window_seconds = window_seconds
        self.rule = rule
        self.clock = clock
        self._listening: set[str] = set()
        self._round: _Round | None = None
        self.decisions: list[tuple[WakeHeard, tuple[WakeHeard, ...]]] = []
        """(winner, every candidate) of each round decided so far (the last hundred)."""

    def listening(self, satellite: str, listening: bool) -> None:
        # One that stops listening is not waited for by the next round; the round under way
        # is not decided by it: the microphone stops listening as it reports, just before.
        if listening:
            self._listening.add(satellite)
        else:
            self._listening.discard(satellite)

    async def contend(self, heard: WakeHeard) -> bool:
        now = self.clock()
        current = self._round
        if current is None or now - current.opened_monotonic > max(
            self.window_seconds, LATE_SECONDS
        ):
            current = self._open(now)
        elif current.winner.done():
            late_seconds = now - current.opened_monotonic
            log.info("wake word: %s heard it %.2f s after %s was chosen: stands down",
                     heard.describe(), late_seconds, current.winner.result().satellite)  # fmt: skip
            return False
        current.candidates.append(heard)
        if self.rule == "first" or self.window_seconds == 0:
            self._decide(current)
        else:
            self._decide_if_all_reported()
        return (await asyncio.shield(current.winner)) is heard

    def _open(self, now: float) -> _Round:
        opened = _Round(now)
        if self.rule == "best" and self.window_seconds > 0:
            loop = asyncio.get_running_loop()
            opened.timer = loop.call_later(self.window_seconds, self._decide, opened)
        self._round = opened
        return opened

    def _decide_if_all_reported(self) -> None:
        current = self._round
        if current is None or current.winner.done() or not current.candidates:
            return
        if self._listening <= {heard.satellite for heard in current.candidates}:
            self._decide(current)

    def _decide(self, current: _Round) -> None:
        if current.winner.done() or not current.candidates:
            return
        if current.timer is not None:
            current.timer.cancel()
        candidates = current.candidates
        # max() keeps the first of equals: on a tie, the one that reported first answers.
        winner = candidates[0] if self.rule == "first" else max(candidates, key=merit)
        elapsed = self.clock() - current.opened_monotonic
        log.info(
            "wake word: %s answers (rule %s, %d heard it, decided after %.2f s): %s",
            winner.satellite, self.rule, len(candidates), elapsed,
            "; ".join(heard.describe() + (" (chosen)" if heard is winner else "")
                      for heard in candidates),
        )  # fmt: skip
        self.decisions = [*self.decisions[-99:], (winner, tuple(candidates))]
        current.winner.set_result(winner)
