"""The wake word role: frames in, a detection when someone said one of the wake words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assistant.audio.format import Audio


@dataclass(frozen=True)
class WakeDetection:
    model: str
    """The wake word's model id: "hey_jarvis"."""
    score: float
    audio_seconds: float
    """Position in the stream since the last reset (end of the frame that fired)."""


class WakeWordDetector(Protocol):
    @property
    def models(self) -> list[str]:
        """The wake words listened for, by model id."""

    @property
    def best_scores(self) -> dict[str, float]:
        """The highest score of each wake word since the last reset."""

    def process(self, frame: Audio) -> WakeDetection | None:
        """Score one 80 ms frame; the strongest wake word that fired, if any."""

    def reset(self) -> None:
        """Forget audio and scores, e.g. between files or after the assistant spoke."""
