"""The text-to-speech role: a reply in, audio out sentence by sentence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from assistant.audio.format import Audio


@dataclass(frozen=True)
class SpeechChunk:
    """Audio of one sentence, mono float32 in [-1, 1]."""

    audio: Audio
    sample_rate_hz: int

    @property
    def duration_seconds(self) -> float:
        return len(self.audio) / self.sample_rate_hz


class TextToSpeech(Protocol):
    @property
    def output_sample_rate_hz(self) -> int:
        """The rate replies are made at unless a caller asks for another."""

    def synthesize(self, text: str, *, sample_rate_hz: int | None = None) -> Iterator[SpeechChunk]:
        """One chunk per sentence, so playback can start after the first one."""

    def speak_all(self, text: str, *, sample_rate_hz: int | None = None) -> SpeechChunk:
        """The whole reply as one chunk."""
