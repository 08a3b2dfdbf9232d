"""A home of simulated MQTT devices on a real private Mosquitto, and a recorder of its traffic.

The devices are `assistant simulate`'s: they announce themselves by discovery, answer commands
and report their state the way real ones do, so a skill under test meets the assistant's real
device layer. Waiting is for events with deadlines (`eventually`), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from assistant.config import MqttSettings
from assistant.devices.broker import PrivateBroker
from assistant.devices.mqtt import Message, MqttConnection
from assistant.devices.sim import Simulator, load_home, simulator_connection

QUICK_MQTT = MqttSettings(
    reconnect_min_seconds=0.1, reconnect_max_seconds=0.5, confirm_timeout_seconds=1.0
)
"""The MQTT settings `simulated_home` uses unless given others: reconnections and a device that
never confirms show within a second, so tests of failures stay short."""


async def eventually(check: Callable[[], bool], timeout_seconds: float = 5.0) -> bool:
    """Whether `check()` comes true within the deadline, asked every 20 ms meanwhile."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.02)
    return check()


class TrafficRecorder:
    """A client of its own recording what the broker delivers on `topic_filter`.

    Once entered its subscription is active (a probe message it sent has come back), so an
    empty `messages` afterwards means nothing was delivered, not that it was not listening yet.
    """

    def __init__(self, mqtt: MqttSettings, topic_filter: str = "#") -> None:
        self.connection = MqttConnection(mqtt, client_id=f"recorder-{id(self)}")
        self.messages: list[Message] = []
        self.connection.subscribe(topic_filter, self.messages.append)
        self._probe = f"recorder-probe/{id(self)}"
        self.connection.subscribe(self._probe, self.messages.append)

    async def __aenter__(self) -> TrafficRecorder:
        await self.connection.start()
        if not await self.connection.wait_connected(5):
            raise TimeoutError("the traffic recorder could not connect to the broker")
        # The broker takes subscriptions in order: once the probe comes back, all are active.
        await self.connection.publish(self._probe, "ready", deadline_monotonic=time.monotonic() + 3)
        if not await eventually(lambda: bool(self.on(self._probe))):
            raise TimeoutError("the traffic recorder's subscriptions did not become active")
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.connection.stop()

    def on(self, topic: str) -> list[Message]:
        """The messages delivered on one topic, in order."""
        return [message for message in self.messages if message.topic == topic]


@dataclass
class SimulatedHome:
    simulator: Simulator
    """The devices: `state(id)`, `commands(id)` (what one received), `set_fault(id, …)` and
    `await set_available(id, False)` to make one misbehave."""
    mqtt: MqttSettings
    """The broker and settings both sides use; `assistant_in` connects the assistant with them."""
    traffic: list[Message]
    """Every message on the broker, as a bystander client subscribed to `#` saw it."""

    def published_to(self, device_id: str) -> list[Message]:
        """Messages sent to the command topics of one simulated device."""
        topics = set(self.simulator.device(device_id).command_topics())
        return [message for message in self.traffic if message.topic in topics]


@contextlib.asynccontextmanager
async def simulated_home(
    broker: PrivateBroker | None = None,
    *,
    mqtt: MqttSettings | None = None,
    home_file: Path | None = None,
) -> AsyncIterator[SimulatedHome]:
    """The simulated devices (`home_file`, or the default home of `assistant simulate`) on
    `broker`, or on a private Mosquitto of their own started here, with a traffic recorder.

    `mqtt` is for both sides (its host and port are replaced by the broker's): QUICK_MQTT unless
    given. Homes sharing one broker need a `discovery_prefix` each."""
    async with contextlib.AsyncExitStack() as stack:
        shared = broker is not None
        if broker is None:
            broker = stack.enter_context(PrivateBroker())
        settings = (mqtt or QUICK_MQTT).model_copy(update={"host": broker.host,
                                                           "port": broker.port})  # fmt: skip
        recorder = await stack.enter_async_context(TrafficRecorder(settings))
        simulator = await stack.enter_async_context(
            _running_simulator(settings, home_file, remove=shared)
        )
        yield SimulatedHome(simulator, settings, recorder.messages)


@contextlib.asynccontextmanager
async def _running_simulator(
    mqtt: MqttSettings, home_file: Path | None, *, remove: bool
) -> AsyncIterator[Simulator]:
    """The simulator started; stopped with `remove` to leave a shared broker as it was found
    (the devices deleted, not merely offline, for the next home on it)."""
    prefix = mqtt.discovery_prefix
    connection = simulator_connection(mqtt, client_id=f"sim-{prefix}")
    await connection.start()
    try:
        if not await connection.wait_connected(5):
            raise TimeoutError("the simulator could not connect to the broker")
        simulator = Simulator(connection, load_home(home_file), discovery_prefix=prefix,
                              control_topic=f"{prefix}/control")  # fmt: skip
        await simulator.start()
        try:
            yield simulator
        finally:
            await simulator.stop(remove=remove)
    finally:
        await connection.stop()
