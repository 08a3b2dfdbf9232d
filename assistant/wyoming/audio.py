"""Audio in Wyoming events: a stream coming in (`audio-start`, `audio-chunk`…, `audio-stop`) as
the models hear it, and synthesized speech going out as the same three events."""

from __future__ import annotations

from typing import TypeGuard

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from assistant.audio.format import Audio, to_pcm16
from assistant.audio.pcm_stream import PcmFormat, PcmToModel
from assistant.audio.wav_header import MAX_SECONDS
from assistant.errors import AudioError
from assistant.tts.protocol import SpeechChunk

SAMPLES_PER_CHUNK = 1024
"""Outgoing audio per `audio-chunk` (46 ms at 22.05 kHz), as Wyoming's own Piper server sends:
a satellite plays the first chunk while the rest arrive."""
_PCM16_BYTES = 2


def pcm_format(event: Event) -> PcmFormat:
    """The format an `audio-start` or `audio-chunk` announces, or AudioError."""
    rate, width, channels = (event.data.get(key) for key in ("rate", "width", "channels"))
    if not (_whole(rate) and _whole(width) and _whole(channels)):
        raise AudioError(f"{event.type}: rate, width and channels must be whole numbers, "
                         f"not {rate!r}, {width!r} and {channels!r}")  # fmt: skip
    return PcmFormat(rate, width, channels)


class IncomingAudio:
    """One stream, from `audio-start` to `audio-stop`, converted as it comes. A chunk with no
    `audio-start` before it opens the stream in its own format, as Wyoming's servers allow."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pcm: PcmToModel | None = None

    @property
    def input_seconds(self) -> float:
        return self._pcm.input_seconds if self._pcm is not None else 0.0

    def start(self, event: Event) -> None:
        self._pcm = PcmToModel(pcm_format(event), name=self.name)

    def chunk(self, event: Event) -> Audio:
        """The chunk's audio at 16 kHz mono (what the resampler could complete so far)."""
        pcm = pcm_format(event)
        if self._pcm is None:
            self._pcm = PcmToModel(pcm, name=self.name)
        elif pcm != self._pcm.pcm:
            raise AudioError(f"{self.name}: an audio-chunk in {_named(pcm)} within a stream "
                             f"that started in {_named(self._pcm.pcm)}")  # fmt: skip
        audio = self._pcm.convert(event.payload or b"")
        if self._pcm.input_seconds > MAX_SECONDS:
            raise AudioError(f"{self.name}: longer than {MAX_SECONDS:.0f} s")
        return audio

    def stop(self) -> Audio:
        """The audio still held back by the resampler."""
        if self._pcm is None:  # an audio-stop with nothing before it
            return np.zeros(0, dtype=np.float32)
        return self._pcm.flush()


class OutgoingSpeech:
    """Synthesized speech as `audio-start`, `audio-chunk`s (16-bit mono) and `audio-stop`,
    with timestamps in milliseconds from the stream's start."""

    def __init__(self, rate_hz: int) -> None:
        self.rate_hz = rate_hz
        self._samples = 0

    @property
    def _timestamp_ms(self) -> int:
        return self._samples * 1000 // self.rate_hz

    def start(self) -> Event:
        return AudioStart(self.rate_hz, _PCM16_BYTES, 1, timestamp=self._timestamp_ms).event()

    def chunks(self, speech: SpeechChunk) -> list[Event]:
        if speech.sample_rate_hz != self.rate_hz:
            raise AudioError(f"speech at {speech.sample_rate_hz} Hz in a stream at {self.rate_hz}")
        pcm = to_pcm16(speech.audio).astype("<i2", copy=False)
        events = []
        for start in range(0, len(pcm), SAMPLES_PER_CHUNK):
            part = pcm[start : start + SAMPLES_PER_CHUNK]
            chunk = AudioChunk(self.rate_hz, _PCM16_BYTES, 1, part.tobytes(),
                               timestamp=self._timestamp_ms)  # fmt: skip
            events.append(chunk.event())
            self._samples += len(part)
        return events

    def stop(self) -> Event:
        return AudioStop(timestamp=self._timestamp_ms).event()


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _named(pcm: PcmFormat) -> str:
    return f"{pcm.rate_hz} Hz, {pcm.width_bytes * 8}-bit, {pcm.channels} channel(s)"
