"""The hub's side of one satellite's connection.

Events are read with the listener's size limits and handed on: the satellite's `info` to be
admitted (`Reception.admit`), each `detection` to be answered (`Reception.woken`), the audio
that follows as 80 ms frames for the turn, `played` to whoever waits for a reply to end.
Audio is only taken while a turn wants it (`expect_audio` … `stop_audio`), and buffered
meanwhile (a satellite streams while the hub decides who answers, and while another
satellite's turn has the models). Everything sent to the satellite goes through one queue, in
order, whoever sends it.

A link the hub dialed (a stock `wyoming-satellite`, `[[hub.satellites]] uri`) speaks the
protocol as that program and Home Assistant do: the hub asks `describe` and the `info` that
answers admits it under its configured name; its wake word may come as `run-pipeline` alone
(wyoming-satellite 1.0 sends no `detection`), with no measures, so it counts as heard weakly;
and it streams until told `run-satellite` (`transcript` too, but a stand-down has none), not
at `voice-stopped`. It knows nothing of our `chosen`, `stand-down` and `listen`.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Coroutine
from typing import Any, Protocol

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.satellite import RunSatellite
from wyoming.snd import Played
from wyoming.vad import VoiceStopped
from wyoming.wake import Detection

from assistant.audio.format import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE_HZ, Audio
from assistant.audio.stream_resample import StreamResampler
from assistant.config import VadSettings
from assistant.config.hub import SatelliteEntry
from assistant.live.hearing import SILENT_DBFS, WakeHeard
from assistant.live.reply import SpokenReply
from assistant.pipeline.result import Place
from assistant.satellite.protocol import STAND_DOWN, chunk_audio, heard_from, satellite_name
from assistant.wyoming.listener import BoundedEventHandler

log = logging.getLogger(__name__)

_SILENCE_LIMIT_SECONDS = 15.0
"""Our satellites ping every 5 s: one that has said nothing for three pings is gone (a board
that lost power closes nothing)."""


Stream = asyncio.Queue["Audio | None"]
"""The audio of one turn from a satellite: 80 ms frames, then None when it ends."""


class Reception(Protocol):
    """What a link needs of the hub."""

    def admit(self, link: SatelliteLink, name: str) -> str | None:
        """None when the satellite of that name may stay (then its place is set), else what
        to tell it; logged either way."""

    def woken(self, link: SatelliteLink, heard: WakeHeard, stream: Stream) -> None:
        """The satellite heard the wake word; what follows comes on `stream`."""

    def left(self, link: SatelliteLink) -> None:
        """The connection ended."""


class SatelliteLink(BoundedEventHandler):
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reception: Reception,
        vad: VadSettings, dialed: SatelliteEntry | None = None,
    ) -> None:  # fmt: skip
        super().__init__(reader, writer)
        self.reception = reception
        self.dialed = dialed
        """The configured satellite the hub connected to; None for one that connected in."""
        if dialed is None:  # ours: it pings every 5 s (stock ones need not: TCP keepalive)
            self.silence_limit_seconds = _SILENCE_LIMIT_SECONDS
        self.address = self.peer()
        self.place: Place | None = None
        """Set once admitted: its name and room."""
        self.area: str | None = None
        """The area a dialed satellite's `info` gives (wyoming-satellite --area)."""
        self.refusal: str | None = None
        """Why the hub did not admit it, when it did not."""
        self.reply: SpokenReply | None = None
        """Replies and announcements on its speaker, set once admitted."""
        self.wakes = 0
        self.idle = asyncio.Event()
        """No conversation is under way: announcements wait for it."""
        self.idle.set()
        self.played = asyncio.Event()
        """The last sound sent has been played (`played`); cleared as the next one starts."""
        self.closed = asyncio.Event()
        self._outgoing: asyncio.Queue[Event] = asyncio.Queue()
        self._frames: Stream | None = None
        """The stream the satellite's audio goes to now; None while no turn wants it."""
        self._frames_limit = math.ceil(
            (vad.no_speech_timeout_seconds + vad.max_utterance_seconds + 1) / FRAME_SECONDS
        )
        self._pending = np.zeros(0, dtype=np.float32)
        self._resampler: StreamResampler | None = None
        self._pipeline_follows = False
        """A `detection` came: the `run-pipeline` after it is the same wake word."""
        self._malformed: set[str] = set()

    @property
    def name(self) -> str:
        return self.place.satellite if self.place else f"a satellite at {self.address}"

    async def run(self) -> None:
        if self.dialed is not None:
            self.post(Describe().event())  # as Home Assistant opens: its info admits it
        writing = asyncio.create_task(self._write_all(), name="satellite link writer")
        try:
            await super().run()
        finally:
            writing.cancel()
            self.closed.set()

    async def disconnect(self) -> None:
        self.closed.set()
        self._end_stream()
        if self.place is not None:
            self.reception.left(self)

    def post(self, event: Event) -> None:
        """Send, after whatever was posted before."""
        if not self.closed.is_set():
            self._outgoing.put_nowait(event)

    async def _write_all(self) -> None:
        while True:
            event = await self._outgoing.get()
            try:
                await self.write_event(event)
            except (ConnectionError, RuntimeError) as error:
                log.info("hub: %s went away while being sent to (%s)", self.name, error)
                self.closed.set()
                await self.stop()
                return

    # --- the audio a turn listens to -----------------------------------------------------------

    def expect_audio(self) -> Stream:
        """From now on, keep the audio the satellite streams, for a new turn. A stream still
        open ends here: a newer wake word (or the answer the hub asked for) takes over."""
        self._end_stream()
        stream: Stream = asyncio.Queue()
        self._frames = stream
        self._pending = np.zeros(0, dtype=np.float32)
        self._resampler = None
        return stream

    def current(self, stream: Stream) -> bool:
        """Whether the satellite's audio still goes to `stream` (no newer turn took over)."""
        return stream is self._frames

    def stop_audio(self, stream: Stream, *, tell: bool) -> None:
        """No more audio wanted on `stream`; `tell`: the satellite is told to stop streaming.
        Nothing once a newer turn has the satellite's audio: the satellite is its now."""
        if not self.current(stream):
            return
        self._end_stream()
        if tell:
            self.post(VoiceStopped().event())
        if self.dialed is not None:
            self.post(RunSatellite().event())  # the stock satellite's only "stop streaming"

    def stand_down(self, stream: Stream) -> None:
        """Another satellite answers the wake word that began `stream`: stop, silently."""
        if self.current(stream):
            self.stop_audio(stream, tell=False)
            self.post(Event(type=STAND_DOWN))

    def _end_stream(self) -> None:
        frames, self._frames = self._frames, None
        if frames is not None:
            frames.put_nowait(None)

    def _take(self, audio: Audio, rate_hz: int) -> None:
        frames = self._frames
        if frames is None:
            return  # nobody listens: a satellite that stood down, still streaming a moment
        if rate_hz != SAMPLE_RATE_HZ:
            if self._resampler is None:
                self._resampler = StreamResampler(rate_hz, SAMPLE_RATE_HZ)
            audio = self._resampler.process(audio)
        pending = np.concatenate([self._pending, audio])
        whole = len(pending) - len(pending) % FRAME_SAMPLES
        for frame in pending[:whole].reshape(-1, FRAME_SAMPLES):
            if frames.qsize() >= self._frames_limit:
                frames.get_nowait()  # longer than any command: the oldest is no use
            frames.put_nowait(frame.copy())
        self._pending = pending[whole:]

    # --- events --------------------------------------------------------------------------------

    async def handle_event(self, event: Event) -> bool:
        try:
            return await self._handle(event)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # Malformed data (an audio-chunk without its width, …): that event is dropped, the
            # satellite stays; said once per kind of event, not for every chunk.
            if event.type not in self._malformed:
                self._malformed.add(event.type)
                log.warning("hub: %s sent a malformed %s (%r); such events are ignored",
                            self.name, event.type, error)  # fmt: skip
            return True

    async def _handle(self, event: Event) -> bool:
        kind = event.type
        if Ping.is_type(kind):
            self.post(Pong(text=Ping.from_event(event).text).event())
        elif self.place is None:
            return await self._introduced(event)
        elif Detection.is_type(kind):
            self._detected(event)
        elif RunPipeline.is_type(kind):
            self._pipeline(event)
        elif AudioStart.is_type(kind):  # a new stream: nothing carries over from the last
            self._resampler = None
            self._pending = np.zeros(0, dtype=np.float32)
        elif AudioChunk.is_type(kind):
            self._take(*chunk_audio(event))
        elif AudioStop.is_type(kind):
            self._end_stream()
        elif Played.is_type(kind):
            self.played.set()
        else:
            log.debug("hub: %s sent %s; not used", self.name, kind)
        return True

    async def _introduced(self, event: Event) -> bool:
        """Admitted, or told why not (written at once: the connection closes right after)."""
        if self.dialed is not None:
            return self._answered_describe(event)
        name = satellite_name(event) if Info.is_type(event.type) else None
        if name is None:
            log.warning("hub: refused %s: its first event was %r, not an info naming the "
                        "satellite", self.address, event.type)  # fmt: skip
            refusal = "introduce this satellite first (info)"
        else:
            refused = self.reception.admit(self, name)
            if refused is None:
                return True
            refusal = refused
        await self.write_event(Error(text=refusal, code="refused").event())
        return False

    def _answered_describe(self, event: Event) -> bool:
        """A dialed satellite's answer to `describe`: admitted under its configured name."""
        assert self.dialed is not None
        if not Info.is_type(event.type):
            log.debug("hub: %s sent %s before its info; not used", self.dialed.name, event.type)
            return True
        try:
            about = Info.from_event(event).satellite
        except (KeyError, TypeError, ValueError):
            about = None
        if about is None:
            self.refusal = "what answers there is no satellite (its info describes none)"
        else:
            self.area = about.area
            if (refused := self.reception.admit(self, self.dialed.name)) is None:
                return True
            self.refusal = refused
        log.warning("hub: %s at %s: %s", self.dialed.name, self.dialed.uri, self.refusal)
        return False

    def _detected(self, event: Event) -> None:
        try:
            heard = heard_from(event, self.name)
        except ValueError as error:
            log.warning("hub: %s: %s", self.name, error)
            return
        self._woken(heard)
        self._pipeline_follows = True

    def _pipeline(self, event: Event) -> None:
        """The satellite starts a pipeline: after its `detection`, or as the answer the hub
        asked for (`listen`), nothing new; else its wake word (wyoming-satellite 1.0 sends no
        `detection`), heard with no measures."""
        try:
            pipeline = RunPipeline.from_event(event)
        except (KeyError, TypeError, ValueError) as error:
            log.warning("hub: %s: a run-pipeline that is not one (%s)", self.name, error)
            return
        if self._pipeline_follows or self._frames is not None:
            self._pipeline_follows = False
        elif pipeline.start_stage != PipelineStage.ASR:
            stage = pipeline.start_stage.value
            self.refusal = (f"it asks the hub to start at {stage}; the hub takes the audio "
                            "after the wake word: run it with --wake-uri")  # fmt: skip
            log.warning("hub: %s: %s", self.name, self.refusal)
            self.post(Error(text=self.refusal, code="wake-word-on-satellite").event())
        else:
            self._woken(WakeHeard(self.name, "wake word", 0.0, SILENT_DBFS))

    def _woken(self, heard: WakeHeard) -> None:
        self.wakes += 1
        self.reception.woken(self, heard, self.expect_audio())

    async def until_idle(self) -> None:
        """Until no conversation is under way there, or the satellite has gone."""
        await _first(self.idle.wait(), self.closed.wait())

    async def wait_played(self, timeout_seconds: float) -> bool:
        """Until the satellite has played what was sent (or went away, or the time is up)."""
        await _first(self.played.wait(), self.closed.wait(), timeout_seconds=timeout_seconds)
        return self.played.is_set() and not self.closed.is_set()


async def frames(stream: Stream) -> AsyncIterator[Audio]:
    """The frames of `stream` until it ends."""
    while (frame := await stream.get()) is not None:
        yield frame


async def _first(*waits: Coroutine[Any, Any, Any], timeout_seconds: float | None = None) -> None:
    """Until the first of `waits` is done (or the time is up); the others are cancelled."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, timeout=timeout_seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
