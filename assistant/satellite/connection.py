"""A satellite's connection to its hub, kept up for as long as the satellite runs.

It connects (over TLS, sending the shared secret first, when configured), introduces the
satellite (`info`), and hands every event from the hub to the satellite. A connection that
ends, fails, or stays silent past `_SILENT_SECONDS` (a hub that vanished without closing it:
pings go unanswered) is given up and tried again with exponential backoff, from
`reconnect_min_seconds` doubling to `reconnect_max_seconds`, with jitter so that a house of
satellites does not knock in lockstep when the hub comes back. Nothing needs a restart.
With `hub_uri = "zeroconf"`, the hub is looked for on the network before every connection
(`assistant.wyoming.mdns`), so a hub that moved to another address is found there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Awaitable, Callable

from wyoming.error import Error
from wyoming.event import Event
from wyoming.ping import Ping, Pong

from assistant.config.hub import SatelliteSettings
from assistant.config.wyoming import tcp_address
from assistant.live.repeated import RepeatedProblem
from assistant.satellite.protocol import satellite_info
from assistant.wyoming.client import SecureTcpClient, client_tls_context
from assistant.wyoming.mdns import HUB_SERVICE, find

log = logging.getLogger(__name__)

_CONNECT_SECONDS = 5.0
_FIND_SECONDS = 5.0
_PING_SECONDS = 5.0
_SILENT_SECONDS = 3 * _PING_SECONDS

EventHandler = Callable[[Event], Awaitable[None]]


class HubConnection:
    def __init__(
        self, settings: SatelliteSettings, name: str, wake_words: list[str],
        on_event: EventHandler,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.name = name
        self.address: tuple[str, int] | None = (
            None if settings.finds_hub else tcp_address(settings.hub_uri)
        )
        """Where the hub is: configured, or found on the network (then at the last look)."""
        self.wake_words = wake_words
        self.on_event = on_event
        self.connected = asyncio.Event()
        """Introduced to the hub and accepted by it (`run-satellite` came)."""
        self.connections = 0
        """Connections made so far (a reconnection counts again)."""
        self._client: SecureTcpClient | None = None
        self._tls: ssl.SSLContext | None = (
            client_tls_context(settings.tls_ca) if settings.tls else None
        )

    async def send(self, *events: Event) -> bool:
        """Send to the hub; False when not connected, or the connection broke on the way."""
        client = self._client
        if client is None or not self.connected.is_set():
            return False
        try:
            for event in events:
                await client.write_event(event)
        except (ConnectionError, RuntimeError, ssl.SSLError) as error:
            log.info("the hub connection broke while sending: %s", error)
            self._lost()
            return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, and connect again after every loss, until `stop`."""
        delay = self.settings.reconnect_min_seconds
        problem = RepeatedProblem(log, f"hub {self.settings.hub_uri}")
        stopping = asyncio.ensure_future(stop.wait())
        session: asyncio.Future[str | None] | None = None
        try:
            while not stop.is_set():
                accepted_before = self.connections
                session = asyncio.ensure_future(self._session(problem))
                await asyncio.wait({session, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not session.done():  # stopped: the session ends with it (`finally`)
                    break
                if self.connections > accepted_before:
                    delay = self.settings.reconnect_min_seconds  # it had worked: start over
                try:
                    reason = session.result()
                except Exception as error:  # a defect: the satellite still connects again
                    reason = f"the connection failed: {error!r}"
                if reason is not None:
                    problem.failed(reason)
                await self._back_off(stop, delay)
                delay = min(delay * 2, self.settings.reconnect_max_seconds)
        finally:
            stopping.cancel()
            if session is not None and not session.done():
                session.cancel()
                await asyncio.gather(session, return_exceptions=True)

    async def _back_off(self, stop: asyncio.Event, delay_seconds: float) -> None:
        """Wait before trying again (or until `stop`), with full jitter."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay_seconds * (0.5 + random.random() / 2))

    async def _session(self, problem: RepeatedProblem) -> str | None:
        """One connection, until it ends. The reason it failed, or None after a connection
        that was accepted and later ended (told at info)."""
        if self.settings.finds_hub:
            try:
                found = await find(HUB_SERVICE, _FIND_SECONDS)
            except OSError as error:  # no network yet, no multicast
                return f"cannot look for the hub on the network: {error}"
            if found is None:
                return "no hub announces itself on the network ([hub] zeroconf on the hub)"
            host, port, hub = found
            if (host, port) != self.address:
                log.info("found the hub %r on the network at %s port %d", hub, host, port)
            self.address = (host, port)
        assert self.address is not None
        host, port = self.address
        client = SecureTcpClient(
            host, port, ssl_context=self._tls, connect_timeout=_CONNECT_SECONDS,
            secret=self.settings.secret.get_secret_value() if self.settings.secret else None,
        )  # fmt: skip
        try:
            await client.connect()
        except (OSError, TimeoutError, ssl.SSLError) as error:
            return f"cannot connect: {error}"
        self._client = client
        try:
            await client.write_event(satellite_info(self.name, self.wake_words))
            return await self._receive(client, problem)
        except (ConnectionError, ssl.SSLError) as error:
            return f"the connection broke: {error}"
        finally:
            self._lost()
            with contextlib.suppress(Exception):  # already broken: nothing left to close well
                await client.disconnect()

    async def _receive(self, client: SecureTcpClient, problem: RepeatedProblem) -> str | None:
        pinging = asyncio.create_task(self._ping(client), name="hub ping")
        malformed: set[str] = set()
        try:
            while True:
                try:
                    # Not wait_for: on Python 3.11 it swallows a cancellation that comes as an
                    # event arrives, and the satellite would never stop.
                    async with asyncio.timeout(_SILENT_SECONDS):
                        event = await client.read_event()
                except TimeoutError:
                    return f"the hub has not answered for {_SILENT_SECONDS:.0f} s"
                if event is None:
                    if self.connected.is_set():
                        log.warning("the hub closed the connection; connecting again")
                        return None
                    return "the hub closed the connection before accepting this satellite"
                if event.type == "run-satellite" and not self.connected.is_set():
                    self.connections += 1
                    self.connected.set()
                    problem.ended()
                    log.info("connected to the hub at %s as %s", self._where(), self.name)
                elif Error.is_type(event.type) and not self.connected.is_set():
                    return f"the hub refused this satellite: {Error.from_event(event).text}"
                elif Ping.is_type(event.type):
                    await client.write_event(Pong(text=Ping.from_event(event).text).event())
                    continue
                try:
                    await self.on_event(event)
                except (KeyError, TypeError, ValueError, AttributeError) as error:
                    # Malformed data (an audio-start without its rate, …): that event is
                    # dropped, the connection stays; said once per kind of event.
                    if event.type not in malformed:
                        malformed.add(event.type)
                        log.warning("the hub sent a malformed %s (%r); such events are ignored",
                                    event.type, error)  # fmt: skip
        finally:
            pinging.cancel()

    async def _ping(self, client: SecureTcpClient) -> None:
        """Something to answer: a silent hub then shows as one that is gone."""
        with contextlib.suppress(ConnectionError, RuntimeError, ssl.SSLError):
            while True:
                await asyncio.sleep(_PING_SECONDS)
                await client.write_event(Ping().event())

    def _where(self) -> str:
        host, port = self.address or ("?", 0)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _lost(self) -> None:
        self.connected.clear()
        self._client = None
