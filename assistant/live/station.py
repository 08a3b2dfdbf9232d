"""One board's microphone and speaker, kept working: the part `assistant run` and `assistant
satellite` share.

The devices are opened at start (a missing one is waited for, not fatal); the microphone's
frames are handed out with the echo guard applied where asked; a microphone that stops
delivering is reopened every two seconds until it is back; systemd's watchdog is fed only
while frames are being consumed (or a turn is busy in a stage bounded by its own timeouts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from assistant.audio.format import FRAME_SECONDS, Audio
from assistant.config import AudioSettings
from assistant.live.backend import AudioBackend, AudioDeviceError
from assistant.live.capture import Microphone
from assistant.live.earcons import RATE_HZ as EARCON_RATE_HZ
from assistant.live.earcons import earcon
from assistant.live.echo import EchoGuard
from assistant.live.playback import Speaker
from assistant.live.repeated import RepeatedProblem

log = logging.getLogger(__name__)

_REOPEN_SECONDS = 2.0


class Notifier(Protocol):
    """systemd's notification socket (assistant.service.notify), or nothing outside it."""

    def ready(self, status: str) -> bool: ...
    def status(self, text: str) -> bool: ...
    def watchdog_ping(self) -> bool: ...
    def watchdog_interval_seconds(self) -> float | None: ...
    def stopping(self) -> bool: ...


@dataclass
class StationStats:
    microphone_losses: int = 0


class AudioStation:
    def __init__(
        self, backend: AudioBackend, settings: AudioSettings, notifier: Notifier | None,
        stats: StationStats,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.microphone = Microphone(backend, settings)
        self.speaker = Speaker(backend, settings)
        self.echo = EchoGuard()
        self.notifier = notifier
        self.stats = stats
        self.busy = False
        """A turn is under way (a stage bounded by its own timeouts): the watchdog is fed."""
        self._progress_monotonic = time.monotonic()
        self._captured_frames = 0

    async def open(self, stop: asyncio.Event) -> None:
        """The speaker, then the microphone, each waited for until it can be opened."""
        await self._open_until(stop, self.speaker.open, "speaker")
        await self._open_until(stop, self.microphone.open, "microphone")

    def close(self) -> None:
        self.microphone.close()
        self.speaker.close()

    # --- `assistant.live.reply.Outlet`: replies on this board's speaker ----------------------

    def sound(self, name: str) -> None:
        """An earcon (wake, done, error, alert), when earcons are on."""
        if self.settings.earcons:
            self.speaker.play(earcon(name), EARCON_RATE_HZ)

    def play(self, audio: Audio, rate_hz: int, text: str) -> None:
        self.speaker.play(audio, rate_hz)

    def finish(self) -> None:
        """Nothing to do: the speaker plays what it has and goes quiet."""

    def stop(self) -> None:
        self.speaker.stop()

    # --- the microphone --------------------------------------------------------------------

    async def _open_until(self, stop: asyncio.Event, opener: Callable[[], None], what: str) -> None:
        problem = RepeatedProblem(log, f"no {what}")
        while not stop.is_set():
            try:
                opener()
                problem.ended()
                return
            except AudioDeviceError as error:
                problem.failed(error.message)
                self.report(f"no {what}: {error.message}")
                if self.notifier is not None:
                    # Waiting for a device is not a hang: a board booted without its
                    # microphone must not be restarted by the watchdog every half minute.
                    self.notifier.watchdog_ping()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _REOPEN_SECONDS)

    async def frames(self, *, guard_echo: bool) -> AsyncIterator[Audio]:
        """The microphone's frames, for as long as the consumer wants them. For the wake word
        the board's own voice is muted while it speaks and for `echo_tail_seconds`."""
        while True:
            frame, captured_monotonic = await self.microphone.frames.get()
            self._captured_frames += 1
            self._progress_monotonic = time.monotonic()
            tail_seconds = self.settings.echo_tail_seconds
            if guard_echo and self.speaker.recently_played(tail_seconds, captured_monotonic):
                frame = self.echo.filter(frame, self.speaker.reference(captured_monotonic))
            yield frame

    @property
    def stream_seconds(self) -> float:
        """How much microphone audio has been taken in so far, in seconds."""
        return self._captured_frames * FRAME_SECONDS

    async def skip_echo_tail(self) -> None:
        """Drop what the microphone heard while the last sound still rang in the room."""
        # Not wait_for per frame: on Python 3.11 it swallows a cancellation that comes as a
        # frame arrives, and the loop would not stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.echo_tail_seconds):
                while True:
                    await self.microphone.frames.get()
        while not self.microphone.frames.empty():
            self.microphone.frames.get_nowait()

    async def supervise(self, stop: asyncio.Event) -> None:
        notifier = self.notifier
        interval = notifier.watchdog_interval_seconds() if notifier else None
        ping_every = (interval / 2) if interval else 1.0
        while not stop.is_set():
            if self.microphone.stalled():
                await self._recover_microphone(stop)
            # Progress: frames consumed lately, or a turn busy in a stage (bounded by its own
            # timeouts); a loop stuck anywhere else stops the pings and systemd restarts it.
            lively = time.monotonic() - self._progress_monotonic < max(ping_every * 2, 5.0)
            if notifier is not None and (lively or self.busy):
                notifier.watchdog_ping()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ping_every)

    async def _recover_microphone(self, stop: asyncio.Event) -> None:
        self.stats.microphone_losses += 1
        log.error("the microphone stopped delivering audio; reopening it")
        self.report("microphone lost; reopening")
        problem = RepeatedProblem(log, "microphone lost")
        while not stop.is_set():
            self._progress_monotonic = time.monotonic()  # recovering is progress
            if self.notifier is not None:
                self.notifier.watchdog_ping()
            try:
                self.microphone.reopen()
            except AudioDeviceError as error:
                problem.failed(error.message)
            else:
                # Give the new stream a moment to deliver; a device that opens but stays
                # silent counts as still gone.
                await asyncio.sleep(min(1.0, self.settings.stall_seconds))
                if not self.microphone.stalled():
                    problem.ended()
                    log.info("microphone back: %s", self.microphone.device_name)
                    self.report(f"listening on {self.microphone.device_name}")
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _REOPEN_SECONDS)

    def report(self, text: str) -> None:
        if self.notifier is not None:
            self.notifier.status(text)
