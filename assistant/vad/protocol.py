"""The voice activity role: how likely one short window of audio is speech."""

from __future__ import annotations

from typing import Protocol

from assistant.audio.format import Audio


class VoiceActivityDetector(Protocol):
    @property
    def window_samples(self) -> int:
        """The window length it scores, in samples at 16 kHz."""

    def probability(self, window: Audio) -> float:
        """Speech probability, 0–1, of one window of exactly `window_samples`."""

    def reset(self) -> None:
        """Forget the state carried between windows (a new utterance begins)."""
