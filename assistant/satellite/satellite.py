"""`assistant satellite`: a small board with a microphone and a speaker, in one room of a home
whose hub (`assistant run`) transcribes, understands, acts and answers.

The satellite listens for the wake word itself (openWakeWord, with the echo guard, exactly as
`assistant run` does: the same `AudioStation`), measures how well it heard it, and tells the
hub (`protocol`). While the hub decides which satellite answers, it already streams what
follows, so deciding costs no words. Chosen, it chimes; told to stand down, it goes back to the
wake word without a sound. It stops streaming when its own voice detector hears the command
end (Silero, through the pipeline's own endpointing), so neither the network nor the hub
carries the silence after it, or sooner, when the hub says it has heard the end. The reply is
played as it streams back, and the wake word interrupts it (barge-in).

Without its hub, a wake word gets the error sound; the connection is tried again with backoff
(`connection`), and the satellite carries on once it is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.snd import Played

from assistant.audio.format import SAMPLE_RATE_HZ, Audio
from assistant.config import Settings
from assistant.config.hub import SatelliteSettings
from assistant.engines import Engines
from assistant.errors import NoSpeech
from assistant.live.backend import AudioBackend
from assistant.live.hearing import RecentAudio, WakeHeard
from assistant.live.station import AudioStation, Notifier, StationStats
from assistant.pipeline.listen import WakeOutcome, capture_utterance, wait_for_wake
from assistant.satellite.connection import HubConnection
from assistant.satellite.player import ReplyPlayer
from assistant.satellite.protocol import (
    CHOSEN,
    LISTEN,
    STAND_DOWN,
    audio_chunk,
    audio_start,
    chunk_audio,
    chunk_rate,
    detection_event,
)

log = logging.getLogger(__name__)

_LONGEST_LISTEN_SECONDS = 60.0


@dataclass
class SatelliteStats(StationStats):
    wakes: int = 0
    chosen: int = 0
    stand_downs: int = 0
    unconnected_wakes: int = 0
    """Wake words heard while the hub was away: each got the error sound."""
    commands: int = 0
    """Commands (and answers to questions) streamed to the hub."""


class Satellite:
    def __init__(
        self, engines: Engines, settings: Settings, satellite: SatelliteSettings,
        backend: AudioBackend, notifier: Notifier | None = None,
    ) -> None:  # fmt: skip
        self.engines = engines
        self.settings = settings
        self.name = satellite.name
        self.stats = SatelliteStats()
        self.station = AudioStation(backend, settings.audio, notifier, self.stats)
        self.notifier = notifier
        self.player = ReplyPlayer(self.station.speaker)
        self.hub = HubConnection(satellite, satellite.name, engines.wake.models, self._on_event)
        self.listening_for_wake = asyncio.Event()
        self._recent = RecentAudio()
        self._follow_ups: asyncio.Queue[float] = asyncio.Queue()
        """Requests from the hub to stream an answer without a wake word, for so many seconds."""
        self._hub_ended: asyncio.Event | None = None
        """Set when the hub ends the command being streamed."""
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until `stop` is set (or forever); a missing microphone or speaker is waited for."""
        stop = stop or asyncio.Event()
        if self.notifier is not None:
            self.notifier.ready("models loaded; opening audio")
        await self.station.open(stop)
        tasks = [
            asyncio.create_task(self._listen(), name="listen"),
            asyncio.create_task(self.hub.run(stop), name="hub"),
            asyncio.create_task(self.station.supervise(stop), name="supervise"),
        ]
        self.station.report(f"listening on {self.station.microphone.device_name}")
        try:
            await stop.wait()
        finally:
            if self.notifier is not None:
                self.notifier.stopping()
            for task in [*tasks, *self._tasks]:
                task.cancel()
            await asyncio.gather(*tasks, *self._tasks, return_exceptions=True)
            self.station.close()

    # --- listening ---------------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            self.listening_for_wake.set()
            woken = asyncio.ensure_future(self._wait_for_wake())
            asked = asyncio.ensure_future(self._follow_ups.get())
            try:
                await asyncio.wait({woken, asked}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self.listening_for_wake.clear()
                for task in (woken, asked):
                    task.cancel()
                await asyncio.gather(woken, asked, return_exceptions=True)
            if asked.done() and not asked.cancelled():
                await self._answer(asked.result())
            elif woken.done() and not woken.cancelled():
                while not self._follow_ups.empty():  # a new command: no older question stands
                    self._follow_ups.get_nowait()
                await self._woken(woken.result())

    async def _wait_for_wake(self) -> WakeOutcome:
        frames = self._recent.through(self.station.frames(guard_echo=True))
        return await wait_for_wake(frames, self.engines)

    async def _woken(self, wake: WakeOutcome) -> None:
        detection = wake.detection
        if detection is None:
            return
        self.stats.wakes += 1
        if self.station.speaker.playing:
            self.player.interrupt()  # barge-in: the rest of the reply is not wanted
        heard = WakeHeard(self.name, detection.model, detection.score, self._recent.level_dbfs())
        stamp_ms = round(self.station.stream_seconds * 1000)
        pipeline = RunPipeline(PipelineStage.ASR, PipelineStage.TTS, wake_word_name=heard.model)
        sent = await self.hub.send(
            detection_event(heard, stamp_ms), pipeline.event(), audio_start(SAMPLE_RATE_HZ)
        )
        if not sent:
            self.stats.unconnected_wakes += 1
            log.warning("heard the wake word, but is not connected to the hub (%s)",
                        self.hub.settings.hub_uri)  # fmt: skip
            self.station.sound("error")
            return
        await self._stream_command(self.settings.vad.no_speech_timeout_seconds)

    async def _answer(self, listen_seconds: float) -> None:
        """After the hub's question: the answer, without a wake word, once the question's
        sound has died away."""
        await self.station.speaker.drained()
        await self.station.skip_echo_tail()
        pipeline = RunPipeline(PipelineStage.ASR, PipelineStage.TTS)
        if await self.hub.send(pipeline.event(), audio_start(SAMPLE_RATE_HZ)):
            await self._stream_command(listen_seconds)

    async def _stream_command(self, listen_seconds: float) -> None:
        """Stream the microphone to the hub until this board's voice detector hears the end
        of the command (or nobody speaks within `listen_seconds`), or the hub ends it."""
        self.stats.commands += 1
        hub_ended = self._hub_ended = asyncio.Event()
        vad = self.settings.vad.model_copy(update={"no_speech_timeout_seconds": listen_seconds})
        frames = self._streamed(self.station.frames(guard_echo=False), hub_ended)
        capture = asyncio.ensure_future(capture_utterance(frames, self.engines, vad))
        ended = asyncio.ensure_future(hub_ended.wait())
        self.station.busy = True
        try:
            await asyncio.wait({capture, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.station.busy = False
            self._hub_ended = None
            for task in (capture, ended):
                task.cancel()
            await asyncio.gather(capture, ended, return_exceptions=True)
        if capture.done() and not capture.cancelled():
            failure = capture.exception()
            if failure is not None and not isinstance(failure, NoSpeech):
                log.error("the end of speech could not be judged here: %s", failure)
        if not await self.hub.send(AudioStop().event()):
            self.station.sound("error")  # someone was talking, and the hub went away

    async def _streamed(
        self, frames: AsyncIterator[Audio], hub_ended: asyncio.Event
    ) -> AsyncIterator[Audio]:
        """The frames, each sent to the hub on its way; they end if the hub goes away."""
        async for frame in frames:
            if not await self.hub.send(audio_chunk(frame)):
                hub_ended.set()
                return
            yield frame

    # --- what the hub says -------------------------------------------------------------------

    async def _on_event(self, event: Event) -> None:
        kind = event.type
        if kind == CHOSEN:
            self.stats.chosen += 1
            self.station.sound("wake")
        elif kind == STAND_DOWN:
            self.stats.stand_downs += 1
            self._end_stream()
        elif kind in ("voice-stopped", "transcript"):
            self._end_stream()
        elif Error.is_type(kind):
            log.warning("the hub: %s", Error.from_event(event).text)
            self._end_stream()
        elif AudioStart.is_type(kind):
            self.player.start(chunk_rate(event))
        elif AudioChunk.is_type(kind):
            self.player.chunk(chunk_audio(event)[0])
        elif AudioStop.is_type(kind):
            self.player.end()
            self._spawn(self._played())
        elif kind == LISTEN:
            if self._hub_ended is not None:
                return  # asked before it heard the wake word this command came with: stale
            self._follow_ups.put_nowait(self._listen_seconds(event))

    def _listen_seconds(self, event: Event) -> float:
        """How long `listen` says to wait for the answer; the configured time if it says no
        (sensible) number."""
        seconds = (event.data or {}).get("seconds")
        if isinstance(seconds, int | float) and 0 < seconds <= _LONGEST_LISTEN_SECONDS:
            return float(seconds)
        return self.settings.audio.follow_up_seconds

    def _end_stream(self) -> None:
        if self._hub_ended is not None:
            self._hub_ended.set()

    async def _played(self) -> None:
        """Tell the hub once what it sent has been heard (it waits for this to ask again)."""
        await self.station.speaker.drained()
        await self.hub.send(Played().event())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)  # kept referenced until it is done
        task.add_done_callback(self._tasks.discard)
