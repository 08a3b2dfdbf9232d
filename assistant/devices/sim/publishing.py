"""The simulator's outgoing side: what its devices publish, and the tasks that publish it.

Every device's reports are published retained and in order, none before its due time and none
while the device is offline; its confirmations are as slow or as lost as its faults say.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Coroutine, Sequence
from typing import Any

from assistant.devices.mqtt import DeliveryFailed, MqttConnection
from assistant.devices.sim.base import Messages, SimDevice
from assistant.devices.sim.home import make_device
from assistant.devices.sim.spec import DeviceSpec
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

_PUBLISH_TIMEOUT_SECONDS = 5.0
_RECONNECT_CHECK_SECONDS = 0.5


class Publisher:
    """Simulated devices on one connection, and what they publish; `Simulator` drives them."""

    def __init__(
        self, connection: MqttConnection, specs: Sequence[DeviceSpec], *, discovery_prefix: str
    ) -> None:
        self.connection = connection
        self.discovery_prefix = discovery_prefix.rstrip("/")
        self.bridge_topic = connection.status_topic
        self.devices: dict[str, SimDevice] = {}
        self._by_topic: dict[str, SimDevice] = {}
        for spec in specs:
            if spec.id in self.devices:
                raise ConfigError(f"two simulated devices have the id {spec.id!r}")
            device = make_device(
                spec, discovery_prefix=self.discovery_prefix, bridge_topic=self.bridge_topic
            )
            self.devices[spec.id] = device
            self._by_topic |= dict.fromkeys(device.command_topics(), device)
        self._outboxes: dict[str, asyncio.Queue[tuple[float, Messages]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._motions: dict[str, asyncio.Task[None]] = {}
        self._publishing: set[str] = set()
        """Devices whose drain took reports off its outbox and is still publishing them."""
        self._started = False
        self.announcements = 0
        """How many times every device was announced (once at start, again on each reconnect)."""

    # --- outgoing messages ---------------------------------------------------------------

    def _confirm(self, device: SimDevice) -> None:
        """Echo the new state as the device's confirmation, as slow or lost as its faults say."""
        if device.faults.lose_confirmations:
            log.info("%s: confirmation lost (fault)", device.id)
            return
        due = time.monotonic() + device.faults.confirm_delay_seconds
        self._outboxes[device.id].put_nowait((due, device.state_messages()))

    async def _drain(self, device: SimDevice) -> None:
        """Publish a device's reports in order, none before its due time, none while offline."""
        outbox = self._outboxes[device.id]
        while self._started:
            due, messages = await outbox.get()
            self._publishing.add(device.id)
            try:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if not device.available:
                    log.info("%s is offline: its report is lost", device.id)
                    continue
                deadline = time.monotonic() + _PUBLISH_TIMEOUT_SECONDS
                for topic, payload in messages:
                    await self._publish(topic, payload, deadline)
            finally:
                self._publishing.discard(device.id)

    async def flushed(self, timeout_seconds: float = _PUBLISH_TIMEOUT_SECONDS) -> bool:
        """Wait until every report queued so far is with the broker; False on timeout."""
        deadline = time.monotonic() + timeout_seconds
        while self._publishing or any(not box.empty() for box in self._outboxes.values()):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    async def _publish(self, topic: str, payload: str, deadline_monotonic: float) -> None:
        """Publish retained; a broker outage costs this message, not the simulator."""
        try:
            await self.connection.publish(
                topic, payload, retain=True, deadline_monotonic=deadline_monotonic
            )
        except DeliveryFailed as error:
            log.warning("simulator: %s", error.message)

    async def _announce(self) -> None:
        """Discovery, availability and state of every device, retained; raises DeliveryFailed."""
        deadline = time.monotonic() + _PUBLISH_TIMEOUT_SECONDS
        for device in self.devices.values():
            messages = [(topic, json.dumps(config)) for topic, config in device.discovery()]
            messages.append(
                (device.availability_topic, device.availability_payload(device.available))
            )
            for topic, payload in messages + device.state_messages():
                await self.connection.publish(
                    topic, payload, retain=True, deadline_monotonic=deadline
                )
        self.announcements += 1

    # --- background tasks ----------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator task %s failed", task.get_name(), exc_info=task.exception())

    async def _travel(self, device: SimDevice, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._motions.pop(device.id, None)
        device.arrive()
        self._confirm(device)

    async def _watch_reconnects(self) -> None:
        """Announce again after a reconnect, as Zigbee2MQTT does: the broker may have lost its
        retained messages (MqttConnection has no on-connect hook, so watch its counter)."""
        seen = self.connection.connections
        while self._started:
            await asyncio.sleep(_RECONNECT_CHECK_SECONDS)
            if self.connection.connections != seen and self.connection.connected:
                seen = self.connection.connections
                log.info("simulator reconnected: announcing every device again")
                with contextlib.suppress(DeliveryFailed):
                    await self._announce()
