"""`assistant run`: the voice assistant people talk to.

The turn itself is the turn engine's (`assistant.pipeline.turn`), the same code that runs a
file or typed text; this loop supplies the microphone's frames, plays the replies
(`live/reply.py`) and decides when a turn begins.

One task listens: wake word → chime → end of speech → transcript → understanding → action,
then starts the reply and goes straight back to listening, so "Hey Jarvis" during a reply
interrupts it (barge-in). The reply is synthesized sentence by sentence and queued on the
speaker as each sentence is ready. While the assistant speaks, and briefly after, microphone
frames that are its own voice coming back are muted for the wake word model (the echo guard);
commands are only ever captured after a wake word or, after a question, in the follow-up window
that opens once the reply has finished.

A second task speaks what skills announce (timers, alerts) whenever no turn is under way; a
third supervises: it reopens a microphone that stopped delivering audio and feeds systemd's
watchdog only while the listening task is making progress.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.audio.format import FRAME_SECONDS, SAMPLE_RATE_HZ, Audio
from assistant.config import Settings
from assistant.live.backend import AudioBackend, AudioDeviceError
from assistant.live.capture import Microphone
from assistant.live.echo import EchoGuard
from assistant.live.playback import Speaker
from assistant.live.repeated import RepeatedProblem
from assistant.live.reply import SpokenReply
from assistant.pipeline.assembly import Assembled
from assistant.pipeline.result import Turn
from assistant.pipeline.turn_log import TurnLog
from assistant.understanding.utterance import Utterance

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
class LiveStats:
    turns: int = 0
    barge_ins: int = 0
    announcements: int = 0
    microphone_losses: int = 0
    latencies_ms: collections.deque[float] = field(
        default_factory=lambda: collections.deque(maxlen=1000)
    )
    """From the end of speech (as the microphone delivered it) to the first reply sample; the
    last thousand turns, so a long run does not grow."""


class LiveAssistant:
    def __init__(
        self, assembled: Assembled, settings: Settings, backend: AudioBackend,
        notifier: Notifier | None = None,
    ) -> None:  # fmt: skip
        self.assembled = assembled
        self.settings = settings
        self.engines = assembled.engines
        self.turns = assembled.turns
        self.turns.bus.subscribe(TurnLog())  # one line per turn; no words said or heard
        self.microphone = Microphone(backend, settings.audio)
        self.speaker = Speaker(backend, settings.audio)
        self.stats = LiveStats()
        self.reply = SpokenReply(
            self.engines, self.speaker, settings.audio, latencies_ms=self.stats.latencies_ms
        )
        self.echo = EchoGuard()
        self.notifier = notifier
        self.busy = False
        """A turn is under way: announcements wait."""
        self.listening_for_wake = asyncio.Event()
        self._progress_monotonic = time.monotonic()
        self._captured_frames = 0

    # --- running -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until `stop` is set (or forever). Ready for systemd once the models are loaded and
        warm; a microphone or speaker missing at start-up is waited for, not fatal."""
        stop = stop or asyncio.Event()
        await self._warm()
        if self.notifier is not None:
            self.notifier.ready("models loaded; opening audio")
        await self._open_until(stop, self.speaker.open, "speaker")
        await self._open_until(stop, self.microphone.open, "microphone")
        tasks = [
            asyncio.create_task(self._listen(), name="listen"),
            asyncio.create_task(self._announce(), name="announce"),
            asyncio.create_task(self._supervise(stop), name="supervise"),
        ]
        self._report(f"listening on {self.microphone.device_name}")
        try:
            await stop.wait()
        finally:
            if self.notifier is not None:
                self.notifier.stopping()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.microphone.close()
            self.speaker.close()

    async def _warm(self) -> None:
        """One pass through transcription, synthesis and the rules: their first call is much
        slower (allocations, caches, the rules compiled from the skills' templates: 0.4–1.1 s),
        and that should not be the first person's wait. Judging a sentence acts on nothing."""
        silence = np.zeros(SAMPLE_RATE_HZ, dtype=np.float32)
        await self.engines.run("stt", self.engines.stt.transcribe, silence)
        await self.engines.run("tts", self.engines.tts.speak_all, "Ready.")
        self.turns.brain.settled(Utterance.of("turn on the light"))

    async def _open_until(self, stop: asyncio.Event, opener: Callable[[], None], what: str) -> None:
        problem = RepeatedProblem(log, f"no {what}")
        while not stop.is_set():
            try:
                opener()
                problem.ended()
                return
            except AudioDeviceError as error:
                problem.failed(error.message)
                self._report(f"no {what}: {error.message}")
                if self.notifier is not None:
                    # Waiting for a device is not a hang: a board booted without its
                    # microphone must not be restarted by the watchdog every half minute.
                    self.notifier.watchdog_ping()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _REOPEN_SECONDS)

    async def _frames(self, *, guard_echo: bool) -> AsyncIterator[Audio]:
        """The microphone's frames, for as long as the consumer wants them. For the wake word
        the assistant's own voice is muted while it speaks and for `echo_tail_seconds`."""
        while True:
            frame, captured_monotonic = await self.microphone.frames.get()
            self._captured_frames += 1
            self._progress_monotonic = time.monotonic()
            tail_seconds = self.settings.audio.echo_tail_seconds
            if guard_echo and self.speaker.recently_played(tail_seconds, captured_monotonic):
                frame = self.echo.filter(frame, self.speaker.reference(captured_monotonic))
            yield frame

    @property
    def stream_seconds(self) -> float:
        """How much microphone audio the loop has taken in so far, in seconds."""
        return self._captured_frames * FRAME_SECONDS

    # --- the listening task --------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            self.listening_for_wake.set()
            wake = await self.turns.wait_for_wake(self._frames(guard_echo=True))
            self.listening_for_wake.clear()
            if wake.detection is None:
                continue
            if self.speaker.playing:
                self.reply.interrupt()  # the reply's remaining sentences are not wanted
                self.stats.barge_ins += 1
                log.info("barge-in: the reply was interrupted")
            turn = self.turns.begin("microphone", from_audio=True)
            self.turns.note_wake(turn, wake, stream_seconds=self.stream_seconds)
            self.busy = True
            try:
                self.reply.sound("wake")
                await self._conversation(turn)
            finally:
                self.busy = False

    async def _conversation(self, turn: Turn) -> None:
        """One turn after the wake word, then more while the assistant asks questions."""
        asks = await self._turn(turn, self.settings.vad.no_speech_timeout_seconds)
        while asks and self.settings.audio.follow_up_seconds > 0:
            await self.speaker.drained()
            await self._skip_echo_tail()
            follow_up = self.turns.begin("microphone", from_audio=True, follow_up=True)
            asks = await self._turn(follow_up, self.settings.audio.follow_up_seconds)

    async def _skip_echo_tail(self) -> None:
        """Drop what the microphone heard while the reply still rang in the room."""
        deadline = time.monotonic() + self.settings.audio.echo_tail_seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.microphone.frames.get(), deadline - time.monotonic())
        while not self.microphone.frames.empty():
            self.microphone.frames.get_nowait()

    async def _turn(self, turn: Turn, listen_seconds: float) -> bool:
        """Listen, understand, act, start the reply. True when the reply asks a question."""
        frames = self._frames(guard_echo=False)
        result = await self.turns.run(turn, frames, self.reply, listen_seconds=listen_seconds)
        if result.error is None and result.transcript is not None:
            self.stats.turns += 1  # counted once the reply is under way
        return result.error is None and result.expects_answer

    # --- announcements -----------------------------------------------------------------------

    async def _announce(self) -> None:
        queue = self.assembled.skills.announcer.queue
        while True:
            announcement = await queue.get()
            while self.busy or self.speaker.playing:
                await asyncio.sleep(0.1)  # queued behind the turn or reply under way
            if announcement.sound:
                self.reply.sound("alert")
            if announcement.text:
                await self.reply.say(announcement.text)
            self.stats.announcements += 1  # counted once it is on its way to the speaker

    # --- supervision -------------------------------------------------------------------------

    async def _supervise(self, stop: asyncio.Event) -> None:
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
        self._report("microphone lost; reopening")
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
                await asyncio.sleep(min(1.0, self.settings.audio.stall_seconds))
                if not self.microphone.stalled():
                    problem.ended()
                    log.info("microphone back: %s", self.microphone.device_name)
                    self._report(f"listening on {self.microphone.device_name}")
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _REOPEN_SECONDS)

    def _report(self, text: str) -> None:
        if self.notifier is not None:
            self.notifier.status(text)
