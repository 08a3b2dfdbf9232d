"""How well a microphone heard the wake word, measured the same way on every board, and the
arbitration it takes part in when several microphones of one home heard it.

The measure is the wake word's score and the speech level: the RMS, in dBFS, of the last
`WAKE_WORD_SECONDS` of audio the wake word model was given up to its detection. Every board
measures the same span of the same kind of frames (16 kHz, as the model hears them), so the
nearest one hears it loudest.
"""

from __future__ import annotations

import collections
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.audio.format import FRAME_SECONDS, Audio

WAKE_WORD_SECONDS = 1.0
"""About as long as a wake word takes to say ("Hey Jarvis" is 0.7–0.9 s)."""
SILENT_DBFS = -120.0
"""The level of digital silence, rather than minus infinity."""


def level_dbfs(audio: Audio) -> float:
    """RMS level relative to full scale, in dB; `SILENT_DBFS` for silence or nothing."""
    if not len(audio):
        return SILENT_DBFS
    rms = math.sqrt(float(np.mean(np.square(audio, dtype=np.float64))))
    return max(SILENT_DBFS, 20 * math.log10(rms)) if rms > 0 else SILENT_DBFS


class RecentAudio:
    """The last `WAKE_WORD_SECONDS` of the frames passed through it."""

    def __init__(self) -> None:
        self._frames: collections.deque[Audio] = collections.deque(
            maxlen=math.ceil(WAKE_WORD_SECONDS / FRAME_SECONDS)
        )

    async def through(self, frames: AsyncIterator[Audio]) -> AsyncIterator[Audio]:
        """The same frames, each kept on its way."""
        async for frame in frames:
            self._frames.append(frame)
            yield frame

    def level_dbfs(self) -> float:
        return level_dbfs(np.concatenate(self._frames) if self._frames else np.zeros(0, np.float32))


@dataclass(frozen=True)
class WakeHeard:
    """One microphone heard the wake word."""

    satellite: str
    """The name of the satellite (or of the hub's own microphone) that heard it."""
    model: str
    score: float
    level_dbfs: float

    def describe(self) -> str:
        return f"{self.satellite} score {self.score:.2f} level {self.level_dbfs:.1f} dBFS"


class Floor(Protocol):
    """Who answers a wake word heard by several microphones (the hub's `Arbiter`)."""

    def listening(self, satellite: str, listening: bool) -> None:
        """Whether this microphone is listening for the wake word now (the choice is made
        early once every listening microphone has reported)."""

    async def contend(self, heard: WakeHeard) -> bool:
        """True when this microphone is the one that answers; False: stand down silently."""
