"""Text to speech with Piper, one audio chunk per sentence, at the configured output rate."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from assistant.audio.resample import resample
from assistant.config import TtsSettings
from assistant.errors import ModelError, ModelLoadError, TtsError
from assistant.modelstore.store import ModelStore
from assistant.tts.protocol import SpeechChunk

log = logging.getLogger(__name__)


class Piper:
    """`TextToSpeech` with a Piper voice (ONNX)."""

    def __init__(self, settings: TtsSettings, store: ModelStore) -> None:
        path = store.resolve(settings.voice, setting="tts.voice")
        if path.is_dir():
            voices = sorted(path.glob("*.onnx"))
            if len(voices) != 1:
                raise ModelError(f"tts.voice: {path} must hold exactly one .onnx voice")
            path = voices[0]
        config = path.with_name(path.name + ".json")
        if not config.is_file():
            raise ModelError(f"tts.voice: {path} has no {config.name} beside it")
        try:
            from piper import PiperVoice, SynthesisConfig

            self._voice = PiperVoice.load(path, config_path=config)
        except Exception as error:
            raise ModelLoadError(f"Piper could not load {path}: {error}") from error
        self._config = SynthesisConfig(length_scale=settings.length_scale)
        self.native_sample_rate_hz = int(self._voice.config.sample_rate)
        self.output_sample_rate_hz = settings.output_sample_rate_hz

    def synthesize(self, text: str, *, sample_rate_hz: int | None = None) -> Iterator[SpeechChunk]:
        """Yield one chunk per sentence, so playback can start after the first one."""
        rate = sample_rate_hz or self.output_sample_rate_hz
        if not text.strip():
            return
        try:
            for chunk in self._voice.synthesize(text, syn_config=self._config):
                audio = resample(chunk.audio_float_array, chunk.sample_rate, rate)
                yield SpeechChunk(audio, rate)
        except Exception as error:
            raise TtsError(f"speech synthesis failed for {text[:40]!r}: {error}") from error

    def speak_all(self, text: str, *, sample_rate_hz: int | None = None) -> SpeechChunk:
        """The whole reply as one chunk (tests and file output)."""
        rate = sample_rate_hz or self.output_sample_rate_hz
        chunks = [chunk.audio for chunk in self.synthesize(text, sample_rate_hz=rate)]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return SpeechChunk(audio.astype(np.float32), rate)
