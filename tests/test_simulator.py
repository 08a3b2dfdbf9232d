"""The device simulator against a real Mosquitto, seen through the real registry and commander.

Every test gets its own private broker. The assistant's side (MqttConnection, DeviceRegistry,
DeviceCommander) knows nothing of the simulator: it learns the devices from discovery only.
The simulator's own record (`state`, `commands`) is what the devices really are and received.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import MqttSettings, load_settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.commands import CommandOutcome, DeviceCommander
from assistant.devices.entity_config import ClimateConfig
from assistant.devices.mqtt import Handler, Message, MqttConnection
from assistant.devices.registry import Change, DeviceRegistry
from assistant.devices.sim import (
    BRIDGE_TOPIC,
    CONTROL_TOPIC,
    Simulator,
    load_home,
    run_simulator,
    simulator_connection,
    with_faults,
)
from assistant.errors import ConfigError
from assistant.skill_host.host import SkillHost
from assistant.skill_testing import eventually
from tests.tcp_proxy import CuttableProxy

# What the default home must look like to the assistant, written out independently of the
# simulator's code: entity id -> (kind, name, area, state).
EXPECTED = {
    "light.kitchen_ceiling_light": ("light", "Kitchen ceiling light", "Kitchen", "off"),
    "light.bedroom_lamp": ("light", "Bedroom lamp", "Bedroom", "off"),
    "light.bedroom_reading_lamp": ("light", "Bedroom reading lamp", "Bedroom", "on"),
    "switch.living_room_plug": ("switch", "Living room plug", "Living room", "off"),
    "fan.living_room_fan": ("fan", "Living room fan", "Living room", "off"),
    "climate.hallway_thermostat": ("climate", "Hallway thermostat", "Hallway", "heat"),
    "cover.living_room_blinds": ("cover", "Living room blinds", "Living room", "open"),
    "lock.front_door_lock": ("lock", "Front door lock", "Entrance", "locked"),
    "binary_sensor.front_door_contact": ("binary_sensor", "Front door contact", "Entrance", "off"),
    "sensor.nursery_sensor_temperature": (
        "sensor",
        "Nursery sensor Temperature",
        "Nursery",
        "21.5",
    ),
    "sensor.nursery_sensor_humidity": ("sensor", "Nursery sensor Humidity", "Nursery", "48.0"),
    "light.consultation_room_ceiling_light": (
        "light",
        "Consultation room ceiling light",
        "Consultation room",
        "off",
    ),
    "sensor.medicine_fridge_temperature": (
        "sensor",
        "Medicine fridge Temperature",
        "Consultation room",
        "4.5",
    ),
}


def settings_for(host: str, port: int) -> MqttSettings:
    return MqttSettings(host=host, port=port, reconnect_min_seconds=0.1, reconnect_max_seconds=0.5)


@dataclass
class Home:
    simulator: Simulator
    sim_connection: MqttConnection
    connection: MqttConnection
    registry: DeviceRegistry
    commander: DeviceCommander
    simulator_running: bool = True

    def entity_state(self, entity_id: str) -> str | None:
        entity = self.registry.get(entity_id)
        return entity.state.state if entity else None

    def attribute(self, entity_id: str, name: str) -> object:
        entity = self.registry.get(entity_id)
        return entity.state.attributes.get(name) if entity else None

    def available(self, entity_id: str) -> bool | None:
        entity = self.registry.get(entity_id)
        return entity.state.available if entity else None

    async def publish(self, topic: str, payload: str) -> None:
        """A raw message from the assistant's side, as any client on the broker could send."""
        await self.connection.publish(topic, payload, deadline_monotonic=time.monotonic() + 3)


async def assistant_side(host: str, port: int, name: str) -> tuple[MqttConnection, DeviceRegistry]:
    connection = MqttConnection(settings_for(host, port), client_id=name)
    registry = DeviceRegistry(connection)
    registry.start()
    await connection.start()
    assert await connection.wait_connected(5)
    await registry.settle(quiet_seconds=0.3)
    return connection, registry


def all_discovered_and_online(registry: DeviceRegistry) -> bool:
    return set(registry.entities) == set(EXPECTED) and all(
        entity.state.available is True for entity in registry.entities.values()
    )


async def start_home(
    sim_settings: MqttSettings, host: str, port: int, *, discovery_prefix: str = "homeassistant"
) -> Home:
    sim_connection = simulator_connection(sim_settings, client_id="simulator-test")
    await sim_connection.start()
    assert await sim_connection.wait_connected(5)
    simulator = Simulator(sim_connection, load_home(), discovery_prefix=discovery_prefix)
    await simulator.start()
    connection = MqttConnection(settings_for(host, port), client_id="assistant-test")
    registry = DeviceRegistry(connection, discovery_prefix=discovery_prefix)
    registry.start()
    await connection.start()
    assert await connection.wait_connected(5)
    assert await eventually(lambda: all_discovered_and_online(registry)), sorted(registry.entities)
    commander = DeviceCommander(registry, connection, confirm_timeout_seconds=3.0)
    return Home(simulator, sim_connection, connection, registry, commander)


async def close_home(home: Home) -> None:
    await home.commander.close()
    if home.simulator_running:
        await home.simulator.stop()
    await home.sim_connection.stop()
    await home.connection.stop()
    # Whatever a test did, no command may ever have reached a device retained.
    for device in home.simulator.devices.values():
        assert not any(command.retained for command in device.received), device.id


@pytest.fixture
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@pytest.fixture
async def home(broker: PrivateBroker) -> AsyncIterator[Home]:
    started = await start_home(settings_for(broker.host, broker.port), broker.host, broker.port)
    yield started
    await close_home(started)


# --- discovery ------------------------------------------------------------------------------


async def test_every_device_of_the_default_home_is_discovered_with_kind_name_area_and_state(
    home: Home,
) -> None:
    registry = home.registry
    assert set(registry.entities) == set(EXPECTED)
    for entity_id, (kind, name, area, state) in EXPECTED.items():
        entity = registry.entities[entity_id]
        assert (entity.kind, entity.name, entity.area, entity.state.state) == (
            kind,
            name,
            area,
            state,
        )
        assert entity.state.available is True, entity_id
        # Two availability topics, the simulator's bridge and the device's own, both needed.
        assert entity.config.availability_mode == "all"
        assert BRIDGE_TOPIC in {a.topic for a in entity.config.availability}
    assert registry.skipped_messages == 0
    assert home.attribute("light.kitchen_ceiling_light", "brightness_percent") == 100  # 254/254
    assert home.attribute("light.bedroom_reading_lamp", "brightness_percent") == 50  # 127/254
    assert home.attribute("light.bedroom_lamp", "brightness_percent") == 60  # Tasmota 0-100
    assert home.attribute("climate.hallway_thermostat", "target_temperature") == 20.0
    assert home.attribute("climate.hallway_thermostat", "current_temperature") == 19.5
    assert home.attribute("cover.living_room_blinds", "position") == 100
    assert home.attribute("fan.living_room_fan", "percentage") == 50  # speed 2 of 4
    assert home.attribute("sensor.nursery_sensor_temperature", "unit") == "°C"
    thermostat = registry.entities["climate.hallway_thermostat"].config
    assert isinstance(thermostat, ClimateConfig)
    assert (thermostat.min_temp, thermostat.max_temp, thermostat.temp_step) == (7.0, 30.0, 0.5)
    assert sorted(registry.areas()) == sorted({area for _, _, area, _ in EXPECTED.values()})
    # The simulator predicts the same entity ids the registry derived.
    predicted = {e for d in home.simulator.devices.values() for e in d.entity_ids()}
    assert predicted == set(EXPECTED)


async def test_discovery_uses_each_firmwares_own_dialect(home: Home) -> None:
    devices = home.simulator.devices
    ((z2m_topic, z2m),) = devices["kitchen_ceiling"].discovery()
    assert z2m_topic == "homeassistant/light/0x00158d00018255df/light/config"
    assert z2m["schema"] == "json" and z2m["brightness_scale"] == 254
    assert z2m["command_topic"] == "zigbee2mqtt/Kitchen ceiling light/set"
    ((_, plug),) = devices["living_room_plug"].discovery()
    assert {"~", "cmd_t", "stat_t", "avty", "avty_mode", "dev"} <= set(plug)
    assert "command_topic" not in plug and plug["dev"]["sa"] == "Living room"
    ((_, lamp),) = devices["bedroom_lamp"].discovery()
    assert lamp["brightness_command_topic"] == "cmnd/bedroom_lamp/Dimmer"
    assert lamp["brightness_scale"] == 100
    for device in devices.values():
        for _, config in device.discovery():
            block = config.get("device") or config["dev"]
            assert block["name"] == device.name
            assert block.get("suggested_area", block.get("sa")) == device.spec.area
            assert block.get("identifiers", block.get("ids"))


# --- commands -------------------------------------------------------------------------------


async def test_zigbee_light_turns_on_at_a_brightness_and_confirms(home: Home) -> None:
    outcome = await home.commander.call(
        "light.kitchen_ceiling_light", "turn_on", {"brightness": 50}
    )
    assert outcome.status == "confirmed", outcome.reason
    assert home.simulator.state("kitchen_ceiling") == {"state": "on", "brightness": 127}
    assert home.entity_state("light.kitchen_ceiling_light") == "on"
    assert home.attribute("light.kitchen_ceiling_light", "brightness_percent") == 50
    (command,) = home.simulator.commands("kitchen_ceiling")
    assert command.topic == "zigbee2mqtt/Kitchen ceiling light/set"
    assert json.loads(command.payload) == {"state": "ON", "brightness": 127}
    assert command.accepted and not command.retained

    outcome = await home.commander.call("light.kitchen_ceiling_light", "turn_off")
    assert outcome.status == "confirmed", outcome.reason
    assert home.simulator.state("kitchen_ceiling")["state"] == "off"


async def test_tasmota_light_gets_a_dimmer_and_a_power_message(home: Home) -> None:
    outcome = await home.commander.call("light.bedroom_lamp", "turn_on", {"brightness": 40})
    assert outcome.status == "confirmed", outcome.reason
    # The Dimmer's echo already says "on at 40", so the POWER message may still be on its way.
    assert await eventually(lambda: len(home.simulator.commands("bedroom_lamp")) == 2)
    received = [(c.topic, c.payload) for c in home.simulator.commands("bedroom_lamp")]
    assert received == [("cmnd/bedroom_lamp/Dimmer", "40"), ("cmnd/bedroom_lamp/POWER", "ON")]
    assert home.simulator.state("bedroom_lamp") == {"state": "on", "brightness": 40}
    assert home.attribute("light.bedroom_lamp", "brightness_percent") == 40


async def test_thermostat_applies_its_step_and_out_of_range_is_refused_before_sending(
    home: Home,
) -> None:
    outcome = await home.commander.call(
        "climate.hallway_thermostat", "set_temperature", {"temperature": 21.3}
    )
    assert outcome.status == "confirmed", outcome.reason
    assert home.simulator.state("hallway_thermostat")["target_temperature"] == 21.5
    assert home.attribute("climate.hallway_thermostat", "target_temperature") == 21.5
    assert [c.payload for c in home.simulator.commands("hallway_thermostat")] == ["21.5"]

    refused = await home.commander.call(
        "climate.hallway_thermostat", "set_temperature", {"temperature": 40}
    )
    assert refused.status == "refused" and refused.published == ()
    await asyncio.sleep(0.3)
    assert len(home.simulator.commands("hallway_thermostat")) == 1  # nothing more arrived
    assert home.simulator.state("hallway_thermostat")["target_temperature"] == 21.5

    outcome = await home.commander.call(
        "climate.hallway_thermostat", "set_hvac_mode", {"hvac_mode": "off"}
    )
    assert outcome.status == "confirmed", outcome.reason
    assert home.simulator.state("hallway_thermostat")["mode"] == "off"
    assert home.entity_state("climate.hallway_thermostat") == "off"


async def test_thermostat_itself_clamps_a_raw_set_point_to_its_range_and_step(home: Home) -> None:
    topic = "zigbee2mqtt/Hallway thermostat/set/occupied_heating_setpoint"
    await home.publish(topic, "40")
    assert await eventually(
        lambda: home.attribute("climate.hallway_thermostat", "target_temperature") == 30.0
    )
    await home.publish(topic, "3")
    assert await eventually(
        lambda: home.attribute("climate.hallway_thermostat", "target_temperature") == 7.0
    )
    await home.publish(topic, "18.74")
    assert await eventually(
        lambda: home.simulator.state("hallway_thermostat")["target_temperature"] == 18.5
    )


async def test_cover_travels_then_reports_its_final_position(home: Home) -> None:
    seen: list[str | None] = []
    home.registry.subscribe_changes(
        lambda change: seen.append(change.entity.state.state)
        if change.entity.entity_id == "cover.living_room_blinds" else None
    )  # fmt: skip
    started = time.monotonic()
    outcome = await home.commander.call(
        "cover.living_room_blinds", "set_position", {"position": 40}
    )
    assert outcome.status == "confirmed", outcome.reason
    assert time.monotonic() - started >= 0.3 * 0.6 * 0.9  # 60 % of a 0.3 s full travel
    assert home.simulator.state("living_room_blinds") == {"state": "open", "position": 40}
    assert home.attribute("cover.living_room_blinds", "position") == 40
    assert seen[:2] == ["closing", "open"]

    outcome = await home.commander.call("cover.living_room_blinds", "close")
    assert outcome.status == "confirmed", outcome.reason  # "closing" is the blinds' answer
    # State and position come on two topics: on a busy machine one can arrive a moment later.
    assert await eventually(
        lambda: (
            home.entity_state("cover.living_room_blinds") == "closed"
            and home.attribute("cover.living_room_blinds", "position") == 0
        )
    )
    assert home.simulator.state("living_room_blinds") == {"state": "closed", "position": 0}


async def test_lock_unlocks_and_locks_with_zigbee2mqtt_json(home: Home) -> None:
    outcome = await home.commander.call("lock.front_door_lock", "unlock")
    assert outcome.status == "confirmed", outcome.reason
    assert home.simulator.state("front_door_lock") == {"state": "unlocked"}
    assert home.entity_state("lock.front_door_lock") == "unlocked"
    outcome = await home.commander.call("lock.front_door_lock", "lock")
    assert outcome.status == "confirmed", outcome.reason
    assert home.simulator.state("front_door_lock") == {"state": "locked"}
    payloads = [json.loads(c.payload) for c in home.simulator.commands("front_door_lock")]
    assert payloads == [{"state": "UNLOCK"}, {"state": "LOCK"}]


async def test_fan_speed_and_abbreviated_plug(home: Home) -> None:
    outcome = await home.commander.call("fan.living_room_fan", "set_percentage", {"percentage": 75})
    assert outcome.status == "confirmed", outcome.reason
    # Eventually: the commander can already accept the echo of its first message (ON, at the
    # old speed 2 = 50 %, within its tolerance of a whole speed step); the speed follows.
    assert await eventually(
        lambda: home.simulator.state("living_room_fan") == {"state": "on", "speed": 3}
    )
    assert await eventually(lambda: home.attribute("fan.living_room_fan", "percentage") == 75)
    outcome = await home.commander.call("fan.living_room_fan", "turn_off")
    assert outcome.status == "confirmed", outcome.reason
    assert home.simulator.state("living_room_fan")["state"] == "off"

    outcome = await home.commander.call("switch.living_room_plug", "turn_on")
    assert outcome.status == "confirmed", outcome.reason
    assert home.simulator.state("living_room_plug") == {"state": "on"}
    assert [c.payload for c in home.simulator.commands("living_room_plug")] == ["ON"]


async def test_sensors_report_what_happens_in_the_room(home: Home) -> None:
    home.simulator.set_values("nursery_sensor", temperature=23.4, humidity=51.0)
    home.simulator.set_values("front_door_contact", state="open")
    assert await eventually(
        lambda: home.attribute("sensor.nursery_sensor_temperature", "value") == 23.4
    )
    assert home.attribute("sensor.nursery_sensor_humidity", "value") == 51.0
    assert await eventually(lambda: home.entity_state("binary_sensor.front_door_contact") == "on")
    with pytest.raises(ValueError, match="humidity"):
        home.simulator.set_values("nursery_sensor", humidity=140.0)
    outcome = await home.commander.call("sensor.nursery_sensor_temperature", "turn_on")
    assert outcome.status == "refused"


async def test_malformed_commands_are_logged_and_ignored(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="assistant.devices.sim"):
        await home.publish("zigbee2mqtt/Kitchen ceiling light/set", "{not json")
        await home.publish("zigbee2mqtt/Kitchen ceiling light/set", '{"brightness": "bright"}')
        await home.publish("living-room-plug/switch/switch/command", "BLINK")
        await home.publish("zigbee2mqtt/Hallway thermostat/set/system_mode", "turbo")
        assert await eventually(lambda: len(home.simulator.commands("kitchen_ceiling")) == 2)
        assert await eventually(lambda: len(home.simulator.commands("hallway_thermostat")) == 1)
    assert not any(c.accepted for c in home.simulator.commands("kitchen_ceiling"))
    assert not any(c.accepted for c in home.simulator.commands("living_room_plug"))
    assert home.simulator.state("kitchen_ceiling") == {"state": "off", "brightness": 254}
    assert home.simulator.state("living_room_plug") == {"state": "off"}
    assert home.simulator.state("hallway_thermostat")["mode"] == "heat"
    warnings = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(warnings) == 4 and any("BLINK" in w for w in warnings)
    # Still a working device afterwards.
    outcome = await home.commander.call("light.kitchen_ceiling_light", "turn_on")
    assert outcome.status == "confirmed", outcome.reason


# --- faults -----------------------------------------------------------------------------------


async def test_a_slow_confirmation_within_the_deadline_is_confirmed(home: Home) -> None:
    home.simulator.set_fault("living_room_plug", confirm_delay_seconds=0.5)
    outcome = await home.commander.call("switch.living_room_plug", "turn_on", timeout_seconds=3.0)
    assert outcome.status == "confirmed", outcome.reason
    assert outcome.elapsed_ms >= 450


async def test_a_confirmation_slower_than_the_deadline_fails_though_the_device_obeyed(
    home: Home,
) -> None:
    home.simulator.set_fault("living_room_plug", confirm_delay_seconds=2.0)
    outcome = await home.commander.call("switch.living_room_plug", "turn_on", timeout_seconds=1.0)
    assert outcome.status == "failed", outcome.reason
    assert len(home.simulator.commands("living_room_plug")) == 1
    assert home.simulator.state("living_room_plug") == {"state": "on"}
    # The late echo still arrives, after the assistant stopped waiting.
    assert await eventually(lambda: home.entity_state("switch.living_room_plug") == "on", 3.0)


async def test_a_confirmation_after_the_deadline_is_recorded_and_failed_does_not_stand(
    home: Home, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Defect 23: commands reported failed had happened; the late confirmation now says so,
    in the commander's history, the device's state, the audit log and out loud."""
    host = SkillHost(load_settings(storage={"state_dir": tmp_path}), home.registry, home.commander)
    late: list[CommandOutcome] = []
    heard = asyncio.Event()

    def on_late(outcome: CommandOutcome) -> None:
        late.append(outcome)
        heard.set()

    home.commander.subscribe_late(on_late)
    home.simulator.set_fault("living_room_plug", confirm_delay_seconds=2.0)
    with caplog.at_level(logging.WARNING, logger="assistant.devices"):
        outcome = await home.commander.call(
            "switch.living_room_plug", "turn_on", timeout_seconds=1.0
        )
        assert outcome.status == "failed", outcome.reason
        assert home.commander.history[-1] is outcome
        await asyncio.wait_for(heard.wait(), 10)
    assert [o.status for o in late] == ["confirmed-late"]
    assert late[0].entity_id == "switch.living_room_plug" and late[0].service == "turn_on"
    assert "after all" in late[0].reason
    # The history the audit reads no longer says failed; the device's state says it was late.
    assert home.commander.history[-1] == late[0]
    entity = home.registry.get("switch.living_room_plug")
    assert entity is not None and entity.state.state == "on"
    assert entity.state.late_confirmation is not None
    assert "turn_on confirmed" in entity.state.snapshot()["late_confirmation"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("late confirmation" in m and "switch.living_room_plug" in m for m in warnings)
    # The person who heard "failed" is told, and the audit log keeps the truth.
    told = await asyncio.wait_for(host.announcer.queue.get(), 5)
    assert "Living room plug is on after all" in told.text, told
    [entry] = host.audit.entries()
    assert entry["outcome"] == "confirmed-late"
    assert entry["actions"] == [
        {"entity": "switch.living_room_plug", "service": "turn_on", "status": "confirmed-late"}
    ]
    # The next command clears the old news.
    home.simulator.set_fault("living_room_plug", confirm_delay_seconds=0.0)
    again = await home.commander.call("switch.living_room_plug", "turn_off")
    assert again.status == "confirmed" and entity.state.late_confirmation is None


async def test_the_next_command_is_not_taken_for_the_late_confirmation_of_a_failed_one(
    home: Home, tmp_path: Path
) -> None:
    """The reliability run: a command the device never took failed; the next one to the same
    state was confirmed, and that confirmation was announced and audited as the failed one
    having happened "after all" (8 of 10 failures in the broker-kill run)."""
    host = SkillHost(load_settings(storage={"state_dir": tmp_path}), home.registry, home.commander)
    late: list[CommandOutcome] = []
    home.commander.subscribe_late(late.append)
    plug = home.simulator.device("living_room_plug")
    # The device is gone, but its availability still says online (a stale retained message).
    await home.simulator.set_available("living_room_plug", False)
    await home.publish(plug.availability_topic, plug.availability_payload(True))
    assert await eventually(lambda: home.available("switch.living_room_plug") is True)
    failed = await home.commander.call("switch.living_room_plug", "turn_on", timeout_seconds=1.0)
    assert failed.status == "failed", failed.reason
    assert home.simulator.state("living_room_plug") == {"state": "off"}  # it never got it
    await home.simulator.set_available("living_room_plug", True)
    assert await eventually(lambda: home.entity_state("switch.living_room_plug") == "off")
    again = await home.commander.call("switch.living_room_plug", "turn_on")
    assert again.status == "confirmed", again.reason
    # A later command's confirmation is the barrier: the first one's would have come before.
    off = await home.commander.call("switch.living_room_plug", "turn_off")
    assert off.status == "confirmed", off.reason
    assert late == [] and host.audit.entries() == [] and host.announcer.queue.empty()
    assert [o.status for o in home.commander.history] == ["failed", "confirmed", "confirmed"]


async def test_a_config_delivered_again_keeps_its_subscriptions_and_its_state(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retained config comes again on every reconnect: unsubscribing and subscribing its
    topics again made the broker resend every retained state (the reliability run's loop)."""
    dropped: list[str] = []
    unsubscribe = home.connection.unsubscribe

    def counted(topic: str, handler: Handler) -> None:
        dropped.append(topic)
        unsubscribe(topic, handler)

    monkeypatch.setattr(home.connection, "unsubscribe", counted)
    [(topic, config)] = home.simulator.device("living_room_plug").discovery()
    home.registry.handle_discovery(Message(topic, json.dumps(config).encode(), retain=True))
    assert dropped == []
    outcome = await home.commander.call("switch.living_room_plug", "turn_on")
    assert outcome.status == "confirmed", outcome.reason


async def test_a_lost_confirmation_fails_though_the_command_was_delivered(home: Home) -> None:
    home.simulator.set_fault("kitchen_ceiling", lose_confirmations=True)
    outcome = await home.commander.call(
        "light.kitchen_ceiling_light", "turn_on", timeout_seconds=1.0
    )
    assert outcome.status == "failed", outcome.reason
    assert not outcome.confirmed
    assert len(home.simulator.commands("kitchen_ceiling")) == 1
    assert home.simulator.state("kitchen_ceiling")["state"] == "on"  # the bulb did it
    assert home.entity_state("light.kitchen_ceiling_light") == "off"  # but never said so


async def test_an_offline_device_gets_nothing_and_works_again_when_back(home: Home) -> None:
    await home.simulator.set_available("living_room_plug", False)
    assert await eventually(lambda: home.available("switch.living_room_plug") is False)
    assert home.available("light.kitchen_ceiling_light") is True  # only that device

    outcome = await home.commander.call("switch.living_room_plug", "turn_on")
    assert outcome.status == "unavailable" and outcome.published == ()
    await home.publish("living-room-plug/switch/switch/command", "ON")  # sent anyway, by hand
    assert await eventually(
        lambda: home.simulator.devices["living_room_plug"].dropped_while_offline == 1
    )
    assert home.simulator.commands("living_room_plug") == []
    assert home.simulator.state("living_room_plug") == {"state": "off"}

    await home.simulator.set_available("living_room_plug", True)
    assert await eventually(lambda: home.available("switch.living_room_plug") is True)
    outcome = await home.commander.call("switch.living_room_plug", "turn_on")
    assert outcome.status == "confirmed", outcome.reason
    assert len(home.simulator.commands("living_room_plug")) == 1


async def test_periodic_outages_take_the_device_off_and_back(home: Home) -> None:
    availability: list[bool | None] = []

    def record(change: Change) -> None:
        if change.entity.entity_id == "fan.living_room_fan":
            availability.append(change.entity.state.available)

    home.registry.subscribe_changes(record)
    home.simulator.set_fault("living_room_fan", offline_every_seconds=0.6, offline_for_seconds=0.3)
    assert await eventually(lambda: availability[:2] == [False, True], 3.0), availability
    home.simulator.set_fault("living_room_fan", offline_every_seconds=0.0)
    assert await eventually(lambda: home.available("fan.living_room_fan") is True)
    with pytest.raises(ValueError, match="offline_for_seconds"):
        home.simulator.set_fault(
            "living_room_fan", offline_every_seconds=1.0, offline_for_seconds=2.0
        )


async def test_faults_and_the_world_change_through_the_control_topic(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    plug = home.simulator.devices["living_room_plug"]
    await home.publish(
        CONTROL_TOPIC, json.dumps({"device": "living_room_plug", "available": False})
    )
    assert await eventually(lambda: home.available("switch.living_room_plug") is False)
    await home.publish(
        CONTROL_TOPIC,
        json.dumps(
            {"device": "living_room_plug", "confirm_delay_seconds": 0.4, "lose_confirmations": True}
        ),
    )
    assert await eventually(
        lambda: plug.faults.lose_confirmations and plug.faults.confirm_delay_seconds == 0.4
    )
    await home.publish(
        CONTROL_TOPIC, json.dumps({"device": "front_door_contact", "set": {"state": "open"}})
    )
    assert await eventually(lambda: home.entity_state("binary_sensor.front_door_contact") == "on")

    with caplog.at_level(logging.WARNING, logger="assistant.devices.sim"):
        for bad in ("{oops", '{"device": "garage"}', '{"device": "living_room_plug", "color": 1}',
                    '{"device": "living_room_plug", "confirm_delay_seconds": -1}'):  # fmt: skip
            await home.publish(CONTROL_TOPIC, bad)
        assert await eventually(
            lambda: sum("control message" in r.getMessage() for r in caplog.records) == 4
        )
    assert plug.faults.confirm_delay_seconds == 0.4


# --- lifecycle --------------------------------------------------------------------------------


async def test_stopping_with_remove_deletes_the_entities(broker: PrivateBroker, home: Home) -> None:
    await home.simulator.stop(remove=True)
    home.simulator_running = False
    assert await eventually(lambda: home.registry.entities == {})
    # Nothing of the simulation is left on the broker for the next registry either.
    connection, registry = await assistant_side(broker.host, broker.port, "late-registry")
    try:
        assert registry.entities == {}
    finally:
        await connection.stop()


async def test_a_clean_stop_marks_the_devices_offline(home: Home) -> None:
    await home.simulator.stop()
    home.simulator_running = False
    assert await eventually(
        lambda: all(e.state.available is False for e in home.registry.entities.values())
    )
    assert set(home.registry.entities) == set(EXPECTED)  # still known, just offline


async def test_a_crashed_simulator_goes_offline_by_last_will_and_comes_back(
    broker: PrivateBroker,
) -> None:
    proxy = CuttableProxy(broker.host, broker.port)
    await proxy.start()
    home = await start_home(settings_for(proxy.host, proxy.port), broker.host, broker.port)
    try:
        await proxy.cut()  # the simulator's connection dies with no DISCONNECT: only the will tells
        assert await eventually(
            lambda: all(e.state.available is False for e in home.registry.entities.values())
        )
        outcome = await home.commander.call("switch.living_room_plug", "turn_on")
        assert outcome.status == "unavailable"

        await proxy.restore()
        assert await eventually(lambda: all_discovered_and_online(home.registry), 10.0)
        outcome = await home.commander.call("switch.living_room_plug", "turn_on")
        assert outcome.status == "confirmed", outcome.reason
        assert len(home.simulator.commands("living_room_plug")) == 1
    finally:
        await close_home(home)
        await proxy.close()


async def test_devices_announce_again_after_the_broker_lost_everything(
    broker: PrivateBroker, home: Home
) -> None:
    broker.stop()  # no persistence: every retained config and state is gone
    broker.start()
    assert await eventually(lambda: home.simulator.announcements == 2)
    connection, registry = await assistant_side(broker.host, broker.port, "registry-after-restart")
    try:
        assert await eventually(lambda: all_discovered_and_online(registry))
        assert registry.entities["light.bedroom_reading_lamp"].state.state == "on"
    finally:
        await connection.stop()


async def test_devices_discovered_while_the_assistant_runs_are_available(
    broker: PrivateBroker,
) -> None:
    connection, registry = await assistant_side(broker.host, broker.port, "assistant-first")
    sim_connection = simulator_connection(
        settings_for(broker.host, broker.port), client_id="sim-late"
    )
    await sim_connection.start()
    simulator = Simulator(sim_connection, load_home())
    try:
        assert await sim_connection.wait_connected(5)
        await simulator.start()  # discovery now arrives live, one device after another
        assert await eventually(lambda: set(registry.entities) == set(EXPECTED))
        assert await eventually(lambda: all_discovered_and_online(registry), 2.0), {
            e.entity_id: e.state.available for e in registry.entities.values()
        }
    finally:
        await simulator.stop()
        await sim_connection.stop()
        await connection.stop()


async def test_a_discovery_prefix_of_its_own(broker: PrivateBroker) -> None:
    home = await start_home(
        settings_for(broker.host, broker.port), broker.host, broker.port, discovery_prefix="lab/ha"
    )
    try:
        ((topic, _),) = home.simulator.devices["front_door_lock"].discovery()
        assert topic.startswith("lab/ha/lock/")
        outcome = await home.commander.call("lock.front_door_lock", "unlock")
        assert outcome.status == "confirmed", outcome.reason
    finally:
        await close_home(home)


# --- the home file and the entry point --------------------------------------------------------


def test_home_file_errors_name_the_file_the_device_and_the_problem(tmp_path: Path) -> None:
    cases = {
        'kind = "toaster"': "kind",
        'kind = "light"\nstyle = "esphome"': "esphome",
        'kind = "lock"\n[device.options]\ntravel_seconds = 1': "travel_seconds",
        'kind = "light"\n[device.initial]\nbrightness = 999': "brightness",
        'kind = "fan"\ncolour = "red"': "colour",
    }
    for body, problem in cases.items():
        path = tmp_path / "home.toml"
        path.write_text(f'[[device]]\nid = "x"\nname = "T"\narea = "K"\n{body}\n')
        with pytest.raises(ConfigError) as error:
            load_home(path)
        assert str(path) in error.value.message and "(x)" in error.value.message
        assert problem in error.value.message, error.value.message
    with pytest.raises(ConfigError, match="does-not-exist"):
        load_home(tmp_path / "does-not-exist.toml")
    with pytest.raises(ConfigError, match="garage"):
        with_faults(load_home(), offline=["garage"])


async def test_run_simulator_needs_a_broker() -> None:
    with pytest.raises(ConfigError) as error:
        await run_simulator(MqttSettings(), None)
    assert "mqtt.host" in error.value.message and "demo" in error.value.message


RUN_SIMULATOR = """
import asyncio, sys
from assistant.config import MqttSettings
from assistant.devices.sim import run_simulator
settings = MqttSettings(host="127.0.0.1", port=int(sys.argv[1]), client_id="sim-subprocess")
sys.exit(asyncio.run(run_simulator(settings, None, offline=["living_room_fan"],
                                   slow={"bedroom_lamp": 0.5}, lose=["living_room_plug"])))
"""


@pytest.fixture
def simulator_process(broker: PrivateBroker) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_SIMULATOR, str(broker.port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=5)


async def test_run_simulator_with_command_line_faults_until_sigterm(
    broker: PrivateBroker, simulator_process: subprocess.Popen[str]
) -> None:
    assert simulator_process.stdout is not None
    header = await asyncio.to_thread(simulator_process.stdout.readline)
    assert "Simulating 12 devices" in header, header + (
        simulator_process.stderr.read() if simulator_process.stderr else ""
    )
    lines = [await asyncio.to_thread(simulator_process.stdout.readline) for _ in range(12)]
    assert lines[0].split()[:3] == ["kitchen_ceiling", "light", "'Kitchen"]
    assert any("cmnd/bedroom_lamp/Dimmer" in line for line in lines)
    connection, registry = await assistant_side(broker.host, broker.port, "assistant-cli-test")
    try:
        assert await eventually(lambda: set(registry.entities) == set(EXPECTED))
        assert await eventually(
            lambda: registry.entities["fan.living_room_fan"].state.available is False
        )
        commander = DeviceCommander(registry, connection, confirm_timeout_seconds=3.0)
        slow = await commander.call("light.bedroom_lamp", "turn_on")
        assert slow.status == "confirmed" and slow.elapsed_ms >= 450, slow.reason
        lost = await commander.call("switch.living_room_plug", "turn_on", timeout_seconds=1.0)
        assert lost.status == "failed", lost.reason
        offline = await commander.call("fan.living_room_fan", "turn_on")
        assert offline.status == "unavailable"

        simulator_process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(simulator_process.wait, 10) == 0
        assert await eventually(
            lambda: all(e.state.available is False for e in registry.entities.values())
        )
    finally:
        await connection.stop()


async def test_a_killed_simulator_process_leaves_its_devices_offline(
    broker: PrivateBroker, simulator_process: subprocess.Popen[str]
) -> None:
    assert simulator_process.stdout is not None
    assert "Simulating" in await asyncio.to_thread(simulator_process.stdout.readline)
    connection, registry = await assistant_side(broker.host, broker.port, "assistant-kill-test")
    try:
        assert await eventually(lambda: registry.get("light.kitchen_ceiling_light") is not None)
        assert await eventually(
            lambda: registry.entities["light.kitchen_ceiling_light"].state.available is True
        )
        simulator_process.kill()  # no goodbye at all
        await asyncio.to_thread(simulator_process.wait, 5)
        assert await eventually(
            lambda: (
                len(registry.entities) == len(EXPECTED)
                and all(e.state.available is False for e in registry.entities.values())
            )
        )
    finally:
        await connection.stop()
