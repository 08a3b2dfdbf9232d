"""The one audio format between the stages: 16 kHz mono float32 in [-1, 1], in 80 ms frames.

Every model hears 16 kHz mono. Audio stays float from the microphone (or the file) to the
models; the only 16-bit integer forms are at the edges: WAV files, and openWakeWord, whose
models were trained on int16 samples. Those conversions are the two functions below.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

SAMPLE_RATE_HZ = 16_000
FRAME_SAMPLES = 1280
"""80 ms: the microphone delivers frames of this size, and openWakeWord scores one at a time."""
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE_HZ

Audio = npt.NDArray[np.float32]
"""Mono samples in [-1, 1], at SAMPLE_RATE_HZ unless said otherwise."""
Pcm16 = npt.NDArray[np.int16]


def to_pcm16(audio: Audio) -> Pcm16:
    """Float samples as 16-bit integers, clipped to the range they can hold."""
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)


def from_pcm16(pcm: npt.NDArray[np.int16]) -> Audio:
    """16-bit integer samples as floats in [-1, 1)."""
    return pcm.astype(np.float32) / 32768.0


def seconds(audio: Audio, rate_hz: int = SAMPLE_RATE_HZ) -> float:
    return len(audio) / rate_hz


def frames_of(audio: Audio) -> Iterator[Audio]:
    """Audio cut into the frames a microphone would deliver, the last one padded with silence."""
    for start in range(0, len(audio), FRAME_SAMPLES):
        frame = audio[start : start + FRAME_SAMPLES]
        if len(frame) < FRAME_SAMPLES:
            frame = np.pad(frame, (0, FRAME_SAMPLES - len(frame)))
        yield frame.astype(np.float32, copy=False)
