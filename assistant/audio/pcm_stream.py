"""Raw PCM as it streams in over the network, at any rate, sample width and channel count,
turned into what the models hear (16 kHz mono float) block by block.

The blocks are mixed down and resampled as one continuous signal (`StreamResampler`), so a
client's chunk boundaries leave no clicks, and memory follows what the caller keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, Audio
from assistant.audio.stream_resample import StreamResampler
from assistant.audio.wav import decode_pcm
from assistant.audio.wav_header import MAX_RATE_HZ, MIN_RATE_HZ
from assistant.errors import AudioError

WIDTHS_BYTES = (1, 2, 3, 4)
"""8-bit unsigned; 16, 24 and 32-bit signed little-endian."""
MAX_CHANNELS = 32


@dataclass(frozen=True)
class PcmFormat:
    rate_hz: int
    width_bytes: int
    channels: int

    @property
    def frame_bytes(self) -> int:
        """One sample of every channel."""
        return self.width_bytes * self.channels

    def check(self, name: str = "audio") -> None:
        """AudioError naming what is outside what can be decoded."""
        if not MIN_RATE_HZ <= self.rate_hz <= MAX_RATE_HZ:
            raise AudioError(f"{name}: unsupported sample rate of {self.rate_hz} Hz "
                             f"(accepted: {MIN_RATE_HZ} to {MAX_RATE_HZ} Hz)")  # fmt: skip
        if self.width_bytes not in WIDTHS_BYTES:
            raise AudioError(f"{name}: unsupported sample width of {self.width_bytes} bytes "
                             f"(accepted: {', '.join(map(str, WIDTHS_BYTES))})")  # fmt: skip
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise AudioError(f"{name}: unsupported channel count {self.channels} "
                             f"(accepted: 1 to {MAX_CHANNELS})")  # fmt: skip


class PcmToModel:
    """One stream of PCM in `pcm` format, converted block by block to 16 kHz mono float."""

    def __init__(self, pcm: PcmFormat, *, name: str = "audio") -> None:
        pcm.check(name)
        self.pcm = pcm
        self.name = name
        self.input_seconds = 0.0
        """How much audio came in so far."""
        self._resampler = StreamResampler(pcm.rate_hz, SAMPLE_RATE_HZ)

    def convert(self, payload: bytes) -> Audio:
        """The 16 kHz audio this block completes (a few milliseconds are held back for the
        resampling filter until the next block or `flush`)."""
        if len(payload) % self.pcm.frame_bytes:
            raise AudioError(
                f"{self.name}: a block of {len(payload)} bytes is not whole frames of "
                f"{self.pcm.channels} channel(s) × {self.pcm.width_bytes} byte(s)"
            )
        samples = decode_pcm(payload, self.pcm.width_bytes * 8, name=self.name)
        frames = samples.reshape(-1, self.pcm.channels)
        self.input_seconds += len(frames) / self.pcm.rate_hz
        mono = frames[:, 0] if self.pcm.channels == 1 else frames.mean(axis=1, dtype=np.float32)
        return self._resampler.process(mono)

    def flush(self) -> Audio:
        """The audio still held back, as if the stream ended here."""
        return self._resampler.flush()
