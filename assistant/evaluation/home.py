"""The fixed home the evaluation runs against: a private broker and the simulated devices.

The devices are those of a home file: the default simulated home, or another file in the same
format (`assistant eval --home FILE`), such as the test split's home.

What counts is what the devices received, not what the assistant says it sent: every command
a simulated device takes is replayed on a copy of that device to read what it was told
(brightness in percent, set point, position, fan speed in percent). Two broker round trips
keep the runs honest: after a reset the assistant's registry has seen every device's initial
state before the next utterance, and after a turn every command the assistant published has
reached its device.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import MqttSettings
from assistant.devices.broker import BrokerError, PrivateBroker
from assistant.devices.mqtt import Message, MqttConnection
from assistant.devices.sim import Simulator, load_home, simulator_connection
from assistant.devices.sim.base import MalformedCommand, SimDevice
from assistant.devices.sim.home import DEFAULT_HOME, make_device
from assistant.devices.sim.spec import DeviceSpec
from assistant.evaluation.scoring import Observed

log = logging.getLogger(__name__)

_BARRIER_TOPIC = "assistant-eval/barrier"
_BARRIER_TIMEOUT_SECONDS = 10.0
_HIGH_RISK_COVERS = ("garage", "gate")


class Barrier:
    """A round trip from one connection to another: the broker delivers one client's messages
    to a subscriber in order, and the receiving connection dispatches them in order, so once
    the token arrives everything the sender published before it has been handled."""

    def __init__(self, sender: MqttConnection, receiver: MqttConnection, topic: str) -> None:
        self.sender, self.receiver, self.topic = sender, receiver, topic
        self._waiting: dict[bytes, asyncio.Future[None]] = {}
        receiver.subscribe(topic, self._on_message)

    def _on_message(self, message: Message) -> None:
        future = self._waiting.get(message.payload)
        if future is not None and not future.done():
            future.set_result(None)

    async def cross(self) -> None:
        token = uuid.uuid4().hex.encode()
        arrived = asyncio.get_running_loop().create_future()
        self._waiting[token] = arrived
        deadline = time.monotonic() + _BARRIER_TIMEOUT_SECONDS
        try:
            # Sent again while the receiver's subscription may still be on its way (first use).
            while True:
                await self.sender.publish(self.topic, token, deadline_monotonic=deadline)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(arrived), 0.25)
                    return
                if time.monotonic() > deadline:
                    raise BrokerError(f"no round trip on {self.topic} within 10 s")
        finally:
            del self._waiting[token]

    def close(self) -> None:
        self.receiver.unsubscribe(self.topic, self._on_message)


@dataclass(frozen=True)
class Mark:
    """Where each device's command log stood, and its state, when a turn began."""

    received: dict[str, int]
    states: dict[str, dict[str, Any]]


class EvalHome:
    """`async with EvalHome() as home:` a private Mosquitto and the default simulated home;
    `EvalHome(path)` for the devices of another home file.

    The file is read here, before anything starts, so that a mistake in it is a ConfigError
    naming the file and the device.
    """

    def __init__(self, home_path: Path | None = None) -> None:
        self.home_path = home_path or DEFAULT_HOME
        self.specs: list[DeviceSpec] = load_home(self.home_path)
        self.broker = PrivateBroker()
        self._connection: MqttConnection | None = None
        self._simulator: Simulator | None = None
        self._to_assistant: Barrier | None = None
        self._to_devices: Barrier | None = None

    @property
    def simulator(self) -> Simulator:
        assert self._simulator is not None, "the home is not started"
        return self._simulator

    async def __aenter__(self) -> EvalHome:
        self.broker.start()
        try:
            settings = MqttSettings(host=self.broker.host, port=self.broker.port)
            self._connection = simulator_connection(settings, client_id="assistant-eval-sim")
            await self._connection.start()
            if not await self._connection.wait_connected(5.0):
                raise BrokerError("the simulated home could not reach its private broker")
            self._simulator = Simulator(self._connection, self.specs)
            await self._simulator.start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        for barrier in (self._to_assistant, self._to_devices):
            if barrier is not None:
                barrier.close()
        if self._simulator is not None:
            with contextlib.suppress(Exception):
                await self._simulator.stop()
        if self._connection is not None:
            await self._connection.stop()
        self.broker.close()

    def guarded_entities(self) -> list[str]:
        """The entities a voice may not control unless exposed: the home's locks, garage doors
        and gates. The evaluation exposes them so that unlocking or opening one exercises the
        confirmation question instead of a flat refusal."""
        return [
            entity
            for device in self.simulator.devices.values()
            if device.kind == "lock"
            or (device.kind == "cover" and (device.options.device_class or "") in _HIGH_RISK_COVERS)
            for entity in device.entity_ids()
        ]

    def attach(self, assistant: MqttConnection) -> None:
        """Round trips between the devices and the assistant's own connection."""
        assert self._connection is not None
        self._to_assistant = Barrier(self._connection, assistant, f"{_BARRIER_TOPIC}/assistant")
        self._to_devices = Barrier(assistant, self._connection, f"{_BARRIER_TOPIC}/devices")

    async def reset(self) -> None:
        """Every device as the home file says; returns once the assistant has seen it."""
        await self.simulator.reset()
        if self._to_assistant is not None:
            await self._to_assistant.cross()

    def mark(self) -> Mark:
        devices = self.simulator.devices.values()
        return Mark(
            {device.id: len(device.received) for device in devices},
            {device.id: device.snapshot() for device in devices},
        )

    async def commands_since(self, mark: Mark, actions: list[dict[str, Any]]) -> list[Observed]:
        """What each device received since `mark`, as one command per device actuated.

        The service is the one the assistant reported for that entity; a device that received
        something the assistant never reported gets the service its new state implies.
        """
        if self._to_devices is not None:
            await self._to_devices.cross()
        observed = []
        for device in self.simulator.devices.values():
            new = [c for c in device.received[mark.received[device.id] :] if c.accepted]
            if not new:
                continue
            told = self._replay(device, mark.states[device.id], new)
            entities = device.entity_ids()
            reported = [a for a in actions if a.get("entity") in entities and a.get("messages")]
            entity = str(reported[-1]["entity"]) if reported else entities[0]
            service = str(reported[-1]["service"]) if reported else _implied_service(device, told)
            observed.append(
                Observed(entity, service, _values(device, told), _high_risk(device, service, told))
            )
        return observed

    @staticmethod
    def _replay(device: SimDevice, before: dict[str, Any], commands: list[Any]) -> dict[str, Any]:
        """The state the commands asked for, on a copy of the device (travel completed)."""
        copy = make_device(device.spec, discovery_prefix="eval-replay", bridge_topic=None)
        copy.state = dict(before)
        for command in commands:
            with contextlib.suppress(MalformedCommand):
                copy.handle(command.topic, command.payload)
        copy.arrive()
        return copy.snapshot()


def _values(device: SimDevice, state: dict[str, Any]) -> dict[str, float]:
    if device.kind == "light":
        scale = float(getattr(device, "scale", 100))
        on = state.get("state") == "on"
        return {"brightness": round(state["brightness"] * 100 / scale, 1) if on else 0.0}
    if device.kind == "climate":
        return {"temperature": float(state["target_temperature"])}
    if device.kind == "cover":
        return {"position": float(state["position"])}
    if device.kind == "fan":
        # Speed levels 1..n, as Home Assistant turns them into a percentage.
        levels = int(device.options.speed_range_max)
        on = state.get("state") == "on"
        return {"percentage": round(state["speed"] * 100 / levels, 1) if on else 0.0}
    return {}


def _implied_service(device: SimDevice, state: dict[str, Any]) -> str:
    if device.kind == "lock":
        return "lock" if state.get("state") == "locked" else "unlock"
    if device.kind == "cover":
        return {0: "close", 100: "open"}.get(int(state.get("position", -1)), "set_position")
    if device.kind == "climate":
        return "set_temperature"
    return "turn_on" if state.get("state") == "on" else "turn_off"


def _high_risk(device: SimDevice, service: str, state: dict[str, Any]) -> bool:
    if device.kind == "lock":
        return service == "unlock" or state.get("state") == "unlocked"
    if device.kind == "cover" and (device.options.device_class or "") in _HIGH_RISK_COVERS:
        return service in ("open", "set_position")
    return False
