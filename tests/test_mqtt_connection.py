"""The MQTT connection against a real Mosquitto: delivery, last will, outages and bad input."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from assistant.config import MqttSettings, load_settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.commands import DeviceCommander
from assistant.devices.home import DeviceHome
from assistant.devices.mqtt import DeliveryFailed, Message, MqttConnection, process_client_id
from assistant.devices.registry import DeviceRegistry
from tests.conftest import until
from tests.tcp_proxy import CuttableProxy


@pytest.fixture
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


def settings_for(broker: PrivateBroker) -> MqttSettings:
    return MqttSettings(
        host=broker.host, port=broker.port, reconnect_min_seconds=0.1, reconnect_max_seconds=0.5
    )


class Recorder:
    """A second client that records what the broker delivers."""

    def __init__(self, broker: PrivateBroker, topic_filter: str = "#") -> None:
        self.connection = MqttConnection(settings_for(broker), client_id=f"recorder-{id(self)}")
        self.messages: list[Message] = []
        self.connection.subscribe(topic_filter, self.messages.append)
        self._probe = f"recorder-probe/{id(self)}"
        self.connection.subscribe(self._probe, self.messages.append)

    async def __aenter__(self) -> Recorder:
        await self.connection.start()
        assert await self.connection.wait_connected(5)
        # Subscriptions are processed in order: once the probe comes back, all are active.
        await self.connection.publish(self._probe, "ready", deadline_monotonic=time.monotonic() + 3)
        assert await self.wait_for(self._probe, "ready")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.connection.stop()

    def on(self, topic: str) -> list[str]:
        return [m.payload.decode() for m in self.messages if m.topic == topic]

    async def wait_for(self, topic: str, payload: str, timeout_seconds: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if payload in self.on(topic):
                return True
            await asyncio.sleep(0.02)
        return False


@pytest.fixture
async def proxy(broker: PrivateBroker) -> AsyncIterator[CuttableProxy]:
    line = CuttableProxy(broker.host, broker.port)
    await line.start()
    yield line
    await line.close()


@pytest.fixture
async def assistant_connection(
    proxy: CuttableProxy, broker: PrivateBroker
) -> AsyncIterator[MqttConnection]:
    """The assistant's connection runs through a line the test can cut."""
    settings = settings_for(broker).model_copy(update={"port": proxy.port})
    connection = MqttConnection(
        settings, client_id="assistant-test", status_topic="assistant/status"
    )
    await connection.start()
    assert await connection.wait_connected(5)
    yield connection
    await connection.stop()


async def test_publish_is_delivered_at_qos1_and_not_retained(
    broker: PrivateBroker, assistant_connection: MqttConnection
) -> None:
    async with Recorder(broker, "lamp/#") as recorder:
        await assistant_connection.publish(
            "lamp/set", "ON", deadline_monotonic=time.monotonic() + 2
        )
        assert await recorder.wait_for("lamp/set", "ON")
    async with Recorder(broker, "lamp/#") as late:
        await asyncio.sleep(0.3)
        assert late.on("lamp/set") == []  # a retained command would fire again on reconnect


async def test_status_is_online_retained_and_offline_after_a_clean_stop(
    broker: PrivateBroker,
) -> None:
    connection = MqttConnection(
        settings_for(broker), client_id="assistant-a", status_topic="assistant/status"
    )
    await connection.start()
    assert await connection.wait_connected(5)
    async with Recorder(broker, "assistant/status") as late_joiner:
        assert await late_joiner.wait_for("assistant/status", "online")
        await connection.stop()
        assert await late_joiner.wait_for("assistant/status", "offline")


CRASHING_CLIENT = """
import asyncio, sys, os
from assistant.config import MqttSettings
from assistant.devices.mqtt import MqttConnection
async def main():
    c = MqttConnection(MqttSettings(host="127.0.0.1", port=int(sys.argv[1])), client_id="doomed",
                       status_topic="assistant/status")
    await c.start()
    await c.wait_connected(5)
    print("connected", flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""


async def test_last_will_marks_the_assistant_offline_when_it_dies(broker: PrivateBroker) -> None:
    async with Recorder(broker, "assistant/status") as recorder:
        process = subprocess.Popen(
            [sys.executable, "-c", CRASHING_CLIENT, str(broker.port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            assert (await asyncio.to_thread(process.stdout.readline)).strip() == "connected"
            assert await recorder.wait_for("assistant/status", "online")
            process.kill()  # no goodbye: only the broker's last will can tell
        finally:
            process.wait(timeout=5)
        assert await recorder.wait_for("assistant/status", "offline")


async def test_a_command_issued_during_an_outage_is_delivered_when_the_line_returns(
    broker: PrivateBroker, proxy: CuttableProxy, assistant_connection: MqttConnection
) -> None:
    async with Recorder(broker, "lamp/#") as recorder:
        await proxy.cut()
        publishing = asyncio.create_task(
            assistant_connection.publish("lamp/set", "ON", deadline_monotonic=time.monotonic() + 8)
        )
        await asyncio.sleep(1.0)
        assert not publishing.done()  # waiting for the connection, not dropped
        assert recorder.on("lamp/set") == []
        await proxy.restore()
        await asyncio.wait_for(publishing, 8)
        assert await recorder.wait_for("lamp/set", "ON")
        assert recorder.on("lamp/set") == ["ON"]
    assert assistant_connection.connections >= 2


async def test_a_command_past_its_deadline_fails_and_is_never_sent_later(
    broker: PrivateBroker, proxy: CuttableProxy, assistant_connection: MqttConnection
) -> None:
    async with Recorder(broker, "lamp/#") as recorder:
        await proxy.cut()
        started = time.monotonic()
        with pytest.raises(DeliveryFailed) as failure:
            await assistant_connection.publish("lamp/set", "ON", deadline_monotonic=started + 1.0)
        # It waits out its deadline, and a busy machine may notice the deadline a little late.
        assert 0.9 <= time.monotonic() - started < 10.0
        assert "lamp/set" in failure.value.message
        await proxy.restore()
        assert await assistant_connection.wait_connected(5)
        await asyncio.sleep(1.0)
        assert recorder.on("lamp/set") == []


async def test_subscriptions_survive_a_lost_connection(
    broker: PrivateBroker, proxy: CuttableProxy, assistant_connection: MqttConnection
) -> None:
    received: list[Message] = []
    assistant_connection.subscribe("sensor/#", received.append)
    await proxy.cut()
    for _ in range(100):
        if not assistant_connection.connected:
            break
        await asyncio.sleep(0.02)
    assert not assistant_connection.connected
    await proxy.restore()
    assert await assistant_connection.wait_connected(5)
    await asyncio.sleep(0.3)  # the re-subscription reaches the broker
    async with Recorder(broker, "nothing") as sender:
        await sender.connection.publish("sensor/t", "21", deadline_monotonic=time.monotonic() + 2)
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
    assert [m.payload for m in received] == [b"21"]


async def test_a_filter_mqtt_refuses_is_never_kept_so_the_connection_survives_reconnecting(
    broker: PrivateBroker,
    proxy: CuttableProxy,
    assistant_connection: MqttConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The reliability run: a discovery config's 'a/#/b' state topic stayed subscribed; at the
    next reconnect paho raised, and the connection was gone for good (every command failed)."""
    received: list[Message] = []
    with caplog.at_level(logging.ERROR):
        for refused in ["a/#/b", "x+/y", "nul\0state", "t" * 65_536]:
            assistant_connection.subscribe(refused, received.append)
    assert sum("not subscribing" in r.getMessage() for r in caplog.records) == 4
    assistant_connection.subscribe("sensor/t", received.append)
    await proxy.cut()
    await until(lambda: not assistant_connection.connected, "the cut noticed")
    await proxy.restore()
    assert await assistant_connection.wait_connected(10)
    async with Recorder(broker, "nothing") as sender:
        # Sent until heard: the re-subscription reaches the broker a moment after CONNACK.
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            await sender.connection.publish(
                "sensor/t", "21", deadline_monotonic=time.monotonic() + 2
            )
            await asyncio.sleep(0.1)
    assert received and received[0].payload == b"21"
    assert assistant_connection.connected


async def test_huge_and_undecodable_messages_are_skipped_and_others_still_arrive(
    broker: PrivateBroker, assistant_connection: MqttConnection, caplog: pytest.LogCaptureFixture
) -> None:
    registry = DeviceRegistry(assistant_connection)
    registry.start()
    async with Recorder(broker, "nothing") as sender:
        deadline = time.monotonic() + 3
        await sender.connection.publish(
            "homeassistant/switch/plug/config",
            json.dumps({"name": "Plug", "cmd_t": "plug/set", "stat_t": "plug/state"}),
            deadline_monotonic=deadline,
        )
        for _ in range(100):
            if registry.get("switch.plug") is not None:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # the registry's subscription to plug/state reaches the broker
        with caplog.at_level(logging.WARNING):
            await sender.connection.publish(
                "homeassistant/light/huge/config",
                b"{" + b" " * 200_000 + b"}",
                deadline_monotonic=deadline,
            )
            await sender.connection.publish("plug/state", b"\xff\xfe", deadline_monotonic=deadline)
            await sender.connection.publish("plug/state", "ON", deadline_monotonic=deadline)
            for _ in range(100):
                entity = registry.get("switch.plug")
                if entity is not None and entity.state.state == "on":
                    break
                await asyncio.sleep(0.02)
    assert registry.entities["switch.plug"].state.state == "on"
    assert list(registry.entities) == ["switch.plug"]
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        "homeassistant/light/huge/config" in m and "max_payload_bytes" in m for m in messages
    )
    assert any("plug/state" in m and "UTF-8" in m for m in messages)


async def test_a_command_sent_during_an_outage_is_confirmed_once_the_line_returns(
    broker: PrivateBroker, proxy: CuttableProxy, assistant_connection: MqttConnection
) -> None:
    device = MqttConnection(settings_for(broker), client_id="device")
    deadline = lambda: time.monotonic() + 3  # noqa: E731

    def on_command(message: Message) -> None:
        asyncio.get_running_loop().create_task(
            device.publish(
                "plug/state", message.payload, retain=True, deadline_monotonic=deadline()
            )
        )

    device.subscribe("plug/set", on_command)
    await device.start()
    assert await device.wait_connected(5)
    registry = DeviceRegistry(assistant_connection)
    registry.start()
    await device.publish(
        "homeassistant/switch/plug/config",
        json.dumps({"name": "Plug", "cmd_t": "plug/set", "stat_t": "plug/state"}),
        retain=True,
        deadline_monotonic=deadline(),
    )
    await device.publish("plug/state", "OFF", retain=True, deadline_monotonic=deadline())
    await registry.settle()
    commander = DeviceCommander(registry, assistant_connection, confirm_timeout_seconds=10)

    await proxy.cut()
    command = asyncio.create_task(commander.call("switch.plug", "turn_on"))
    await asyncio.sleep(1.0)
    await proxy.restore()
    outcome = await asyncio.wait_for(command, 12)
    await device.stop()
    assert outcome.status == "confirmed", outcome.reason
    assert registry.entities["switch.plug"].state.state == "on"


async def test_two_processes_with_one_configuration_keep_their_own_connections(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    """Two `ask -` at once: one client id each, so neither knocks the other off (defect 24)."""
    settings = load_settings(
        mqtt={"host": broker.host, "port": broker.port, "reconnect_min_seconds": 0.1},
        storage={"state_dir": tmp_path},
    )
    first = DeviceHome(settings, role="ask", publish_status=False)
    second = DeviceHome(settings, role="ask", publish_status=False)
    assert first.connection.client_id != second.connection.client_id
    heard = asyncio.Event()
    first.connection.subscribe("two/asks", lambda message: heard.set())
    async with first, second:
        assert await first.connection.wait_connected(5)
        assert await second.connection.wait_connected(5)
        await second.connection.publish(
            "two/asks", "hello", deadline_monotonic=time.monotonic() + 5
        )
        await asyncio.wait_for(heard.wait(), 5)
        await first.connection.publish("two/asks", "again", deadline_monotonic=time.monotonic() + 5)
        assert first.connection.connections == 1
        assert second.connection.connections == 1
    # A configured id is used as it is (a broker ACL may name it).
    configured = MqttSettings(host=broker.host, port=broker.port, client_id="kitchen-speaker")
    assert process_client_id(configured) == "kitchen-speaker"
    assert process_client_id(configured, "cli") == "kitchen-speaker-cli"


async def test_a_retained_template_bomb_does_not_freeze_a_freshly_started_process(
    broker: PrivateBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Defect 19: with this config retained, every process that started hung in `ask`."""
    settings = load_settings(
        mqtt={"host": broker.host, "port": broker.port}, storage={"state_dir": tmp_path}
    )
    device = MqttConnection(settings_for(broker), client_id="bomb-maker")
    await device.start()
    assert await device.wait_connected(5)
    retained = {
        "homeassistant/sensor/bomb/config": json.dumps(
            {"name": "Bomb", "stat_t": "bomb/state", "val_tpl": "{{ 9**(9**9) }}"}
        ),
        "bomb/state": "1",
        "homeassistant/switch/plug/config": json.dumps(
            {"name": "Plug", "cmd_t": "plug/set", "stat_t": "plug/state"}
        ),
        "plug/state": "ON",
    }
    for topic, payload in retained.items():
        await device.publish(topic, payload, retain=True, deadline_monotonic=time.monotonic() + 5)
    await device.stop()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="assistant.devices"):
        async with DeviceHome(settings, role="ask", publish_status=False) as home:
            assert await asyncio.wait_for(home.ready(), 15)
            plug = home.registry.get("switch.plug")
            assert plug is not None and plug.state.state == "on"
            assert home.registry.get("sensor.bomb") is None
    assert time.monotonic() - started < 10
    disabled = [r.getMessage() for r in caplog.records if "sensor.bomb" in r.getMessage()]
    assert len(disabled) == 1 and "bound" in disabled[0], disabled
