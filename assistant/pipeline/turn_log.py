"""One log line per turn, and one per stage with `-v`: what `assistant run` shows.

At info, when a turn ends: its intent and where it came from, each action with its outcome, and
the total time. The transcript and the reply are words people said or heard: they are in that
line only when `with_words` is on (the journal is on disk, and nothing said reaches disk unless
the user asks). At debug, each stage as it happens, with its own time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from assistant.pipeline.events import (
    ActionsTaken,
    Event,
    IntentMatched,
    SpeakingStarted,
    SpeechEnded,
    Transcript,
    TurnFailed,
    TurnFinished,
    WakeDetected,
)

log = logging.getLogger("assistant.turn")


@dataclass
class _Turn:
    transcript: str = ""
    intent: str = "nothing understood"
    actions: list[str] = field(default_factory=list)
    failure: str | None = None


class TurnLog:
    """A subscriber for the turn engine's bus (`EventBus.subscribe`)."""

    def __init__(self, *, with_words: bool = False) -> None:
        self.with_words = with_words
        self._turns: dict[str, _Turn] = {}

    def __call__(self, event: Event) -> None:
        turn = self._turns.setdefault(event.turn_id, _Turn())
        if isinstance(event, WakeDetected):
            log.debug("%s: wake word %s (score %.2f)", event.turn_id, event.model, event.score)
        elif isinstance(event, SpeechEnded):
            waited_ms = (event.endpoint_seconds - event.speech_end_seconds) * 1000
            log.debug("%s: end of speech (%s) %.0f ms after the last word", event.turn_id,
                      event.reason, waited_ms)  # fmt: skip
        elif isinstance(event, Transcript):
            turn.transcript = event.text
            log.debug("%s: transcribed in %.0f ms%s", event.turn_id, event.elapsed_ms,
                      f": {event.text!r}" if self.with_words else "")  # fmt: skip
        elif isinstance(event, IntentMatched):
            if event.intent is not None:
                call = event.intent.call
                slots = ", ".join(f"{key}={value}" for key, value in call.arguments.items())
                turn.intent = f"{call.tool}({slots}) by {event.intent.source}"
            log.debug("%s: understood in %.0f ms: %s", event.turn_id, event.elapsed_ms,
                      turn.intent)  # fmt: skip
        elif isinstance(event, ActionsTaken):
            turn.actions = [f"{a.entity_id} {a.service} {a.status}" for a in event.actions]
            log.debug("%s: acted in %.0f ms", event.turn_id, event.elapsed_ms)
        elif isinstance(event, SpeakingStarted):
            log.debug("%s: first reply audio after %.0f ms", event.turn_id, event.first_audio_ms)
        elif isinstance(event, TurnFailed):
            turn.failure = event.code
        elif isinstance(event, TurnFinished):
            self._finished(event, self._turns.pop(event.turn_id))

    def _finished(self, event: TurnFinished, turn: _Turn) -> None:
        parts = [turn.intent]
        if self.with_words and turn.transcript:
            parts.insert(0, repr(turn.transcript))
        parts += turn.actions or ["no action"]
        if turn.failure:
            parts.append(f"failed: {turn.failure}")
        if self.with_words and event.response:
            parts.append(f"replied {event.response!r}")
        log.info("%s: %s; %.0f ms", event.turn_id, "; ".join(parts), event.total_ms)
