"""Simulated devices on one broker connection, with the faults tests need.

The devices (`base` and the kinds) know what to do with a command; this module feeds them
their commands, `publishing` sends what they report, and both add the faults: slow
confirmations, lost confirmations and offline periods.

The simulator's connection is the "bridge": its status topic (`assistant-sim/bridge/state`)
has a last will, and every device lists it in its availability with mode `all`, so if the
simulator dies without a goodbye the broker itself marks every device offline.

Faults change at run time through methods or JSON on the control topic, for example
`{"device": "bedroom_lamp", "available": false}`, `{"device": …, "confirm_delay_seconds": 2}`,
`{"device": …, "lose_confirmations": true}`, `{"device": …, "offline_every_seconds": 10,
"offline_for_seconds": 3}`, and the physical world too: `{"device": "front_door_contact",
"set": {"state": "open"}}`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from assistant.config import MqttSettings
from assistant.devices.mqtt import Message, MqttConnection, process_client_id
from assistant.devices.sim.base import MalformedCommand, ReceivedCommand, SimDevice
from assistant.devices.sim.publishing import _PUBLISH_TIMEOUT_SECONDS, Publisher
from assistant.devices.sim.spec import DeviceSpec, Faults
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

BRIDGE_TOPIC = "assistant-sim/bridge/state"
CONTROL_TOPIC = "assistant-sim/control"
_FAULTS = (
    "confirm_delay_seconds",
    "lose_confirmations",
    "offline_every_seconds",
    "offline_for_seconds",
)


def simulator_connection(
    settings: MqttSettings, *, client_id: str | None = None, bridge_topic: str = BRIDGE_TOPIC
) -> MqttConnection:
    """A connection whose status topic (online; last will offline) is the simulated bridge."""
    client_id = client_id or process_client_id(settings, "simulator")
    return MqttConnection(settings, client_id=client_id, status_topic=bridge_topic)


class Simulator(Publisher):
    """Simulated devices on one connection.

    The caller owns the connection: make it with `simulator_connection()` (without a status
    topic there is no bridge, so nothing marks the devices offline if the simulator dies),
    start it before `start()`, and stop it after `stop()`.
    """

    def __init__(
        self,
        connection: MqttConnection,
        specs: Sequence[DeviceSpec],
        *,
        discovery_prefix: str = "homeassistant",
        control_topic: str = CONTROL_TOPIC,
    ) -> None:
        super().__init__(connection, specs, discovery_prefix=discovery_prefix)
        self.control_topic = control_topic
        self._outages: dict[str, asyncio.Task[None]] = {}

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to the command topics, then announce every device (or raise DeliveryFailed)."""
        if self.bridge_topic is None:
            log.warning(
                "the simulator's connection has no status topic: no last will for its devices"
            )
        # Subscribe first: the broker handles one client's packets in order, so no command sent
        # after its device's discovery config was seen can arrive before the subscription.
        for topic in [*self._by_topic, self.control_topic]:
            self.connection.subscribe(topic, self._on_message)
        self._started = True
        for device in self.devices.values():
            self._outboxes[device.id] = asyncio.Queue()
            self._spawn(self._drain(device), f"sim-outbox-{device.id}")
        try:
            await self._announce()
        except BaseException:
            await self._quit()
            raise
        for device in self.devices.values():
            self._schedule_outages(device)
        self._spawn(self._watch_reconnects(), "sim-reconnects")

    async def stop(self, remove: bool = False) -> None:
        """Stop; the devices say offline, or with `remove` their entities are deleted.

        Removing publishes empty retained configs (which removes the entities), then clears
        the retained state and availability, so the broker keeps nothing of the simulation.
        Confirmations still waiting out their delay are dropped.
        """
        await self._quit()
        deadline = time.monotonic() + _PUBLISH_TIMEOUT_SECONDS
        devices = list(self.devices.values())
        if not remove:
            for device in devices:
                offline = device.availability_payload(False)
                await self._publish(device.availability_topic, offline, deadline)
            return
        configs = [topic for device in devices for topic, _ in device.discovery()]
        reports = {topic for device in devices for topic, _ in device.state_messages()}
        reports |= {device.availability_topic for device in devices}
        for topic in configs + sorted(reports):  # the entities go first, then what they said
            await self._publish(topic, "", deadline)

    async def _quit(self) -> None:
        self._started = False
        for topic in [*self._by_topic, self.control_topic]:
            self.connection.unsubscribe(topic, self._on_message)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        # Bounded, and every loop also checks `_started`: on Python 3.11 a cancellation that
        # lands inside MqttConnection.publish can be swallowed by asyncio.wait_for.
        if tasks and (await asyncio.wait(tasks, timeout=_PUBLISH_TIMEOUT_SECONDS))[1]:
            log.warning("some simulator tasks did not stop in time")

    # --- for tests and the control topic ---------------------------------------------------

    def device(self, device_id: str) -> SimDevice:
        if device_id not in self.devices:
            raise ConfigError(
                f"no simulated device {device_id!r}; there are {sorted(self.devices)}"
            )
        return self.devices[device_id]

    def state(self, device_id: str) -> dict[str, Any]:
        """What the device really is, whatever the assistant believes."""
        return self.device(device_id).snapshot()

    def commands(self, device_id: str) -> list[ReceivedCommand]:
        """Every command the device received while online, malformed ones included."""
        return list(self.device(device_id).received)

    async def set_available(self, device_id: str, available: bool) -> None:
        """Take a device off the network (it ignores commands) or bring it back."""
        device = self.device(device_id)
        device.available = available
        if not self._started:
            return
        deadline = time.monotonic() + _PUBLISH_TIMEOUT_SECONDS
        await self._publish(
            device.availability_topic, device.availability_payload(available), deadline
        )
        if available and not device.faults.lose_confirmations:
            # Back on the network, a device reports what it is now (Zigbee2MQTT reads it).
            self._outboxes[device.id].put_nowait((time.monotonic(), device.state_messages()))

    def set_fault(
        self,
        device_id: str,
        *,
        confirm_delay_seconds: float | None = None,
        lose_confirmations: bool | None = None,
        offline_every_seconds: float | None = None,
        offline_for_seconds: float | None = None,
    ) -> None:
        """Change a device's faults (None: unchanged); raises ValueError and changes nothing."""
        device = self.device(device_id)
        given = (
            confirm_delay_seconds,
            lose_confirmations,
            offline_every_seconds,
            offline_for_seconds,
        )
        changes = {
            key: value for key, value in zip(_FAULTS, given, strict=True) if value is not None
        }
        before = device.faults
        device.faults = Faults.model_validate({**before.model_dump(), **changes})
        outages = ("offline_every_seconds", "offline_for_seconds")
        if self._started and any(getattr(before, k) != getattr(device.faults, k) for k in outages):
            self._schedule_outages(device)

    def set_values(self, device_id: str, **values: Any) -> None:
        """Change the physical world (a door opens, the nursery warms); the device reports it."""
        device = self.device(device_id)
        device.set_values(values)
        if self._started:
            self._outboxes[device.id].put_nowait((time.monotonic(), device.state_messages()))

    async def reset(self) -> None:
        """Every device back to the home file's initial state and faults, its command log
        emptied, and what changed published (so many scenarios can share one running home).

        Returns once the broker has the new states; travels under way are abandoned.
        """
        for motion in self._motions.values():
            motion.cancel()
        self._motions.clear()
        for device in self.devices.values():
            was = (device.available, device.faults, device.state_messages())
            device.reset()
            if not self._started:
                device.available = device.faults.available
                continue
            if device.faults != was[1]:
                self._schedule_outages(device)
            if device.faults.available != was[0]:
                await self.set_available(device.id, device.faults.available)  # reports state
            elif device.state_messages() != was[2]:
                self._outboxes[device.id].put_nowait((time.monotonic(), device.state_messages()))
        if self._started and not await self.flushed():
            log.warning("simulator reset: some states were not published in time")

    def describe(self) -> list[str]:
        """One line per device: id, kind, name, area and topics."""
        return [
            f"{d.id:22} {d.kind:13} {d.name!r:34} {d.spec.area!r:20} "
            f"commands: {', '.join(d.command_topics()) or '-'}; "
            f"state: {', '.join(sorted({t for t, _ in d.state_messages()}))}; "
            f"availability: {d.availability_topic}{_unusual(d.faults)}"
            for d in self.devices.values()
        ]

    # --- incoming messages ---------------------------------------------------------------

    def _on_message(self, message: Message) -> None:
        if message.topic == self.control_topic:
            self._on_control(message.payload)
            return
        device = self._by_topic.get(message.topic)
        if device is None or not self._started:
            return
        payload = message.payload.decode("utf-8", errors="replace")
        if not device.available:
            device.dropped_while_offline += 1
            log.info(
                "%s is offline and never sees %r on %s", device.id, payload[:80], message.topic
            )
            return
        if message.retain:  # real firmware obeys these too, which is why retaining one is a bug
            log.warning(
                "%s got a RETAINED command on %s: commands must not be retained",
                device.id,
                message.topic,
            )
        try:
            travel_seconds = device.handle(message.topic, payload)
        except MalformedCommand as error:
            log.warning("%s ignored a malformed command on %s: %s", device.id, message.topic, error)
            device.received.append(
                ReceivedCommand(message.topic, payload, message.retain, False, time.monotonic())
            )
            return
        device.received.append(
            ReceivedCommand(message.topic, payload, message.retain, True, time.monotonic())
        )
        log.info(
            "%s took %r on %s: now %s", device.id, payload[:80], message.topic, device.snapshot()
        )
        previous = self._motions.pop(device.id, None)
        if previous is not None:
            previous.cancel()  # a new order replaces the travel under way
        if travel_seconds is not None:
            self._motions[device.id] = self._spawn(
                self._travel(device, travel_seconds), f"sim-travel-{device.id}"
            )
        self._confirm(device)

    def _on_control(self, payload: bytes) -> None:
        try:
            data = json.loads(payload)
            if not isinstance(data, dict) or not isinstance(data.get("set", {}), dict):
                raise ValueError('expected a JSON object, with "set" an object')
            device_id = data.pop("device", None)
            if device_id not in self.devices:
                raise ValueError(f'"device" must be one of {sorted(self.devices)}')
            if set(data) - {*_FAULTS, "available", "set"}:
                raise ValueError(
                    f"unknown keys {sorted(set(data) - {*_FAULTS, 'available', 'set'})}"
                )
            if not isinstance(data.get("available", True), bool):
                raise ValueError('"available" must be true or false')
            self.set_fault(device_id, **{key: data[key] for key in _FAULTS if key in data})
            self.set_values(device_id, **data.get("set", {}))
        except ValueError as error:  # including JSON and validation errors
            log.warning("ignoring control message %r: %s", payload[:200], error)
            return
        if "available" in data:
            self._spawn(
                self.set_available(device_id, data["available"]), f"sim-available-{device_id}"
            )
        log.info("control: %s %s", device_id, data)

    # --- faults ----------------------------------------------------------------------------

    def _schedule_outages(self, device: SimDevice) -> None:
        previous = self._outages.pop(device.id, None)
        if previous is not None:
            previous.cancel()
        if device.faults.offline_every_seconds:
            self._outages[device.id] = self._spawn(
                self._outages_loop(device), f"sim-outages-{device.id}"
            )

    async def _outages_loop(self, device: SimDevice) -> None:
        """Every `offline_every_seconds`, drop off the network for `offline_for_seconds`."""
        while self._started:
            every, down = device.faults.offline_every_seconds, device.faults.offline_for_seconds
            await asyncio.sleep(every - down)
            await self.set_available(device.id, False)
            try:
                await asyncio.sleep(down)
            finally:  # also when cancelled mid-outage (faults changed, stopping): it ends here
                await self.set_available(device.id, True)


def _unusual(faults: Faults) -> str:
    changed = {k: v for k, v in faults if v != Faults.model_fields[k].default}
    return f"; faults: {changed}" if changed else ""
