"""A sound card for tests: real-time callbacks fed from WAV audio, playback recorded.

It implements the same `AudioBackend` as PortAudio, so the live loop runs its real code path:
PortAudio-style threads call the capture callback every block with what the "room" holds (the
audio a test says, plus, optionally, what the speaker played a moment ago), and call the
playback callback every block, recording what reached the "speaker".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from assistant.audio.resample import resample
from assistant.live.backend import AudioDeviceError, DeviceInfo, InputCallback, OutputCallback

Audio = npt.NDArray[np.float32]


class _Clocked:
    """A thread calling `tick` every `period` seconds of wall time until closed."""

    def __init__(self, period: float, tick: Callable[[], None]) -> None:
        self.period, self.tick = period, tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.tick()
            next_at += self.period
            self._stop.wait(max(0.0, next_at - time.monotonic()))


class FakeSoundCard:
    def __init__(self, input_rate_hz: int = 48_000, output_rate_hz: int = 44_100) -> None:
        self.input_rate_hz, self.output_rate_hz = input_rate_hz, output_rate_hz
        self.microphone_present = True
        self.delivering = True
        """False: the microphone stream stays open but no audio arrives (a hung USB device)."""
        self.loopback_gain = 0.0
        """How much of the speaker's sound the microphone picks up again."""
        self.inputs_opened = 0
        self.open_failures = 0
        """Attempts to find or open the microphone while it was unplugged."""
        self._lock = threading.Lock()
        self._room = np.zeros(0, dtype=np.float32)
        self._echo = np.zeros(0, dtype=np.float32)
        self.played: list[tuple[float, Audio]] = []
        """(monotonic time, block) for every playback block, silence included."""

    # --- what a test does --------------------------------------------------------------------

    def say(self, audio: Audio, rate_hz: int) -> None:
        """Someone speaks: the audio is heard from the next capture block on."""
        converted = resample(audio.astype(np.float32), rate_hz, self.input_rate_hz)
        with self._lock:
            self._room = np.concatenate([self._room, converted])

    def heard_since(self, since_monotonic: float) -> Audio:
        """What reached the speaker since then, at the output rate."""
        blocks = [block for at, block in self.played if at >= since_monotonic]
        return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)

    def sound_seconds_since(self, since_monotonic: float) -> float:
        """Seconds of non-silent playback since then."""
        blocks = [b for at, b in self.played if at >= since_monotonic and np.abs(b).max() > 1e-3]
        return sum(len(b) for b in blocks) / self.output_rate_hz

    # --- AudioBackend --------------------------------------------------------------------------

    def devices(self) -> list[DeviceInfo]:
        found = [DeviceInfo(1, "Test speaker", 0, 2, self.output_rate_hz, False, True)]
        if self.microphone_present:
            found.insert(0, DeviceInfo(0, "Test USB microphone", 1, 0, self.input_rate_hz, True))
        else:
            self.open_failures += 1
        return found

    def open_input(
        self, device: int | None, rate_hz: int, channels: int, block_frames: int,
        callback: InputCallback,
    ) -> _Clocked:  # fmt: skip
        if not self.microphone_present:
            self.open_failures += 1
            raise AudioDeviceError("cannot open the microphone: device unavailable")
        self.inputs_opened += 1

        def tick() -> None:
            if not self.delivering:
                return
            with self._lock:
                block = np.zeros(block_frames, dtype=np.float32)
                take = min(block_frames, len(self._room))
                block[:take] = self._room[:take]
                self._room = self._room[take:]
                echo = min(block_frames, len(self._echo))
                block[:echo] += self.loopback_gain * self._echo[:echo]
                self._echo = self._echo[echo:]
            callback(block.reshape(-1, channels))

        return _Clocked(block_frames / rate_hz, tick)

    def open_output(
        self, device: int | None, rate_hz: int, block_frames: int, latency: str | float,
        callback: OutputCallback,
    ) -> _Clocked:  # fmt: skip
        def tick() -> None:
            out = np.zeros((block_frames, 1), dtype=np.float32)
            callback(out)
            block = out[:, 0].copy()
            self.played.append((time.monotonic(), block))
            if self.loopback_gain:
                with self._lock:
                    self._echo = np.concatenate(
                        [self._echo, resample(block, self.output_rate_hz, self.input_rate_hz)]
                    )

        return _Clocked(block_frames / rate_hz, tick)
