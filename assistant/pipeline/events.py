"""Typed events on one bus.

Stages publish what happened; logs, the demo's narration, metrics and (later) LEDs subscribe,
instead of being called from the stages. Subscribers run synchronously in publish order and
must be quick; one that raises is logged and does not break the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.devices.commands import CommandOutcome
from assistant.understanding.result import Intent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    turn_id: str


@dataclass(frozen=True)
class TurnStarted(Event):
    source: str
    """File name, typed text or device the turn came from."""


@dataclass(frozen=True)
class WakeDetected(Event):
    model: str
    score: float
    audio_seconds: float
    """Position in the input audio where the wake word was recognised."""
    elapsed_ms: float


@dataclass(frozen=True)
class WakeNotDetected(Event):
    best_score: float
    elapsed_ms: float


@dataclass(frozen=True)
class SpeechStarted(Event):
    audio_seconds: float


@dataclass(frozen=True)
class SpeechEnded(Event):
    speech_start_seconds: float
    speech_end_seconds: float
    endpoint_seconds: float
    """Where in the input audio the end of speech was decided (after the trailing silence)."""
    reason: str
    elapsed_ms: float


@dataclass(frozen=True)
class Transcript(Event):
    text: str
    elapsed_ms: float


@dataclass(frozen=True)
class IntentMatched(Event):
    intent: Intent | None
    """None when nothing was understood."""
    elapsed_ms: float


@dataclass(frozen=True)
class ActionsTaken(Event):
    actions: tuple[CommandOutcome, ...]
    """Every device command of the turn, with its outcome."""
    elapsed_ms: float


@dataclass(frozen=True)
class SpeakingStarted(Event):
    text: str
    first_audio_ms: float


@dataclass(frozen=True)
class TurnFailed(Event):
    code: str
    message: str


@dataclass(frozen=True)
class TurnFinished(Event):
    response: str | None
    total_ms: float


Subscriber = Callable[[Event], None]


@dataclass
class EventBus:
    _subscribers: list[Subscriber] = field(default_factory=list)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # a broken observer must never break a turn
                log.exception("event subscriber %r failed on %s", subscriber, type(event).__name__)
