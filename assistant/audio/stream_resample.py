"""Sample-rate conversion of a stream, block by block, as if it were one long signal.

Resampling each microphone block on its own would put a click at every block edge: the
anti-aliasing filter sees zeros past both ends. Here each block is resampled together with a
margin of the input before and after it, and only the output the filter could compute from
real samples is released; the rest waits for the next block (a delay of a few milliseconds).
"""

from __future__ import annotations

from math import ceil

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from assistant.audio.resample import conversion_ratio


class StreamResampler:
    def __init__(self, from_rate_hz: int, to_rate_hz: int) -> None:
        self.up, self.down = conversion_ratio(from_rate_hz, to_rate_hz)
        # resample_poly's filter reaches 10 * max(up, down) upsampled samples either side.
        self.margin = ceil(10 * max(self.up, self.down) / self.up) + 2
        self._buffer = np.zeros(0, dtype=np.float32)
        self._start = 0
        """Input index of `_buffer[0]`, always a multiple of `down` so outputs align."""
        self._produced = 0

    def process(self, block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        if self.up == self.down:
            return block.astype(np.float32, copy=False)
        self._buffer = np.concatenate([self._buffer, block.astype(np.float32, copy=False)])
        end = self._start + len(self._buffer)
        first_output = self._start * self.up // self.down
        last_ready = (end - self.margin) * self.up // self.down  # its input is all here
        if last_ready < self._produced:
            return np.zeros(0, dtype=np.float32)
        converted = resample_poly(self._buffer, self.up, self.down)
        out = np.asarray(
            converted[self._produced - first_output : last_ready - first_output + 1],
            dtype=np.float32,
        )
        self._produced += len(out)
        needed = self._produced * self.down // self.up - self.margin
        keep_from = max(self._start, needed // self.down * self.down)
        self._buffer = self._buffer[keep_from - self._start :]
        self._start = keep_from
        return out

    def flush(self) -> npt.NDArray[np.float32]:
        """The output still held back, as if the signal ended here (zeros past its end, as
        `resample_poly` assumes for a whole signal): together with every `process` output,
        the same samples as resampling the whole signal at once."""
        if self.up == self.down or len(self._buffer) == 0:
            return np.zeros(0, dtype=np.float32)
        end = self._start + len(self._buffer)
        total = -(-end * self.up // self.down)  # resample_poly's output length, ceil
        first_output = self._start * self.up // self.down
        converted = resample_poly(self._buffer, self.up, self.down)
        out = np.asarray(
            converted[self._produced - first_output : total - first_output], dtype=np.float32
        )
        self._produced += len(out)
        self._buffer = np.zeros(0, dtype=np.float32)
        self._start = end
        return out
