"""A turn under way, and its result: what was heard, understood, done and said, and how long
it took.

Typed values all the way to the edge; `assistant.pipeline.contract` makes the command line's
JSON from them, in one place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from assistant.devices.commands import CommandOutcome
from assistant.errors import AssistantError
from assistant.pipeline.events import EventBus, SpeakingStarted
from assistant.skills.request import Place
from assistant.understanding.result import Intent

# Place is the skills' (they see it too); turns are made with it from here.
__all__ = ["AudioSpan", "Place", "StageTimings", "Turn", "TurnResult", "WakeReport", "new_turn_id"]


@dataclass(frozen=True)
class WakeReport:
    detected: bool
    model: str | None = None
    score: float | None = None
    """The detection's score, or the best score heard when none fired."""
    audio_seconds: float | None = None
    """Where in the input the wake word was recognised."""
    skipped: bool = False
    """The input was taken to have no wake word (`--no-wake`)."""


@dataclass
class AudioSpan:
    """Where in the input audio the command was, in seconds from its start."""

    duration_seconds: float
    speech_start_seconds: float | None = None
    speech_end_seconds: float | None = None
    endpoint_seconds: float | None = None
    """When the end of speech was decided: the speech's end plus the trailing silence, or
    the short pause at which the command was committed early."""
    end_reason: str | None = None
    """Why capture ended (`CapturedSpeech.reason`): "early" for an early commit."""
    cut_off: bool = False
    """Committed early while the speaker had more to say (the rest of the file shows it)."""


@dataclass
class StageTimings:
    """Processing time per stage, in milliseconds; None for a stage that did not run (typed
    text is not transcribed), never a 0.0 that reads as "took no time"."""

    wake_ms: float | None = None
    endpoint_ms: float | None = None
    stt_ms: float | None = None
    understand_ms: float | None = None
    act_ms: float | None = None
    tts_first_audio_ms: float | None = None
    total_ms: float = 0.0


@dataclass
class TurnResult:
    input: str
    """The file name or the typed text."""
    from_audio: bool
    wake: WakeReport | None = None
    transcript: str | None = None
    intent: Intent | None = None
    actions: tuple[CommandOutcome, ...] = ()
    response: str | None = None
    error: AssistantError | None = None
    timings: StageTimings = field(default_factory=StageTimings)
    audio: AudioSpan | None = None
    reply_wav: Path | None = None
    expects_answer: bool = False
    """The response asks a question: listen for the answer without a wake word."""
    place: Place | None = None
    """Where it was heard (`Place`, defined with the skills' API, which sees it too); None for
    typed text and files, which come from no room."""

    @property
    def confirmed(self) -> bool:
        """Something was done, and every device confirmed it."""
        return bool(self.actions) and all(action.confirmed for action in self.actions)


def new_turn_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class Turn:
    """A turn under way: its id, its result so far, and the bus its events go to."""

    id: str
    result: TurnResult
    bus: EventBus
    started: float
    """time.perf_counter() when the turn began."""
    follow_up: bool = False
    """An answer listened for without a wake word: silence then ends it quietly."""
    speech_ended_monotonic: float | None = None
    """time.monotonic() when the person stopped speaking, as the audio source delivered it."""

    @property
    def place(self) -> Place | None:
        """Where it was heard (kept in the result, which the command line's JSON shows)."""
        return self.result.place

    def speaking_started(self, text: str, first_audio_ms: float) -> None:
        """The reply's first sentence is ready (and, live, queued on the speaker)."""
        self.result.timings.tts_first_audio_ms = first_audio_ms
        self.bus.publish(SpeakingStarted(self.id, text, first_audio_ms))
