"""An asyncio MQTT connection on paho-mqtt, with reconnection owned by the application.

Each connection attempt gets a fresh paho client and its own network thread, so a message
queued on a dead connection can never be sent later behind the caller's back: `publish`
decides itself, within its deadline, whether to send again on the next connection (commands
are QoS 1 and must be safe to receive twice) or to report failure. Nothing is delivered after
its caller was told it failed. Incoming messages go through the bounded `Inbox`; PUBACKs are
matched in `Acknowledgements`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import ssl
import threading
import time
from typing import Any

import paho.mqtt.client as paho

from assistant.config import MqttSettings
from assistant.devices.mqtt.acks import Acknowledgements
from assistant.devices.mqtt.client import new_paho_client
from assistant.devices.mqtt.inbox import Handler, Inbox, Message
from assistant.devices.mqtt.topics import topic_problem
from assistant.errors import AssistantError
from assistant.tasks import cancel_and_wait

log = logging.getLogger(__name__)

_CONNECT_TIMEOUT_SECONDS = 10.0


class DeliveryFailed(AssistantError):
    code = "mqtt-delivery-failed"


class MqttConnection:
    """One logical connection to the broker that survives reconnects."""

    def __init__(
        self,
        settings: MqttSettings,
        *,
        client_id: str,
        status_topic: str | None = None,
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self.status_topic = status_topic
        self.connections = 0
        self._inbox = Inbox(settings.max_payload_bytes)
        self._acks = Acknowledgements()
        self._client: paho.Client | None = None
        self._connected = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        # Every connection attempt has its own paho client, numbered; acknowledgements and
        # "connection lost" events are keyed by that number, never by id(), which is reused.
        self._generation = 0
        self._generations_made = 0
        self._connection_changed = asyncio.Event()
        self._lost: dict[int, asyncio.Event] = {}
        self._thread_stops: dict[int, threading.Event] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_error: str | None = None

    @property
    def dropped_messages(self) -> int:
        """Messages dropped because the inbox was full."""
        return self._inbox.dropped_messages

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._run(), name=f"mqtt-connection-{self.client_id}"),
            asyncio.create_task(self._inbox.dispatch(), name=f"mqtt-dispatch-{self.client_id}"),
        ]

    async def wait_connected(self, timeout_seconds: float) -> bool:
        """True once connected; False only when the whole timeout passed without a connection."""
        # asyncio.timeout rather than wait_for: on Python 3.11 wait_for can swallow a
        # cancellation that races with completion (gh-86296) and hang shutdown.
        deadline = time.monotonic() + timeout_seconds
        while not self.connected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._connected.wait()
        return True

    async def stop(self) -> None:
        """Say goodbye cleanly: the status topic goes to offline, no last will is needed."""
        self._stopping = True
        client = self._client
        if client is not None and self.connected and self.status_topic:
            with contextlib.suppress(AssistantError):
                await self.publish(
                    self.status_topic, "offline", retain=True,
                    deadline_monotonic=time.monotonic() + 2.0,
                )  # fmt: skip
        await cancel_and_wait(*self._tasks)
        self._tasks = []

    # --- subscriptions -------------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        # A filter MQTT refuses would be subscribed again at every reconnect, where paho raises
        # (ending the connection for good) or the broker drops the client: never keep one.
        if problem := topic_problem(topic_filter, wildcards=True):
            log.error("not subscribing to %r: it %s", topic_filter[:80], problem)
            return
        if self._inbox.add(topic_filter, handler) and self._client is not None and self.connected:
            self._client.subscribe(topic_filter, qos=1)

    def unsubscribe(self, topic_filter: str, handler: Handler) -> None:
        last = self._inbox.remove(topic_filter, handler)
        if last and self._client is not None and self.connected:
            self._client.unsubscribe(topic_filter)

    # --- publishing ----------------------------------------------------------------------

    async def publish(
        self,
        topic: str,
        payload: str | bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        deadline_monotonic: float,
    ) -> None:
        """Deliver to the broker (PUBACK for QoS 1) before the deadline, or raise DeliveryFailed.

        While disconnected it waits for the connection to come back, up to the deadline.
        """
        while True:
            remaining = deadline_monotonic - time.monotonic()
            if remaining <= 0:
                reason = self._last_error or "no connection to the broker"
                raise DeliveryFailed(f"could not deliver to {topic}: {reason}")
            if not await self.wait_connected(remaining):
                continue
            client, generation = self._client, self._generation
            lost = self._lost.get(generation)
            if client is None or lost is None or lost.is_set():
                await self._next_connection(generation, deadline_monotonic)
                continue
            info = client.publish(topic, payload, qos=qos, retain=retain)
            if info.rc == paho.MQTT_ERR_NO_CONN:
                # The line died under us; paho only queued it on a client that will never
                # reconnect. Send it again on the next connection, within the deadline.
                await self._next_connection(generation, deadline_monotonic)
                continue
            if info.rc != paho.MQTT_ERR_SUCCESS:
                raise DeliveryFailed(f"could not publish to {topic}: {paho.error_string(info.rc)}")
            if qos == 0:
                return
            key = (generation, info.mid)
            if self._acks.arrived_early(key):
                return
            acked = self._acks.expect(key)
            lost_wait: asyncio.Future[Any] = asyncio.ensure_future(lost.wait())
            try:
                done, _ = await asyncio.wait(
                    [acked, lost_wait],
                    timeout=max(0.0, deadline_monotonic - time.monotonic()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                lost_wait.cancel()
                self._acks.forget(key)
            if acked in done:
                return
            # The connection died before the broker acknowledged: try again on the next one,
            # if there is time. The device may see the command twice, which is safe.
            log.info("connection lost before PUBACK for %s; retrying within deadline", topic)
            await self._next_connection(generation, deadline_monotonic)

    async def _next_connection(self, generation: int, deadline_monotonic: float) -> None:
        """Wait (up to the deadline) until a connection newer than `generation` is up."""
        while self._generation == generation or not self.connected:
            remaining = deadline_monotonic - time.monotonic()
            if remaining <= 0:
                return
            changed = self._connection_changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await changed.wait()

    # --- the connection loop -------------------------------------------------------------

    async def _run(self) -> None:
        backoff = self.settings.reconnect_min_seconds
        while not self._stopping:
            client, generation = self._new_client()
            lost = asyncio.Event()
            self._lost[generation] = lost
            try:
                await self._connect(client, generation, lost)
            except (OSError, ssl.SSLError, ConnectionError, TimeoutError) as error:
                self._note_error(
                    f"cannot connect to {self.settings.host}:{self.settings.port}: {error}"
                )
            else:
                backoff = self.settings.reconnect_min_seconds
                await lost.wait()
                self._connected.clear()
                self._note_error(f"connection to {self.settings.host}:{self.settings.port} lost")
            finally:
                self._teardown(client, generation)
            if self._stopping:
                break
            # Full jitter, so a house full of devices does not reconnect in lockstep.
            await asyncio.sleep(backoff * (0.5 + random.random() / 2))
            backoff = min(backoff * 2, self.settings.reconnect_max_seconds)

    def _note_error(self, message: str) -> None:
        if message != self._last_error:
            log.warning("%s; retrying with backoff", message)
        self._last_error = message

    def _new_client(self) -> tuple[paho.Client, int]:
        self._generations_made += 1
        generation = self._generations_made
        client = new_paho_client(self.settings, self.client_id)
        if self.status_topic:
            client.will_set(self.status_topic, "offline", qos=1, retain=True)
        client.user_data_set(generation)
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        return client, generation

    async def _connect(self, client: paho.Client, generation: int, lost: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        connack: asyncio.Future[Any] = loop.create_future()

        def settle(reason: Any) -> None:
            if not connack.done():
                connack.set_result(reason)

        def on_connect(_c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            loop.call_soon_threadsafe(settle, reason)

        def on_disconnect(_c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            loop.call_soon_threadsafe(lost.set)

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        host = self.settings.host or "localhost"
        await asyncio.to_thread(
            client.connect, host, self.settings.port, self.settings.keepalive_seconds
        )
        _send_small_packets_now(client)
        stop = self._thread_stops[generation] = threading.Event()
        thread = threading.Thread(
            target=self._network_loop, args=(client, lost, stop),
            name=f"mqtt-net-{self.client_id}", daemon=True,
        )  # fmt: skip
        thread.start()
        async with asyncio.timeout(_CONNECT_TIMEOUT_SECONDS):
            reason = await connack
        if reason.is_failure:
            raise ConnectionError(f"broker refused the connection: {reason}")
        self._client = client
        self._generation = generation
        self.connections += 1
        for topic_filter in self._inbox.subscriptions:
            client.subscribe(topic_filter, qos=1)
        self._connected.set()
        self._changed()
        if self._last_error:
            log.warning("connected to %s:%s again", host, self.settings.port)
        self._last_error = None
        if self.status_topic:
            client.publish(self.status_topic, "online", qos=1, retain=True)

    def _network_loop(
        self, client: paho.Client, lost: asyncio.Event, stop: threading.Event
    ) -> None:
        """Drive one paho client until its connection ends; never reconnects by itself."""
        loop = self._loop
        assert loop is not None
        while not stop.is_set():
            if client.loop(timeout=0.2) != paho.MQTT_ERR_SUCCESS:
                break
        with contextlib.suppress(RuntimeError):  # the loop may already be closed at exit
            loop.call_soon_threadsafe(lost.set)

    def _teardown(self, client: paho.Client, generation: int) -> None:
        stop = self._thread_stops.pop(generation, None)
        if stop is not None:
            stop.set()
        with contextlib.suppress(Exception):
            client.disconnect()
        if self._client is client:
            self._client = None
        self._lost.pop(generation, None)
        self._acks.drop_generation(generation)
        self._changed()

    def _changed(self) -> None:
        """Wake everything waiting for the connection to come back or be replaced."""
        changed, self._connection_changed = self._connection_changed, asyncio.Event()
        changed.set()

    # --- callbacks from the network thread ----------------------------------------------

    def _on_message(self, client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(
            self._inbox.put, Message(message.topic, bytes(message.payload), bool(message.retain))
        )

    def _on_publish(self, _c: paho.Client, generation: int, mid: int, _rc: Any, _p: Any) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._acks.acknowledge, (generation, mid))


def _send_small_packets_now(client: paho.Client) -> None:
    """Turn off Nagle's algorithm. MQTT packets are small and answered: with it on, a packet
    written while the previous one is unacknowledged waits for the peer's delayed ACK, about
    40 ms on Linux, so every command's confirmation took two such waits (86 ms on loopback)."""
    sock = client.socket()
    if isinstance(sock, socket.socket):  # TLS sockets are socket subclasses too
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
