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

In a home with satellites (`assistant.hub`), this microphone is one of them: a wake word it
hears is put to the hub's arbitration first, and only if it is the one that answers does it
chime and listen; its turns carry its place, take their turn at the models with the
satellites', and the hub routes announcements to it.

A second task speaks what skills announce (timers, alerts) whenever no turn is under way; a
third supervises the microphone and systemd's watchdog (`station`).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass, field

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ
from assistant.config import Settings
from assistant.live.backend import AudioBackend
from assistant.live.capture import Microphone
from assistant.live.echo import EchoGuard
from assistant.live.hearing import Floor, RecentAudio, WakeHeard
from assistant.live.playback import Speaker
from assistant.live.reply import SpokenReply
from assistant.live.station import AudioStation, Notifier, StationStats
from assistant.pipeline.assembly import Assembled
from assistant.pipeline.listen import WakeOutcome
from assistant.pipeline.result import Place, Turn
from assistant.pipeline.turn_log import TurnLog
from assistant.skills.context import Announcement
from assistant.understanding.utterance import Utterance

log = logging.getLogger(__name__)


@dataclass
class LiveStats(StationStats):
    turns: int = 0
    barge_ins: int = 0
    announcements: int = 0
    latencies_ms: collections.deque[float] = field(
        default_factory=lambda: collections.deque(maxlen=1000)
    )
    """From the end of speech (as the microphone delivered it) to the first reply sample; the
    last thousand turns, so a long run does not grow."""


@dataclass
class Membership:
    """How this microphone takes part in a home with satellites, as the hub arranges it."""

    place: Place
    floor: Floor
    """The arbitration of wake words heard by several microphones."""
    turn_lock: asyncio.Lock
    """One turn at a time: the hub's models (the voice detector above all) keep state."""
    announcements: asyncio.Queue[Announcement]
    """What the hub routes to this speaker."""


async def warm_up(assembled: Assembled) -> None:
    """One pass through transcription, synthesis and the rules: their first call is much slower
    (allocations, caches, the rules compiled from the skills' templates: 0.4–1.1 s), and that
    should not be the first person's wait. Judging a sentence acts on nothing."""
    engines = assembled.engines
    silence = np.zeros(SAMPLE_RATE_HZ, dtype=np.float32)
    await engines.run("stt", engines.stt.transcribe, silence)
    await engines.run("tts", engines.tts.speak_all, "Ready.")
    assembled.turns.brain.settled(Utterance.of("turn on the light"))


class LiveAssistant:
    def __init__(
        self, assembled: Assembled, settings: Settings, backend: AudioBackend,
        notifier: Notifier | None = None, *, membership: Membership | None = None,
    ) -> None:  # fmt: skip
        self.assembled = assembled
        self.settings = settings
        self.engines = assembled.engines
        self.turns = assembled.turns
        self.turns.bus.subscribe(TurnLog())  # one line per turn; no words said or heard
        self.stats = LiveStats()
        self.station = AudioStation(backend, settings.audio, notifier, self.stats)
        self.reply = SpokenReply(self.engines, self.station, latencies_ms=self.stats.latencies_ms)
        self.notifier = notifier
        self.membership = membership
        self.listening_for_wake = asyncio.Event()
        self._recent = RecentAudio()
        self._turn_lock = membership.turn_lock if membership else asyncio.Lock()

    @property
    def microphone(self) -> Microphone:
        return self.station.microphone

    @property
    def speaker(self) -> Speaker:
        return self.station.speaker

    @property
    def echo(self) -> EchoGuard:
        return self.station.echo

    @property
    def stream_seconds(self) -> float:
        """How much microphone audio the loop has taken in so far, in seconds."""
        return self.station.stream_seconds

    # --- running -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until `stop` is set (or forever). Ready for systemd once the models are loaded and
        warm; a microphone or speaker missing at start-up is waited for, not fatal."""
        stop = stop or asyncio.Event()
        await warm_up(self.assembled)
        if self.notifier is not None:
            self.notifier.ready("models loaded; opening audio")
        await self.station.open(stop)
        tasks = [
            asyncio.create_task(self._listen(), name="listen"),
            asyncio.create_task(self._announce(), name="announce"),
            asyncio.create_task(self.station.supervise(stop), name="supervise"),
        ]
        self.station.report(f"listening on {self.microphone.device_name}")
        try:
            await stop.wait()
        finally:
            if self.notifier is not None:
                self.notifier.stopping()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.station.close()

    # --- the listening task --------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            wake = await self._wait_for_wake()
            if wake.detection is None:
                continue
            if self.speaker.playing:
                self.reply.interrupt()  # the reply's remaining sentences are not wanted
                self.stats.barge_ins += 1
                log.info("barge-in: the reply was interrupted")
            if not await self._answers(wake):
                continue  # another microphone heard it better: back to the wake word, silently
            place = self.membership.place if self.membership else None
            turn = self.turns.begin("microphone", from_audio=True, place=place)
            self.turns.note_wake(turn, wake, stream_seconds=self.stream_seconds)
            self.station.busy = True
            try:
                self.reply.sound("wake")
                await self._conversation(turn)
            finally:
                self.station.busy = False

    async def _wait_for_wake(self) -> WakeOutcome:
        self._listening(True)
        try:
            frames = self._recent.through(self.station.frames(guard_echo=True))
            return await self.turns.wait_for_wake(frames)
        finally:
            self._listening(False)

    def _listening(self, listening: bool) -> None:
        if listening:
            self.listening_for_wake.set()
        else:
            self.listening_for_wake.clear()
        if self.membership is not None:
            self.membership.floor.listening(self.membership.place.satellite, listening)

    async def _answers(self, wake: WakeOutcome) -> bool:
        """Whether this microphone answers the wake word it heard (always, alone)."""
        detection = wake.detection
        if self.membership is None or detection is None:
            return True
        heard = WakeHeard(self.membership.place.satellite, detection.model, detection.score,
                          self._recent.level_dbfs())  # fmt: skip
        return await self.membership.floor.contend(heard)

    async def _conversation(self, turn: Turn) -> None:
        """One turn after the wake word, then more while the assistant asks questions."""
        asks = await self._turn(turn, self.settings.vad.no_speech_timeout_seconds)
        while asks and self.settings.audio.follow_up_seconds > 0:
            await self.speaker.drained()
            await self.station.skip_echo_tail()
            follow_up = self.turns.begin(
                "microphone", from_audio=True, follow_up=True, place=turn.place
            )
            asks = await self._turn(follow_up, self.settings.audio.follow_up_seconds)

    async def _turn(self, turn: Turn, listen_seconds: float) -> bool:
        """Listen, understand, act, start the reply. True when the reply asks a question."""
        frames = self.station.frames(guard_echo=False)  # kept meanwhile by the microphone
        async with self._turn_lock:  # a satellite's turn may have the models now
            result = await self.turns.run(turn, frames, self.reply, listen_seconds=listen_seconds)
        if result.error is None and result.transcript is not None:
            self.stats.turns += 1  # counted once the reply is under way
        return result.error is None and result.expects_answer

    # --- announcements -----------------------------------------------------------------------

    async def _announce(self) -> None:
        membership = self.membership
        queue = membership.announcements if membership else self.assembled.skills.announcer.queue
        while True:
            announcement = await queue.get()
            while self.station.busy or self.speaker.playing:
                await asyncio.sleep(0.1)  # queued behind the turn or reply under way
            if announcement.sound:
                self.reply.sound("alert")
            if announcement.text:
                await self.reply.say(announcement.text)
            self.stats.announcements += 1  # counted once it is on its way to the speaker
