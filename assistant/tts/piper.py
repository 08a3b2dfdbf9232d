"""Text to speech with Piper, one audio chunk per sentence, at the configured output rate.

The same replies come back every day ("Turned on the Kitchen ceiling light."), so the last
minute or so of synthesized speech is kept in memory by its text and played again at once:
the reply's first sample no longer waits for synthesis (about 140 ms on two cores).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

from assistant.audio.resample import resample
from assistant.config import TtsSettings
from assistant.errors import ModelError, ModelLoadError, TtsError, library_missing
from assistant.modelstore.store import ModelStore
from assistant.tts.protocol import SpeechChunk

log = logging.getLogger(__name__)

_KEPT_SECONDS = 90.0
"""How much synthesized speech is kept for replies said again (about 8 MB at 22 kHz)."""


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
        except ModuleNotFoundError as error:
            raise library_missing(error, "piper-tts") from None
        except Exception as error:
            raise ModelLoadError(f"Piper could not load {path}: {error}") from error
        self._config = SynthesisConfig(length_scale=settings.length_scale)
        self.native_sample_rate_hz = int(self._voice.config.sample_rate)
        self.output_sample_rate_hz = settings.output_sample_rate_hz
        self._kept: OrderedDict[tuple[str, int], tuple[SpeechChunk, ...]] = OrderedDict()
        self._kept_seconds = 0.0

    def synthesize(self, text: str, *, sample_rate_hz: int | None = None) -> Iterator[SpeechChunk]:
        """Yield one chunk per sentence, so playback can start after the first one."""
        rate = sample_rate_hz or self.output_sample_rate_hz
        if not text.strip():
            return
        key = (text, rate)
        if key in self._kept:
            self._kept.move_to_end(key)
            yield from self._kept[key]
            return
        made: list[SpeechChunk] = []
        try:
            for chunk in self._voice.synthesize(text, syn_config=self._config):
                audio = resample(chunk.audio_float_array, chunk.sample_rate, rate)
                audio.setflags(write=False)  # kept and played again: nobody may change it
                made.append(SpeechChunk(audio, rate))
                yield made[-1]
        except Exception as error:
            raise TtsError(f"speech synthesis failed for {text[:40]!r}: {error}") from error
        self._keep(key, tuple(made))

    def _keep(self, key: tuple[str, int], chunks: tuple[SpeechChunk, ...]) -> None:
        """Remember a whole reply, forgetting the least recently said beyond `_KEPT_SECONDS`."""
        seconds = sum(chunk.duration_seconds for chunk in chunks)
        if seconds > _KEPT_SECONDS / 4:
            return  # a long announcement is not worth the memory
        self._kept[key] = chunks
        self._kept_seconds += seconds
        while self._kept_seconds > _KEPT_SECONDS:
            _, dropped = self._kept.popitem(last=False)
            self._kept_seconds -= sum(c.duration_seconds for c in dropped)

    def speak_all(self, text: str, *, sample_rate_hz: int | None = None) -> SpeechChunk:
        """The whole reply as one chunk (tests and file output)."""
        rate = sample_rate_hz or self.output_sample_rate_hz
        chunks = [chunk.audio for chunk in self.synthesize(text, sample_rate_hz=rate)]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return SpeechChunk(audio.astype(np.float32), rate)
