"""Short sounds that say what happened without words: heard you, done, something went wrong.

Synthesised rather than shipped as files: a few sine tones with soft edges (no clicks), the
same on every board, and no licence to track.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RATE_HZ = 22_050
# (frequency Hz, duration s) per note: rising for "listening", a settled fifth for "done",
# falling and lower for "error", a bright triple for an alert such as a timer.
_NOTES = {
    "wake": [(660.0, 0.07), (880.0, 0.09)],
    "done": [(784.0, 0.08), (1047.0, 0.12)],
    "error": [(440.0, 0.12), (311.0, 0.2)],
    "alert": [(988.0, 0.1), (0.0, 0.05), (988.0, 0.1), (0.0, 0.05), (988.0, 0.15)],
}
EARCONS = tuple(_NOTES)


def earcon(name: str) -> npt.NDArray[np.float32]:
    """The sound at `RATE_HZ`, peak 0.5; KeyError for an unknown name."""
    parts = []
    for frequency, seconds in _NOTES[name]:
        t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
        tone = np.sin(2 * np.pi * frequency * t) if frequency else np.zeros_like(t)
        fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)  # 10 ms in and out
        parts.append(0.5 * tone * fade)
    return np.concatenate(parts).astype(np.float32)
