"""The speech-to-text role: one utterance's audio in, its words out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from assistant.audio.format import Audio
from assistant.config import SttSettings


@dataclass(frozen=True)
class Vocabulary:
    """Words this home uses (device and area names, skill terms) to bias transcription toward."""

    phrases: tuple[str, ...] = ()

    def merged_with(self, settings: SttSettings) -> tuple[str, str]:
        """The (initial prompt, hotwords) pair passed to Whisper."""
        words = [*settings.hotwords, *self.phrases]
        hotwords = ", ".join(dict.fromkeys(word for word in words if word.strip()))
        return settings.initial_prompt, hotwords


NO_VOCABULARY = Vocabulary()


@dataclass(frozen=True)
class Transcription:
    text: str
    no_speech_probability: float
    average_log_probability: float
    segments: tuple[str, ...] = field(default=())


class SpeechToText(Protocol):
    def transcribe(self, audio: Audio, vocabulary: Vocabulary = NO_VOCABULARY) -> Transcription:
        """Transcribe 16 kHz mono audio of one utterance, biased toward `vocabulary`."""
