"""Sample-rate conversion with a polyphase filter (anti-aliased, exact for rational ratios)."""

from __future__ import annotations

from math import gcd

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly


def resample(
    audio: npt.NDArray[np.float32], from_rate_hz: int, to_rate_hz: int
) -> npt.NDArray[np.float32]:
    """Resample mono float audio; a no-op when the rates already match."""
    if from_rate_hz == to_rate_hz:
        return audio.astype(np.float32, copy=False)
    divisor = gcd(from_rate_hz, to_rate_hz)
    converted = resample_poly(audio, to_rate_hz // divisor, from_rate_hz // divisor)
    return np.asarray(converted, dtype=np.float32)
