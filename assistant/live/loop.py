"""`assistant run`: the voice assistant people talk to.

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
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import AssistantError, NoSpeech
from assistant.events import SpeakingStarted, SpeechEnded, Transcript, TurnStarted, WakeDetected
from assistant.live.backend import AudioBackend, AudioDeviceError
from assistant.live.capture import MODEL_RATE_HZ, Frame, Microphone
from assistant.live.earcons import RATE_HZ as EARCON_RATE_HZ
from assistant.live.earcons import earcon
from assistant.live.echo import EchoGuard
from assistant.live.playback import Speaker
from assistant.pipeline.assembly import Assembled
from assistant.pipeline.listen import capture_utterance, wait_for_wake
from assistant.pipeline.result import TurnResult
from assistant.pipeline.turn import APOLOGIES, GENERIC_APOLOGY
from assistant.wake.detector import FRAME_SAMPLES

log = logging.getLogger(__name__)

_FRAME_SECONDS = FRAME_SAMPLES / MODEL_RATE_HZ
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
        self.runner = assembled.runner
        self.microphone = Microphone(backend, settings.audio)
        self.speaker = Speaker(backend, settings.audio)
        self.echo = EchoGuard()
        self.notifier = notifier
        self.stats = LiveStats()
        self.busy = False
        """A turn is under way: announcements wait."""
        self.listening_for_wake = asyncio.Event()
        self._progress_monotonic = time.monotonic()
        self._captured_frames = 0
        self._reply_started: asyncio.Task[None] | None = None
        self._interrupted = 0
        """Counts barge-ins; a reply still being synthesized stops when it changes."""

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
        """One pass through transcription and synthesis: their first call is about twice as
        slow (allocations, caches), and that should not be the first person's wait."""
        silence = np.zeros(MODEL_RATE_HZ, dtype=np.float32)
        await self.engines.run("stt", self.engines.stt.transcribe, silence)
        await self.engines.run("tts", self.engines.tts.speak_all, "Ready.")

    async def _open_until(self, stop: asyncio.Event, opener: Callable[[], None], what: str) -> None:
        while not stop.is_set():
            try:
                opener()
                return
            except AudioDeviceError as error:
                log.error("%s; trying again in %.0f s", error.message, _REOPEN_SECONDS)
                self._report(f"no {what}: {error.message}")
                if self.notifier is not None:
                    # Waiting for a device is not a hang: a board booted without its
                    # microphone must not be restarted by the watchdog every half minute.
                    self.notifier.watchdog_ping()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _REOPEN_SECONDS)

    async def _frames(self, *, guard_echo: bool) -> AsyncIterator[Frame]:
        """The microphone's frames, for as long as the consumer wants them. For the wake word
        the assistant's own voice is muted while it speaks and for `echo_tail_seconds`."""
        while True:
            frame = await self.microphone.frames.get()
            self._captured_frames += 1
            self._progress_monotonic = time.monotonic()
            if guard_echo and self.speaker.recently_played(self.settings.audio.echo_tail_seconds):
                frame = self.echo.filter(frame, self.speaker.reference())
            yield frame

    def _stream_seconds(self) -> float:
        """Position of the last frame taken from the microphone, in seconds of audio."""
        return self._captured_frames * _FRAME_SECONDS

    # --- the listening task --------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            self.listening_for_wake.set()
            wake = await wait_for_wake(self._frames(guard_echo=True), self.engines)
            self.listening_for_wake.clear()
            detection = wake.detection
            if detection is None:
                continue
            if self.speaker.playing:
                self._interrupted += 1  # the reply's remaining sentences are not wanted
                self.speaker.stop()
                self.stats.barge_ins += 1
                log.info("barge-in: the reply was interrupted")
            turn_id = uuid.uuid4().hex[:12]
            self.runner.bus.publish(TurnStarted(turn_id, "microphone"))
            self.runner.bus.publish(
                WakeDetected(turn_id, detection.model, detection.score,
                             self._stream_seconds(), wake.elapsed_ms)
            )  # fmt: skip
            await self._conversation(turn_id)

    async def _conversation(self, turn_id: str) -> None:
        """One turn after the wake word, then more while the assistant asks questions."""
        self.busy = True
        try:
            self._earcon("wake")
            asks = await self._turn(turn_id, self.settings.vad.no_speech_timeout_seconds)
            while asks and self.settings.audio.follow_up_seconds > 0:
                await self.speaker.drained()
                await self._skip_echo_tail()
                turn_id = uuid.uuid4().hex[:12]
                asks = await self._turn(turn_id, self.settings.audio.follow_up_seconds,
                                        follow_up=True)  # fmt: skip
        finally:
            self.busy = False

    async def _skip_echo_tail(self) -> None:
        """Drop what the microphone heard while the reply still rang in the room."""
        deadline = time.monotonic() + self.settings.audio.echo_tail_seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.microphone.frames.get(), deadline - time.monotonic())
        while not self.microphone.frames.empty():
            self.microphone.frames.get_nowait()

    async def _turn(self, turn_id: str, wait_seconds: float, *, follow_up: bool = False) -> bool:
        """Listen, understand, act, start the reply. True when the reply asks a question."""
        result = TurnResult(input="microphone", from_audio=True)
        started = time.perf_counter()
        vad = self.settings.vad.model_copy(update={"no_speech_timeout_seconds": wait_seconds})
        try:
            utterance = await capture_utterance(self._frames(guard_echo=False), self.engines, vad)
            end_of_speech = time.monotonic() - (utterance.endpoint_seconds
                                                - utterance.speech_end_seconds)  # fmt: skip
            self.runner.bus.publish(
                SpeechEnded(turn_id, utterance.speech_start_seconds, utterance.speech_end_seconds,
                            utterance.endpoint_seconds, utterance.reason, utterance.elapsed_ms)
            )  # fmt: skip
            stt_started = time.perf_counter()
            transcript = await self.engines.run(
                "stt", self.engines.stt.transcribe, utterance.audio, self.runner.vocabulary()
            )
            result.timings_ms["stt"] = (time.perf_counter() - stt_started) * 1000
            result.transcript = transcript.text
            self.runner.bus.publish(Transcript(turn_id, transcript.text, result.timings_ms["stt"]))
            if not transcript.text:
                raise NoSpeech("speech was detected but nothing intelligible was said")
            understood = await self.runner.understand(turn_id, result, transcript.text)
        except NoSpeech as error:
            if follow_up:
                return False  # no answer in the window: back to waiting for the wake word
            self._earcon("error")
            self.runner.finish(turn_id, result, started, error=error)
            return False
        except AssistantError as error:
            log.warning("turn failed: %s", error.message)
            result.response = APOLOGIES.get(error.code, GENERIC_APOLOGY)
            await self._reply(turn_id, result, None)
            self.runner.finish(turn_id, result, started, error=error)
            return False
        confirmed = bool(result.actions) and all(a.get("confirmed") for a in result.actions)
        if self.settings.audio.done_sound_only and confirmed and not understood.expects_answer:
            self._earcon("done")
            self.stats.latencies_ms.append((time.monotonic() - end_of_speech) * 1000)
        else:
            await self._reply(turn_id, result, end_of_speech)
        self.runner.finish(turn_id, result, started)
        self.stats.turns += 1  # counted once the reply is under way
        return understood.expects_answer

    # --- speaking ----------------------------------------------------------------------------

    def _earcon(self, name: str) -> None:
        if self.settings.audio.earcons:
            self.speaker.play(earcon(name), EARCON_RATE_HZ)

    async def _reply(self, turn_id: str, result: TurnResult, end_of_speech: float | None) -> None:
        """Queue the reply sentence by sentence; returns once the first sentence is queued
        (the rest keeps synthesizing in the background) so barge-in stays possible."""
        if not result.response:
            return
        first = asyncio.get_running_loop().create_future()
        self._reply_started = asyncio.create_task(
            self._synthesize(turn_id, result.response, first, end_of_speech)
        )
        await first

    async def _synthesize(
        self, turn_id: str, text: str, first: asyncio.Future[None], end_of_speech: float | None
    ) -> None:
        tts = self.engines.tts
        started = time.perf_counter()
        sentences = iter(tts.synthesize(text))
        queued = 0
        interrupted = self._interrupted
        try:
            while (chunk := await self.engines.run("tts", next, sentences, None)) is not None:
                if self._interrupted != interrupted:
                    break  # stopped by barge-in: the rest is not wanted
                self.speaker.play(chunk.audio, tts.output_sample_rate_hz)
                if not queued:
                    first_ms = (time.perf_counter() - started) * 1000
                    self.runner.bus.publish(SpeakingStarted(turn_id, text, first_ms))
                    if end_of_speech is not None:
                        # The speaker's buffer is filled within one block of being queued.
                        self.stats.latencies_ms.append((time.monotonic() - end_of_speech) * 1000)
                    if not first.done():  # the turn may have been cancelled meanwhile
                        first.set_result(None)
                queued += 1
        except AssistantError as error:
            log.error("the reply could not be spoken: %s", error.message)
            self._earcon("error")
        finally:
            if not first.done():
                first.set_result(None)

    # --- announcements -----------------------------------------------------------------------

    async def _announce(self) -> None:
        queue = self.assembled.skills.announcer.queue
        while True:
            announcement = await queue.get()
            while self.busy or self.speaker.playing:
                await asyncio.sleep(0.1)  # queued behind the turn or reply under way
            self.stats.announcements += 1
            if announcement.sound:
                self._earcon("alert")
            if announcement.text:
                result = TurnResult(input="announcement", from_audio=False)
                result.response = announcement.text
                await self._reply(uuid.uuid4().hex[:12], result, None)

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
        while not stop.is_set():
            self._progress_monotonic = time.monotonic()  # recovering is progress
            if self.notifier is not None:
                self.notifier.watchdog_ping()
            try:
                self.microphone.reopen()
            except AudioDeviceError as error:
                log.warning("microphone still unavailable: %s", error.message)
            else:
                # Give the new stream a moment to deliver; a device that opens but stays
                # silent counts as still gone.
                await asyncio.sleep(min(1.0, self.settings.audio.stall_seconds))
                if not self.microphone.stalled():
                    log.info("microphone back: %s", self.microphone.device_name)
                    self._report(f"listening on {self.microphone.device_name}")
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _REOPEN_SECONDS)

    def _report(self, text: str) -> None:
        if self.notifier is not None:
            self.notifier.status(text)
