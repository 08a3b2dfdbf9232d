"""`assistant run` as the hub of a home with satellites.

The hub listens for its configured satellites (`[[hub.satellites]]`) on `hub.uri`, through the
runtime's secured Wyoming listener (loopback unless configured; the satellites' addresses are
its allow-list), and connects to those that are Wyoming servers themselves (a stock
`wyoming-satellite`, configured with a `uri`; `assistant.hub.dialer`).

Every wake word, from a satellite or from the hub's own microphone, which is
one more satellite, goes to the one `Arbiter`: only the microphone that heard it best answers,
the others stand down silently. The winner's turn runs on the hub's turn engine, with its
`Place` (its name and room), one turn at a time (the models keep state), while the audio of
any other waits in its link. The reply streams back to the satellite that asked.

Announcements (a timer ringing) go where they were asked for: to the satellite of their place,
or, without one, to the hub's own speaker, or to every satellite when the hub has none.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
from collections.abc import Coroutine
from typing import Any

from wyoming.asr import Transcript as HeardTranscript
from wyoming.event import Event
from wyoming.satellite import RunSatellite

from assistant.config import Settings
from assistant.config.hub import HubSettings, SatelliteEntry
from assistant.config.wyoming import client_network, tcp_address
from assistant.errors import ConfigError
from assistant.hub.arbiter import Arbiter
from assistant.hub.dialer import keep_dialing
from assistant.hub.link import SatelliteLink, Stream, frames
from assistant.hub.outlet import SatelliteOutlet
from assistant.live.hearing import WakeHeard
from assistant.live.loop import Membership, warm_up
from assistant.live.reply import SpokenReply
from assistant.live.station import Notifier
from assistant.pipeline.assembly import Assembled
from assistant.pipeline.events import Event as TurnEvent
from assistant.pipeline.events import SpeechEnded, Transcript
from assistant.pipeline.listen import WakeOutcome
from assistant.pipeline.result import Place, Turn
from assistant.pipeline.turn_log import TurnLog
from assistant.satellite.protocol import CHOSEN, listen_event
from assistant.skills.context import Announcement
from assistant.wake.protocol import WakeDetection
from assistant.wyoming.listener import start_listener
from assistant.wyoming.mdns import HUB_SERVICE, announced
from assistant.wyoming.security import ListenerSecurity, is_loopback, listener_security

log = logging.getLogger(__name__)

_REPLY_SECONDS = 120.0
"""The longest a reply plays before the answer to its question is listened for regardless."""


class Hub:
    def __init__(self, assembled: Assembled, settings: Settings, hub: HubSettings) -> None:
        self.assembled = assembled
        self.settings = settings
        self.hub = hub
        self.turns = assembled.turns
        self.arbiter = Arbiter(hub.arbitration_window_seconds, hub.arbitration_rule)
        self.turn_lock = asyncio.Lock()
        self.links: dict[str, SatelliteLink] = {}
        """The satellites connected now, by name."""
        self.own: Membership | None = None
        """The hub's own microphone, as one more satellite (when it has one)."""
        if hub.own_audio:
            self.own = Membership(Place(hub.name, hub.room), self.arbiter, self.turn_lock,
                                  asyncio.Queue(maxsize=32))  # fmt: skip
        self.latencies_ms: collections.deque[float] = collections.deque(maxlen=1000)
        """From the end of speech, as the hub heard it, to the first reply audio sent."""
        self.answered: dict[str, int] = {}
        """Turns run per satellite (the hub's own microphone's are the live loop's)."""
        self.address: tuple[str, int] | None = None
        """Where the listener listens (the port chosen, when the configured one is 0)."""
        self._server: asyncio.Server | None = None
        self.closing = False
        """Stopping: satellites leaving now are no news (logged at info, not warning)."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._context = contextlib.AsyncExitStack()
        """What lasts as long as the hub: its announcement on the network."""

    async def __aenter__(self) -> Hub:
        for name in self.hub.without_room():
            log.warning("%s has no room set: a command heard there names no room; set its "
                        "room in [hub] or [[hub.satellites]]", name)  # fmt: skip
        self._spawn(self._route_announcements())
        if calling := self.hub.calling():
            self._server = await start_listener(self.hub.uri, listener_for(self.hub), self._link)
            host, port = self._server.sockets[0].getsockname()[:2]
            self.address = (str(host), int(port))
            log.info("hub: satellites connect to %s:%d (%s)", host, port,
                     ", ".join(s.name for s in calling))  # fmt: skip
            if self.hub.zeroconf:
                name = f"{self.hub.name} on {socket.gethostname()}"
                await self._context.enter_async_context(announced(HUB_SERVICE, name, host, port))
        for entry in self.hub.satellites:
            if entry.dialed:
                log.info("hub: connecting to satellite %s at %s", entry.name, entry.uri)
                self._spawn(keep_dialing(entry, self._dialed_link))
        return self

    async def __aexit__(self, *_: object) -> None:
        self.closing = True
        await self._context.aclose()
        if self._server is not None:
            self._server.close()
        for link in list(self.links.values()):
            await link.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def serve(self, notifier: Notifier | None) -> None:
        """A hub without a microphone of its own: ready once warm, then only its satellites'
        turns, until stopped. systemd's watchdog hears from it while its event loop runs."""
        self.turns.bus.subscribe(TurnLog())  # what the live loop does when there is one
        await warm_up(self.assembled)
        if notifier is not None:
            notifier.ready(f"serving satellites on {self.hub.uri}")
        interval = notifier.watchdog_interval_seconds() if notifier else None
        while True:
            if notifier is not None:
                notifier.watchdog_ping()
            await asyncio.sleep(interval / 2 if interval else 1.0)

    def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> SatelliteLink:
        return SatelliteLink(reader, writer, self, self.settings.vad)

    def _dialed_link(
        self, entry: SatelliteEntry, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> SatelliteLink:
        return SatelliteLink(reader, writer, self, self.settings.vad, dialed=entry)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name=getattr(work, "__qualname__", None))
        self._tasks.add(task)  # kept referenced until it is done
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("hub: %s failed: %r", task.get_name(), error)

    # --- `assistant.hub.link.Reception` --------------------------------------------------------

    def admit(self, link: SatelliteLink, name: str) -> str | None:
        entry = self.hub.entry(name)
        # `told` is what the satellite hears, `why` the log's fuller reason.
        told: str | None = f"{name} is not admitted this way"
        if entry is None:
            told, why = f"no satellite {name!r} here", "not in [[hub.satellites]]"
        elif entry.dialed != (link.dialed is not None):  # a stock one's name, taken
            why = f"the hub connects to it, at {entry.uri}"
        elif entry.address and not _from(entry.address, link.address):
            why = f"it connects from {entry.address}"
        else:
            told = why = None
        if told is not None:
            log.warning("hub: refused a satellite named %r from %s: %s", name, link.address, why)
            return told
        assert entry is not None
        room = entry.room or link.area  # a stock satellite's own --area, when none is set here
        link.place = Place(name, room)
        outlet = SatelliteOutlet(link, self.settings.audio)
        link.reply = SpokenReply(self.assembled.engines, outlet, latencies_ms=self.latencies_ms)
        if (earlier := self.links.get(name)) is not None:
            log.info("hub: %s connected again; the earlier connection is closed", name)
            self._spawn(earlier.stop())
        self.links[name] = link
        self.arbiter.listening(name, True)
        link.post(RunSatellite().event())
        where = f"at {entry.uri}" if entry.dialed else f"from {link.address}"
        log.info("hub: satellite %s connected %s (room %s)", name, where,
                 room or "not set")  # fmt: skip
        return None

    def left(self, link: SatelliteLink) -> None:
        name = link.name
        if self.links.get(name) is link:
            del self.links[name]
            self.arbiter.listening(name, False)
            log.log(logging.INFO if self.closing else logging.WARNING,
                    "hub: satellite %s disconnected", name)  # fmt: skip

    def woken(self, link: SatelliteLink, heard: WakeHeard, stream: Stream) -> None:
        if link.reply is not None:
            link.reply.interrupt()  # barge-in: the satellite has stopped playing it
        self._spawn(self._answer(link, heard, stream))

    # --- a satellite's conversation ----------------------------------------------------------
    # A newer wake word at the same satellite takes over from a conversation under way there
    # (barge-in, or a wake word just as the hub asks to listen): its audio goes to the newer
    # stream, and the older one ends with what it had, and touches the link no more.

    async def _answer(self, link: SatelliteLink, heard: WakeHeard, stream: Stream) -> None:
        wakes = link.wakes
        self.arbiter.listening(heard.satellite, False)
        try:
            if not await self.arbiter.contend(heard):
                link.stand_down(stream)
                return
            if link.wakes == wakes:
                link.post(Event(type=CHOSEN))
                await self._converse(link, heard, stream)
        finally:
            link.stop_audio(stream, tell=True)
            if self.links.get(heard.satellite) is link and link.wakes == wakes:
                self.arbiter.listening(heard.satellite, True)

    async def _converse(self, link: SatelliteLink, heard: WakeHeard, stream: Stream) -> None:
        """The turn after the wake word, then more while the hub asks questions."""
        wakes, place = link.wakes, link.place
        detection = WakeDetection(heard.model, heard.score, 0.0)
        wake = WakeOutcome(detection, heard.score, 0.0)  # scored on the satellite
        vad, audio = self.settings.vad, self.settings.audio
        link.idle.clear()
        try:
            async with self.turn_lock:  # its audio waits in `stream` meanwhile
                turn = self.turns.begin(f"satellite {heard.satellite}", from_audio=True,
                                        place=place)  # fmt: skip
                self.turns.note_wake(turn, wake, stream_seconds=0.0)
                asks = await self._turn(link, turn, stream, vad.no_speech_timeout_seconds)
            # A stock satellite cannot be told to listen: its answer comes after a wake word.
            follows = audio.follow_up_seconds > 0 and link.dialed is None
            while asks and follows and not link.closed.is_set():
                if not await link.wait_played(_REPLY_SECONDS) or link.wakes != wakes:
                    return  # gone, or a newer wake word there has taken over
                answer = link.expect_audio()
                link.post(listen_event(audio.follow_up_seconds))
                async with self.turn_lock:
                    follow_up = self.turns.begin(f"satellite {heard.satellite}", from_audio=True,
                                                 follow_up=True, place=place)  # fmt: skip
                    asks = await self._turn(link, follow_up, answer, audio.follow_up_seconds)
        finally:
            if link.wakes == wakes:
                link.idle.set()

    async def _turn(
        self, link: SatelliteLink, turn: Turn, stream: Stream, listen_seconds: float
    ) -> bool:
        """One turn on the satellite's audio. True when the reply asks a question."""

        def relay(event: TurnEvent) -> None:
            if event.turn_id != turn.id:
                return
            if isinstance(event, SpeechEnded):
                link.stop_audio(stream, tell=True)  # heard the end: it may stop streaming
            elif isinstance(event, Transcript):
                link.post(HeardTranscript(text=event.text).event())

        assert link.reply is not None  # set when it was admitted
        unsubscribe = self.turns.bus.subscribe(relay)
        try:
            result = await self.turns.run(
                turn, frames(stream), link.reply, listen_seconds=listen_seconds
            )
        finally:
            unsubscribe()
            link.stop_audio(stream, tell=True)
        name = link.name
        self.answered[name] = self.answered.get(name, 0) + 1
        return result.error is None and result.expects_answer

    # --- announcements -----------------------------------------------------------------------

    async def _route_announcements(self) -> None:
        queue = self.assembled.skills.announcer.queue
        while True:
            announcement = await queue.get()
            place = announcement.place
            if place is not None and place.satellite in self.links:
                self._spawn(self._announce(self.links[place.satellite], announcement))
            elif self.own is not None:  # its own, or a satellite's that is not connected now
                if self.own.announcements.full():
                    self.own.announcements.get_nowait()  # as the announcer does: oldest out
                self.own.announcements.put_nowait(announcement)
            else:
                for link in self.links.values():
                    self._spawn(self._announce(link, announcement))

    async def _announce(self, link: SatelliteLink, announcement: Announcement) -> None:
        await link.until_idle()  # queued behind the conversation under way there
        if link.reply is None or link.closed.is_set():
            return
        if announcement.sound:
            link.reply.sound("alert")
        if announcement.text:
            await link.reply.say(announcement.text)


def listener_for(hub: HubSettings) -> ListenerSecurity:
    """Who may connect as a satellite: the satellites' addresses are the allow-list; a
    ConfigError for a listener beyond loopback without one (or without TLS and a secret)."""
    addresses = [s.address for s in hub.calling() if s.address]
    if not is_loopback(tcp_address(hub.uri)[0]) and not addresses and hub.secret is None:
        # The listener's own words would name hub.allow: here the allow-list is the addresses.
        raise ConfigError(
            f"hub.uri {hub.uri} listens beyond this machine, and Wyoming has no "
            "authentication: set the address of each of [[hub.satellites]], or hub.tls_cert, "
            "hub.tls_key and hub.secret, or listen on 127.0.0.1"
        )
    secret = hub.secret.get_secret_value() if hub.secret else None
    return listener_security(
        hub.uri,
        allow=addresses,
        tls_cert=hub.tls_cert,
        tls_key=hub.tls_key,
        secret=secret,
        what="hub",
        allow_setting="the addresses of [[hub.satellites]]",
    )


def _from(network: str, address: str) -> bool:
    """Whether a client at `address` is in `network` (a satellite's configured address)."""
    return ListenerSecurity((client_network(network),), None, None, "hub").admits(address)
