"""A virtual sound card: real-time callbacks fed from audio, playback recorded.

It implements the same `AudioBackend` as PortAudio, so the live loop runs its real code path
for the tests and for `assistant bench`: threads call the capture callback every block, in
real time, with what the "room" holds (audio someone "says", plus, optionally, what the
speaker played a moment ago), and call the playback callback every block, recording what
reached the "speaker".
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from assistant.audio.resample import resample
from assistant.audio.stream_resample import StreamResampler
from assistant.live.backend import AudioDeviceError, DeviceInfo, InputCallback, OutputCallback

Audio = npt.NDArray[np.float32]


class _Clocked:
    """A thread calling `tick(scheduled_monotonic)` every `period` seconds of wall time until
    closed. A tick that runs late (a busy machine) still gets the time it was due at."""

    def __init__(self, period: float, tick: Callable[[float], None]) -> None:
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
            self.tick(next_at)
            next_at += self.period
            self._stop.wait(max(0.0, next_at - time.monotonic()))


# How long the room takes to bring the speaker's sound back to the microphone: a real card's
# output buffer. A playback tick up to this late on a busy machine still reaches the
# microphone whole and in time, as a real card's buffer would carry it.
_LOOPBACK_LATENCY_SECONDS = 0.1


class VirtualSoundCard:
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
        self._echo_start: float | None = None
        """When the speaker's first echoed sample was due to be played (scheduled time)."""
        self._echo_produced = 0
        """Samples of echo made since then; `_echo` holds the latest not yet heard."""
        self._echo_heard_until = 0
        """The echo sample the microphone has heard up to (later ones arriving before it are
        lost, as in an underrun)."""
        self.played: collections.deque[tuple[float, Audio]] = collections.deque(maxlen=6000)
        """(monotonic time, block) for every playback block, silence included (the last two
        minutes or so: bounded, for long benchmark runs)."""
        self._said_samples = 0
        self._delivered_samples = 0
        self._deliveries: collections.deque[tuple[float, int]] = collections.deque(maxlen=6000)

    # --- what a test does --------------------------------------------------------------------

    def say(self, audio: Audio, rate_hz: int) -> float:
        """Someone speaks: the audio is heard after what is already being said. Returns its
        start as a position in seconds of everything ever said (see `delivered_at`)."""
        converted = resample(audio.astype(np.float32), rate_hz, self.input_rate_hz)
        with self._lock:
            # Silence already delivered does not delay this: it starts at the next block.
            self._said_samples = max(self._said_samples, self._delivered_samples)
            start = self._said_samples
            self._room = np.concatenate([self._room, converted])
            self._said_samples += len(converted)
        return start / self.input_rate_hz

    def delivered_at(self, position_seconds: float) -> float | None:
        """When the microphone callback received the sample at that position (monotonic)."""
        wanted = position_seconds * self.input_rate_hz
        with self._lock:
            deliveries = list(self._deliveries)
        for at, delivered in deliveries:
            if delivered >= wanted:
                return at
        return None

    def _played_now(self) -> list[tuple[float, Audio]]:
        with self._lock:  # the playback thread appends while a test reads
            return list(self.played)

    def first_sound_after(self, since_monotonic: float) -> float | None:
        """When the speaker first played something audible after that moment."""
        for at, block in self._played_now():
            if at > since_monotonic and np.abs(block).max() > 1e-3:
                return at
        return None

    def heard_since(self, since_monotonic: float) -> Audio:
        """What reached the speaker since then, at the output rate."""
        blocks = [block for at, block in self._played_now() if at >= since_monotonic]
        return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)

    def sound_seconds_since(self, since_monotonic: float) -> float:
        """Seconds of non-silent playback since then."""
        blocks = [b for at, b in self._played_now()
                  if at >= since_monotonic and np.abs(b).max() > 1e-3]  # fmt: skip
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

        def tick(due_monotonic: float) -> None:
            if not self.delivering:
                return
            with self._lock:
                block = np.zeros(block_frames, dtype=np.float32)
                take = min(block_frames, len(self._room))
                block[:take] = self._room[:take]
                self._room = self._room[take:]
                self._delivered_samples += take
                if take < block_frames:  # silence after the speech counts as time passing
                    self._delivered_samples = max(self._delivered_samples, self._said_samples)
                self._deliveries.append((time.monotonic(), self._delivered_samples))
                block += self.loopback_gain * self._take_echo(due_monotonic, block_frames)
            callback(block.reshape(-1, channels))

        return _Clocked(block_frames / rate_hz, tick)

    def open_output(
        self, device: int | None, rate_hz: int, block_frames: int, latency: str | float,
        callback: OutputCallback,
    ) -> _Clocked:  # fmt: skip
        # The room carries the sound continuously: the loopback is resampled as one stream, not
        # block by block (whose edges and rounding would make the echo unlike what was played).
        to_input_rate = StreamResampler(self.output_rate_hz, self.input_rate_hz)

        def tick(due_monotonic: float) -> None:
            out = np.zeros((block_frames, 1), dtype=np.float32)
            callback(out)
            block = out[:, 0].copy()
            with self._lock:
                self.played.append((time.monotonic(), block))
            if self.loopback_gain:  # only then: the benchmark's idle CPU is not the card's
                heard = to_input_rate.process(block)
                with self._lock:
                    self._add_echo(due_monotonic, heard)

        return _Clocked(block_frames / rate_hz, tick)

    def _take_echo(self, due_monotonic: float, frames: int) -> Audio:
        """The echo the microphone block due then hears, under `_lock`. It is looked up by
        the time each side was due, not taken first-in first-out: a late playback tick must
        not delay the echo for good (a real room does not), or the delay between what was
        played and what is heard would grow with every stall on a busy machine. Sound played
        later than the latency allows is lost, as a real card's underrun loses it."""
        out = np.zeros(frames, dtype=np.float32)
        if self._echo_start is None:
            return out
        heard_from = due_monotonic - frames / self.input_rate_hz - _LOOPBACK_LATENCY_SECONDS
        wanted = round((heard_from - self._echo_start) * self.input_rate_hz)
        kept_from = self._echo_produced - len(self._echo)  # the index of `_echo[0]`
        lo, hi = max(wanted, kept_from), min(wanted + frames, self._echo_produced)
        if lo < hi:
            out[lo - wanted : hi - wanted] = self._echo[lo - kept_from : hi - kept_from]
        self._echo_heard_until = max(self._echo_heard_until, wanted + frames)
        self._echo = self._echo[max(0, self._echo_heard_until - kept_from) :]
        return out

    def _add_echo(self, due_monotonic: float, heard: Audio) -> None:
        """Under `_lock`: what the room carries back; a part already past its time is lost."""
        if self._echo_start is None:
            self._echo_start = due_monotonic
        late = max(0, min(len(heard), self._echo_heard_until - self._echo_produced))
        self._echo = np.concatenate([self._echo, heard[late:]])
        self._echo_produced += len(heard)
