"""Is the microphone hearing the assistant's own voice?

While a reply plays, the microphone picks it up again. Before a frame reaches the wake word
model it is compared with what was just played: when the last second of microphone audio is,
at some delay, mostly a copy of the played audio (normalised cross-correlation above
`threshold`), it is echo and the wake model hears silence instead. A person talking over the
reply makes the microphone audio unlike the reference, so "Hey Jarvis" still interrupts.

This is a guard, not acoustic echo cancellation: it does not remove the echo from speech that
is mixed with it, and a very reverberant room lowers the correlation of pure echo too.
"""

from __future__ import annotations

import collections

import numpy as np
import numpy.typing as npt

from assistant.audio.format import SAMPLE_RATE_HZ, Audio

_WINDOW_SECONDS = 1.0
# A card's output buffer, plus a capture callback running late on a busy board. The FFT is
# the same size for any delay up to 0.8 s (the reference and window fit in 2^16 samples), so
# the wider search costs nothing.
_MAX_DELAY_SECONDS = 0.8
_SILENT_RMS = 1e-3


def echo_likeness(microphone: npt.NDArray[np.float32], reference: npt.NDArray[np.float32]) -> float:
    """The best normalised correlation (0–1) of the microphone window with the reference at
    any delay up to `_MAX_DELAY_SECONDS`; 0 when either is silent or too short."""
    delay = int(_MAX_DELAY_SECONDS * SAMPLE_RATE_HZ)
    length = min(int(_WINDOW_SECONDS * SAMPLE_RATE_HZ), len(microphone))
    if length < SAMPLE_RATE_HZ // 10:
        return 0.0
    window = microphone[len(microphone) - length :].astype(np.float64)
    # The window must fit in the reference at every delay searched. Before the speaker opened
    # it played nothing, so a short reference (a reply right after start) is silence before:
    # its first words, the ones most like a wake word, are compared in full.
    ref = reference[-(length + delay) :].astype(np.float64)
    ref = np.concatenate([np.zeros(length + delay - len(ref)), ref])
    if np.sqrt(np.mean(window**2)) < _SILENT_RMS or np.sqrt(np.mean(ref**2)) < _SILENT_RMS:
        return 0.0
    size = 1 << int(np.ceil(np.log2(len(ref) + len(window))))
    # correlation[k] = sum_i window[i] * ref[k + i], for every start k of the window in ref
    spectrum = np.fft.rfft(ref, size) * np.conj(np.fft.rfft(window, size))
    correlation = np.fft.irfft(spectrum, size)[: len(ref) - len(window) + 1]
    energy = np.concatenate([[0.0], np.cumsum(ref**2)])
    segment_norms = np.sqrt(energy[len(window) :] - energy[: len(ref) - len(window) + 1])
    norms = segment_norms * np.sqrt(np.sum(window**2))
    valid = norms > 1e-9
    if not valid.any():
        return 0.0
    return float(np.max(np.abs(correlation[valid]) / norms[valid]))


class EchoGuard:
    def __init__(self, threshold: float = 0.6) -> None:
        self.threshold = threshold
        self._recent = np.zeros(0, dtype=np.float32)
        self.muted_frames = 0
        self.passed: collections.deque[float] = collections.deque(maxlen=64)
        """The likeness of the latest frames compared and let through (for diagnosis)."""

    def reset(self) -> None:
        self._recent = np.zeros(0, dtype=np.float32)

    def filter(self, frame: Audio, reference: Audio | None) -> Audio:
        """The frame, or silence when it is the assistant's own voice coming back."""
        keep = int(_WINDOW_SECONDS * SAMPLE_RATE_HZ)
        self._recent = np.concatenate([self._recent, frame])[-keep:]
        likeness = 0.0 if reference is None else echo_likeness(self._recent, reference)
        if likeness < self.threshold:
            self.passed.append(round(likeness, 2))
            return frame
        self.muted_frames += 1
        return np.zeros_like(frame)
