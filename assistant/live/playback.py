"""The speaker: replies and earcons queued as audio, played by the sound card's callback.

Speech is queued sentence by sentence as Piper produces it, so the first sentence plays while
the next is synthesized. `stop()` empties the queue at once (barge-in). Everything played is
also kept, briefly and at 16 kHz with the time it was played, as the reference the echo guard
compares the microphone with.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time

import numpy as np
import numpy.typing as npt

from assistant.audio.format import SAMPLE_RATE_HZ
from assistant.audio.resample import resample
from assistant.audio.stream_resample import StreamResampler
from assistant.config import AudioSettings
from assistant.live.backend import AudioBackend, Stream, choose_device

log = logging.getLogger(__name__)

# Enough for the echo guard to look back over a microphone queue the loop is behind on.
_REFERENCE_SECONDS = 6.0
_MAX_QUEUED_SECONDS = 120.0


class Speaker:
    def __init__(self, backend: AudioBackend, settings: AudioSettings) -> None:
        self.backend = backend
        self.settings = settings
        self.rate_hz = 0
        self._stream: Stream | None = None
        self._lock = threading.Lock()
        self._chunks: collections.deque[npt.NDArray[np.float32]] = collections.deque()
        self._queued_samples = 0
        self._reference: collections.deque[tuple[float, npt.NDArray[np.float32]]] = (
            collections.deque()
        )
        self._reference_samples = 0
        self._last_sound_monotonic = 0.0
        self._to_model_rate = StreamResampler(SAMPLE_RATE_HZ, SAMPLE_RATE_HZ)
        self._silent_blocks = 0
        """Silent blocks played in a row (the reference counts silence once it is long)."""
        self._carry = 0
        """Input samples × the model rate not yet made into a whole reference sample."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drained = asyncio.Event()
        self._drained.set()

    def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        device = choose_device(self.backend.devices(), self.settings.output_device,
                               direction="output")  # fmt: skip
        self.rate_hz = device.default_rate_hz
        self._to_model_rate = StreamResampler(self.rate_hz, SAMPLE_RATE_HZ)
        self._silent_blocks = 0
        self._carry = 0
        block = max(1, self.rate_hz * 20 // 1000)
        self._stream = self.backend.open_output(
            device.index, self.rate_hz, block, self.settings.output_latency, self._fill
        )
        self._stream.start()
        log.info("speaker: %s at %d Hz", device.name, self.rate_hz)

    def close(self) -> None:
        self.stop()
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    @property
    def playing(self) -> bool:
        return not self._drained.is_set()

    def recently_played(self, tail_seconds: float, at_monotonic: float) -> bool:
        """Playing now, or stopped so shortly before `at_monotonic` that the room may still
        have carried the sound then."""
        return self.playing or at_monotonic - self._last_sound_monotonic < tail_seconds

    def play(self, audio: npt.NDArray[np.float32], rate_hz: int) -> None:
        """Queue audio (any rate) behind what is already playing."""
        converted = resample(audio.astype(np.float32), rate_hz, self.rate_hz)
        converted = converted * self.settings.volume
        with self._lock:
            if self._queued_samples + len(converted) > _MAX_QUEUED_SECONDS * self.rate_hz:
                log.warning("playback queue full: dropped %.1f s of audio",
                            len(converted) / self.rate_hz)  # fmt: skip
                return
            self._chunks.append(converted)
            self._queued_samples += len(converted)
            self._drained.clear()

    def stop(self) -> None:
        """Silence now: what is queued is dropped (the person started talking)."""
        with self._lock:
            self._chunks.clear()
            self._queued_samples = 0
        self._drained.set()

    async def drained(self) -> None:
        await self._drained.wait()

    def reference(self, until_monotonic: float) -> npt.NDArray[np.float32]:
        """What was played in the few seconds up to `until_monotonic`, at 16 kHz, for the echo
        guard. A frame the loop takes late is compared with what played before it was
        captured, not with what plays now."""
        with self._lock:
            played = [chunk for at, chunk in self._reference if at <= until_monotonic]
        return np.concatenate(played) if played else np.zeros(0, dtype=np.float32)

    def _fill(self, out: npt.NDArray[np.float32]) -> None:
        """PortAudio's thread: copy queued audio into the block, silence after it."""
        needed = len(out)
        written = 0
        with self._lock:
            while written < needed and self._chunks:
                chunk = self._chunks[0]
                take = min(needed - written, len(chunk))
                out[written : written + take, 0] = chunk[:take]
                written += take
                if take == len(chunk):
                    self._chunks.popleft()
                else:
                    self._chunks[0] = chunk[take:]
            self._queued_samples = max(0, self._queued_samples - written)
            empty = not self._chunks
        out[written:, 0] = 0.0
        if written:
            self._last_sound_monotonic = time.monotonic()
        # Silence is remembered too, so that the reference keeps the timing of what the
        # microphone hears: a reply's first words are compared with the quiet before them.
        self._remember(out[:, 0].copy(), time.monotonic())
        if empty and self._loop is not None and not self._drained.is_set():
            # Decided again on the loop's thread: a reply queued since this block was filled
            # must not be reported as finished.
            self._loop.call_soon_threadsafe(self._set_drained_if_empty)

    def _set_drained_if_empty(self) -> None:
        with self._lock:
            empty = not self._chunks
        if empty:
            self._drained.set()

    def _remember(self, played: npt.NDArray[np.float32], at_monotonic: float) -> None:
        # A streaming resampler: the reference is one continuous signal, without an edge
        # effect at every 20 ms block that would lower its likeness to the microphone. Once
        # the resampler has passed on the end of the last sound, silence is counted, not
        # resampled: that was about 5 % of a core while idle at 44.1 kHz.
        silent = not played.any()
        if silent and self._silent_blocks >= 2:
            count, self._carry = divmod(self._carry + len(played) * SAMPLE_RATE_HZ, self.rate_hz)
            at_model_rate = np.zeros(count, dtype=np.float32)
        else:
            if self._silent_blocks >= 2:  # sound again: a new stream that starts from silence
                self._to_model_rate = StreamResampler(self.rate_hz, SAMPLE_RATE_HZ)
                self._carry = 0
            at_model_rate = self._to_model_rate.process(played)
        self._silent_blocks = self._silent_blocks + 1 if silent else 0
        with self._lock:
            self._reference.append((at_monotonic, at_model_rate))
            self._reference_samples += len(at_model_rate)
            while self._reference_samples > _REFERENCE_SECONDS * SAMPLE_RATE_HZ:
                self._reference_samples -= len(self._reference.popleft()[1])
