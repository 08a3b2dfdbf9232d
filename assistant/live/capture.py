"""The microphone: native-rate blocks in, frames in the pipeline's audio format out.

The sound card's callback runs on PortAudio's thread and must never wait, so it only converts
and hands the frame to the event loop. The queue is bounded: when the loop falls behind, the
oldest frames are dropped and counted rather than memory growing. A microphone that stops
delivering (USB unplugged, device taken) is noticed by `stalled()` and reopened by the loop.
Each frame carries the time it was captured, so that a loop running behind still compares it
with what the speaker was playing then (the echo guard).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from assistant.audio.format import FRAME_SAMPLES, SAMPLE_RATE_HZ, Audio
from assistant.audio.stream_resample import StreamResampler
from assistant.config import AudioSettings
from assistant.live.backend import AudioBackend, Stream, choose_device

log = logging.getLogger(__name__)


class Captured(NamedTuple):
    audio: Audio
    at_monotonic: float
    """When the frame's last sample was captured."""


class Microphone:
    def __init__(self, backend: AudioBackend, settings: AudioSettings) -> None:
        self.backend = backend
        self.settings = settings
        self.frames: asyncio.Queue[Captured] = asyncio.Queue(maxsize=settings.queue_blocks)
        self.dropped_frames = 0
        self.reopened = 0
        self.device_name = ""
        self._stream: Stream | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._resampler: StreamResampler | None = None
        self._pending = np.zeros(0, dtype=np.float32)
        self._last_block_monotonic = 0.0

    def open(self) -> None:
        """Open the configured device at its own rate; raises AudioDeviceError when absent."""
        self._loop = asyncio.get_running_loop()
        device = choose_device(self.backend.devices(), self.settings.input_device,
                               direction="input")  # fmt: skip
        rate = device.default_rate_hz
        self._resampler = StreamResampler(rate, SAMPLE_RATE_HZ)
        self._pending = np.zeros(0, dtype=np.float32)
        block = max(1, rate * self.settings.block_ms // 1000)
        self._stream = self.backend.open_input(device.index, rate, 1, block, self._on_block)
        self._last_block_monotonic = time.monotonic()
        self._stream.start()
        self.device_name = device.name
        log.info("microphone: %s at %d Hz", device.name, rate)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception as error:  # a device already gone may fail to close
                log.debug("closing the microphone: %s", error)

    def reopen(self) -> None:
        self.close()
        self.open()
        self.reopened += 1

    def stalled(self) -> bool:
        """No audio for `stall_seconds`: the device is gone, busy, or its driver hung."""
        elapsed = time.monotonic() - self._last_block_monotonic
        return self._stream is None or elapsed > self.settings.stall_seconds

    def _on_block(self, block: npt.NDArray[np.float32]) -> None:
        """PortAudio's thread: convert, cut into frames, hand over; never block."""
        now = time.monotonic()
        self._last_block_monotonic = now
        assert self._resampler is not None and self._loop is not None
        mono = block.mean(axis=1) if block.ndim == 2 else block
        converted = self._resampler.process(np.asarray(mono, dtype=np.float32))
        self._pending = np.concatenate([self._pending, converted])
        while len(self._pending) >= FRAME_SAMPLES:
            frame, self._pending = self._pending[:FRAME_SAMPLES], self._pending[FRAME_SAMPLES:]
            captured = Captured(frame, now - len(self._pending) / SAMPLE_RATE_HZ)
            self._loop.call_soon_threadsafe(self._put, captured)

    def _put(self, frame: Captured) -> None:
        if self.frames.full():
            self.frames.get_nowait()
            self.dropped_frames += 1
            if self.dropped_frames % 50 == 1:
                log.warning("the loop is behind the microphone: %d frames dropped so far",
                            self.dropped_frames)  # fmt: skip
        self.frames.put_nowait(frame)
