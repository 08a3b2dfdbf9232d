"""Discovery payloads as real homes send them, fed straight into the registry (no broker)."""

from __future__ import annotations

import json
import logging

import pytest

from assistant.devices.mqtt import Message
from assistant.devices.registry import DeviceRegistry, Override


def discover(registry: DeviceRegistry, topic: str, payload: object) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    registry.handle_discovery(Message(topic, body, retain=True))


def state(registry: DeviceRegistry, topic: str, payload: str) -> None:
    registry.handle_state(Message(topic, payload.encode(), retain=False))


Z2M_LIGHT = {
    "~": "zigbee2mqtt/Kitchen ceiling",
    "name": None,
    "uniq_id": "0x00158d00018255df_light",
    "schema": "json",
    "brightness": True,
    "brightness_scale": 254,
    "cmd_t": "~/set",
    "stat_t": "~",
    "avty": [{"t": "zigbee2mqtt/bridge/state"}, {"t": "~/availability"}],
    "avty_mode": "all",
    "dev": {"ids": ["zigbee2mqtt_0x00158d00018255df"], "name": "Kitchen ceiling", "sa": "Kitchen"},
}


def test_zigbee2mqtt_json_light_with_abbreviations_base_topic_and_availability() -> None:
    registry = DeviceRegistry(None)
    discover(registry, "homeassistant/light/0x00158d00018255df/light/config", Z2M_LIGHT)
    entity = registry.get("light.kitchen_ceiling")
    assert entity is not None
    assert entity.name == "Kitchen ceiling"
    assert entity.area == "Kitchen"
    assert entity.config.command_topic == "zigbee2mqtt/Kitchen ceiling/set"
    assert entity.state.available is None  # nothing reported yet

    state(registry, "zigbee2mqtt/bridge/state", "online")
    assert entity.state.available is False  # mode "all": the device itself has not said online
    state(registry, "zigbee2mqtt/Kitchen ceiling/availability", "online")
    assert entity.state.available is True
    state(registry, "zigbee2mqtt/Kitchen ceiling", json.dumps({"state": "ON", "brightness": 127}))
    assert entity.state.state == "on"
    assert entity.state.attributes["brightness_percent"] == 50
    state(registry, "zigbee2mqtt/bridge/state", "offline")
    assert entity.state.available is False


def test_default_schema_light_with_separate_brightness_topic_and_template() -> None:
    registry = DeviceRegistry(None)
    discover(
        registry,
        "homeassistant/light/bedroom_lamp/config",
        {
            "name": "Bedroom lamp",
            "command_topic": "cmnd/bedroom_lamp/POWER",
            "state_topic": "stat/bedroom_lamp/RESULT",
            "state_value_template": "{{ value_json.POWER }}",
            "brightness_command_topic": "cmnd/bedroom_lamp/Dimmer",
            "brightness_state_topic": "stat/bedroom_lamp/RESULT",
            "brightness_value_template": "{{ value_json.Dimmer }}",
            "brightness_scale": 100,
            "availability_topic": "tele/bedroom_lamp/LWT",
            "payload_available": "Online",
            "payload_not_available": "Offline",
            "device": {"identifiers": "lamp1", "name": "Bedroom lamp", "suggested_area": "Bedroom"},
        },
    )
    entity = registry.get("light.bedroom_lamp")
    assert entity is not None and entity.area == "Bedroom"
    # One message carries both roles, as Tasmota's RESULT does.
    state(registry, "stat/bedroom_lamp/RESULT", json.dumps({"POWER": "ON", "Dimmer": 30}))
    assert entity.state.state == "on"
    assert entity.state.attributes["brightness_percent"] == 30
    state(registry, "tele/bedroom_lamp/LWT", "Offline")
    assert entity.state.available is False


def test_every_component_is_understood() -> None:
    registry = DeviceRegistry(None)
    configs = {
        "homeassistant/switch/plug/config": {"name": "Plug", "cmd_t": "p/set", "stat_t": "p/state"},
        "homeassistant/fan/fan/config": {"name": "Fan", "cmd_t": "f/set", "stat_t": "f/state"},
        "homeassistant/climate/thermostat/config": {
            "name": "Thermostat",
            "temp_cmd_t": "t/set",
            "temp_stat_t": "t/state",
            "temp_stat_tpl": "{{ value_json.setpoint }}",
            "curr_temp_t": "t/state",
            "curr_temp_tpl": "{{ value_json.current }}",
            "mode_cmd_t": "t/mode/set",
            "mode_stat_t": "t/mode",
            "modes": ["off", "heat"],
            "min_temp": 7,
            "max_temp": 30,
            "temp_step": 0.5,
        },
        "homeassistant/cover/blinds/config": {
            "name": "Blinds",
            "cmd_t": "b/set",
            "stat_t": "b/state",
            "pos_t": "b/position",
            "set_pos_t": "b/position/set",
        },
        "homeassistant/lock/door/config": {
            "name": "Front door",
            "cmd_t": "d/set",
            "stat_t": "d/state",
        },
        "homeassistant/sensor/temp/config": {
            "name": "Nursery temperature",
            "stat_t": "n/state",
            "val_tpl": "{{ value_json.temperature }}",
            "unit_of_meas": "°C",
            "dev_cla": "temperature",
        },
        "homeassistant/binary_sensor/contact/config": {"name": "Door contact", "stat_t": "c/state"},
    }
    for topic, payload in configs.items():
        discover(registry, topic, payload)
    assert sorted(e.kind for e in registry.entities.values()) == sorted(
        ["switch", "fan", "climate", "cover", "lock", "sensor", "binary_sensor"]
    )
    state(registry, "p/state", "ON")
    state(registry, "f/state", "OFF")
    state(registry, "t/state", json.dumps({"setpoint": 21.5, "current": 19.25}))
    state(registry, "t/mode", "heat")
    state(registry, "b/state", "closing")
    state(registry, "b/position", "40")
    state(registry, "d/state", "LOCKED")
    state(registry, "n/state", json.dumps({"temperature": 22.4}))
    state(registry, "c/state", "OFF")
    readings = {e.entity_id: e.state.snapshot() for e in registry.entities.values()}
    assert readings["switch.plug"]["state"] == "on"
    assert readings["fan.fan"]["state"] == "off"
    assert readings["climate.thermostat"]["target_temperature"] == 21.5
    assert readings["climate.thermostat"]["current_temperature"] == 19.25
    assert readings["climate.thermostat"]["state"] == "heat"
    assert readings["cover.blinds"]["state"] == "closing"
    assert readings["cover.blinds"]["position"] == 40
    assert readings["lock.front_door"]["state"] == "locked"
    assert readings["sensor.nursery_temperature"]["value"] == 22.4
    assert readings["sensor.nursery_temperature"]["unit"] == "°C"
    assert readings["binary_sensor.door_contact"]["state"] == "off"


def test_config_update_keeps_id_and_empty_payload_removes() -> None:
    registry = DeviceRegistry(None)
    topic = "homeassistant/switch/node1/plug/config"
    discover(registry, topic, {"name": "Plug", "cmd_t": "p/set", "stat_t": "p/state"})
    state(registry, "p/state", "ON")
    discover(
        registry,
        topic,
        {"name": "Plug", "cmd_t": "p/set", "stat_t": "p/state", "dev": {"sa": "Office"}},
    )
    entity = registry.get("switch.plug")
    assert entity is not None
    assert entity.area == "Office"
    assert entity.state.state == "on"  # same topics: the state is kept
    registry.handle_discovery(Message(topic, b"", retain=True))
    assert registry.get("switch.plug") is None
    state(registry, "p/state", "OFF")  # no longer followed: nothing to update, nothing raised


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("homeassistant/light/bad/config", b"{not json", "not valid JSON"),
        ("homeassistant/light/bad/config", b"[1, 2]", "not a JSON object"),
        (
            "homeassistant/light/bad/config",
            json.dumps({"name": "No command"}).encode(),
            "command_topic",
        ),
        ("homeassistant/switch/bad/config", json.dumps({"cmd_t": 42}).encode(), "command_topic"),
        ("homeassistant/climate/bad/config", json.dumps({"min_temp": "warm"}).encode(), "min_temp"),
        (
            "homeassistant/vacuum/robot/config",
            json.dumps({"name": "Robot"}).encode(),
            "not supported",
        ),
        ("homeassistant/switch/bad/config", json.dumps({"cmd_t": "x/+/set"}).encode(), "wildcard"),
        # Every topic a command can go to, not only command_topic (defect 25).
        (
            "homeassistant/light/bad/config",
            json.dumps({"cmd_t": "l/set", "bri_cmd_t": "l/+/bri"}).encode(),
            "brightness_command_topic",
        ),
        (
            "homeassistant/cover/bad/config",
            json.dumps({"cmd_t": "c/set", "set_pos_t": "c/#"}).encode(),
            "set_position_topic",
        ),
        (
            "homeassistant/climate/bad/config",
            json.dumps({"temp_cmd_t": "t/+/set"}).encode(),
            "temperature_command_topic",
        ),
        (
            "homeassistant/fan/bad/config",
            json.dumps({"cmd_t": "f/set", "pct_cmd_t": "f/+/pct"}).encode(),
            "percentage_command_topic",
        ),
        # Topics that are followed, not published to (the reliability run): a wildcard never
        # delivers a state, '#' matched the config itself, and 'a/#/b' or a NUL broke the
        # connection at the next reconnect.
        (
            "homeassistant/sensor/wild/config",
            json.dumps({"stat_t": "#"}).encode(),
            "state_topic: '#' contains a wildcard and cannot be followed",
        ),
        (
            "homeassistant/sensor/bad/config",
            json.dumps({"stat_t": "a/#/b"}).encode(),
            "cannot be followed",
        ),
        (
            "homeassistant/sensor/bad/config",
            json.dumps({"stat_t": "nul\u0000state"}).encode(),
            "contains a NUL character",
        ),
        (
            "homeassistant/switch/bad/config",
            json.dumps({"cmd_t": "s/set", "avty_t": "+/status"}).encode(),
            "availability",
        ),
    ],
)
def test_malformed_discovery_is_skipped_with_one_line_naming_the_topic(
    topic: str, payload: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    registry = DeviceRegistry(None)
    discover(
        registry,
        "homeassistant/switch/good/config",
        {"name": "Good", "cmd_t": "g/set", "stat_t": "g"},
    )
    with caplog.at_level(logging.WARNING):
        registry.handle_discovery(Message(topic, payload, retain=True))
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1
    assert topic in lines[0] and reason in lines[0]
    assert list(registry.entities) == ["switch.good"]  # the other device is untouched
    state(registry, "g", "ON")
    assert registry.entities["switch.good"].state.state == "on"


@pytest.mark.parametrize(
    "payload",
    ["not json at all", json.dumps({"state": "MAYBE"}), json.dumps({"brightness": "bright"}), "[]"],
)
def test_malformed_state_is_skipped_and_the_state_kept(
    payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    registry = DeviceRegistry(None)
    discover(registry, "homeassistant/light/l/config", {**Z2M_LIGHT, "avty": []})
    state(registry, "zigbee2mqtt/Kitchen ceiling", json.dumps({"state": "ON", "brightness": 254}))
    with caplog.at_level(logging.WARNING):
        state(registry, "zigbee2mqtt/Kitchen ceiling", payload)
    entity = registry.entities["light.kitchen_ceiling"]
    assert entity.state.state == "on"
    assert entity.state.attributes["brightness_percent"] == 100
    assert any("zigbee2mqtt/Kitchen ceiling" in record.getMessage() for record in caplog.records)


def test_failing_value_template_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    registry = DeviceRegistry(None)
    discover(
        registry,
        "homeassistant/sensor/t/config",
        {"name": "Temp", "stat_t": "t", "val_tpl": "{{ value_json.temperature }}"},
    )
    state(registry, "t", json.dumps({"temperature": 20}))
    with caplog.at_level(logging.WARNING):
        state(registry, "t", json.dumps({"humidity": 40}))  # the key the template needs is missing
        state(registry, "t", "not json")
    assert registry.entities["sensor.temp"].state.state == "20"
    assert len(caplog.records) == 2


def test_templates_cannot_reach_python_internals(caplog: pytest.LogCaptureFixture) -> None:
    registry = DeviceRegistry(None)
    evil = "{{ value.__class__.__mro__[1].__subclasses__() }}"
    discover(
        registry,
        "homeassistant/sensor/evil/config",
        {"name": "Evil", "stat_t": "e", "val_tpl": evil},
    )
    with caplog.at_level(logging.WARNING):
        state(registry, "e", "x")
    assert registry.entities["sensor.evil"].state.state is None
    assert "e" in caplog.records[0].getMessage()


def test_names_and_areas_are_normalised_and_overridable() -> None:
    registry = DeviceRegistry(
        None,
        overrides={"switch.coffee_maker": Override(aliases=("Espresso Machine",), area="Küche")},
    )
    discover(
        registry,
        "homeassistant/switch/coffee/config",
        {"name": "Coffee_Maker", "object_id": "coffee_maker", "cmd_t": "c/set"},
    )
    entity = registry.entities["switch.coffee_maker"]
    assert entity.match_names == ("coffee maker", "espresso machine")
    assert entity.area == "Küche"
    assert entity.match_area == "kuche"


def test_entity_name_combines_device_and_entity_names() -> None:
    registry = DeviceRegistry(None)
    discover(
        registry,
        "homeassistant/sensor/0xabc/temperature/config",
        {
            "name": "Temperature",
            "stat_t": "z/nursery",
            "dev": {"name": "Nursery sensor", "sa": "Nursery"},
        },
    )
    entity = registry.entities["sensor.nursery_sensor_temperature"]
    assert entity.name == "Nursery sensor Temperature"
    assert entity.area == "Nursery"


def test_discovery_prefix_is_configurable() -> None:
    registry = DeviceRegistry(None, discovery_prefix="home/discovery")
    discover(registry, "home/discovery/switch/plug/config", {"name": "Plug", "cmd_t": "p/set"})
    discover(registry, "homeassistant/switch/other/config", {"name": "Other", "cmd_t": "o/set"})
    assert list(registry.entities) == ["switch.plug"]


def test_a_stray_message_on_a_shared_availability_topic_does_not_outlive_the_last_good_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = DeviceRegistry(None)
    other = {**Z2M_LIGHT, "~": "zigbee2mqtt/Hall", "uniq_id": "hall", "dev": {"name": "Hall"}}
    discover(registry, "homeassistant/light/hall/light/config", other)
    topic = "homeassistant/light/0x00158d00018255df/light/config"
    discover(registry, topic, Z2M_LIGHT)
    state(registry, "zigbee2mqtt/bridge/state", "online")
    state(registry, "zigbee2mqtt/Kitchen ceiling/availability", "online")
    with caplog.at_level(logging.WARNING):
        state(registry, "zigbee2mqtt/bridge/state", "\x00garbage")  # not retained, not parseable
    assert any("zigbee2mqtt/bridge/state" in r.getMessage() for r in caplog.records)
    # The device is re-announced (removed and configured again): it must be online again.
    registry.handle_discovery(Message(topic, b"", retain=True))
    discover(registry, topic, Z2M_LIGHT)
    state(registry, "zigbee2mqtt/Kitchen ceiling/availability", "online")
    entity = registry.get("light.kitchen_ceiling")
    assert entity is not None
    assert entity.state.available is True


@pytest.mark.parametrize(
    "template",
    [
        "{{ 9**(9**9) }}",
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        "{{ 'x' * 600000000 }}",
    ],
)
def test_a_template_past_its_bounds_disables_its_entity_with_one_warning(
    template: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Defect 19: a retained config like this froze every process that started."""
    registry = DeviceRegistry(None)
    discover(registry, "homeassistant/switch/good/config", {"name": "Good", "cmd_t": "g/set"})
    config = {"name": "Bomb", "stat_t": "bomb", "val_tpl": template}
    with caplog.at_level(logging.WARNING):
        discover(registry, "homeassistant/sensor/bomb/config", config)
        state(registry, "bomb", "1")
        state(registry, "bomb", "2")  # no longer followed
        discover(registry, "homeassistant/sensor/bomb/config", config)  # retained again
        state(registry, "bomb", "3")
    assert registry.get("sensor.bomb") is None
    assert list(registry.entities) == ["switch.good"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "sensor.bomb" in warnings[0] and "bound" in warnings[0]
    # A corrected config is tried again.
    discover(registry, "homeassistant/sensor/bomb/config", {**config, "val_tpl": "{{ value }}"})
    state(registry, "bomb", "4")
    entity = registry.get("sensor.bomb")
    assert entity is not None and entity.state.state == "4"


DEVICE_CONFIG = {
    "dev": {"ids": "ea334450945afc", "name": "Bedroom climate", "mf": "Bla", "sa": "Bedroom"},
    "o": {"name": "bla2mqtt", "sw": "2.1", "url": "https://bla2mqtt.example.com/support"},
    "cmps": {
        "temp": {
            "p": "sensor",
            "name": "Temperature",
            "device_class": "temperature",
            "unit_of_measurement": "°C",
            "value_template": "{{ value_json.temperature }}",
            "unique_id": "temp01ae_t",
        },
        "humidity": {
            "p": "sensor",
            "name": "Humidity",
            "unit_of_meas": "%",
            "val_tpl": "{{ value_json.humidity }}",
            "uniq_id": "temp01ae_h",
        },
        "fan": {"p": "switch", "name": "Fan", "cmd_t": "~/fan/set", "stat_t": "~/fan"},
        "beeper": {"p": "button", "name": "Beep", "cmd_t": "~/beep"},
    },
    "~": "bedroom",
    "stat_t": "~/state",
    "qos": 1,
}


def test_device_based_discovery_expands_into_its_components(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Defect 12a: `homeassistant/device/<id>/config` with `cmps` was skipped as a whole."""
    registry = DeviceRegistry(None)
    topic = "homeassistant/device/ea334450945afc/config"
    with caplog.at_level(logging.WARNING):
        discover(registry, topic, DEVICE_CONFIG)
    assert sorted(registry.entities) == [
        "sensor.bedroom_climate_humidity",
        "sensor.bedroom_climate_temperature",
        "switch.bedroom_climate_fan",
    ]
    temperature = registry.entities["sensor.bedroom_climate_temperature"]
    assert temperature.name == "Bedroom climate Temperature"
    assert temperature.area == "Bedroom"
    assert temperature.config.state_topic == "bedroom/state"  # shared, with the base topic
    assert temperature.config.qos == 1
    fan = registry.entities["switch.bedroom_climate_fan"]
    assert fan.config.state_topic == "bedroom/fan"  # its own state topic wins
    assert fan.config.command_topic == "bedroom/fan/set"
    # The unsupported component is skipped with one line; the others work.
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "beeper" in lines[0] and "button" in lines[0], lines
    state(registry, "bedroom/state", json.dumps({"temperature": 21.5, "humidity": 48}))
    assert temperature.state.state == "21.5"
    assert registry.entities["sensor.bedroom_climate_humidity"].state.attributes["value"] == 48
    state(registry, "bedroom/fan", "ON")
    assert fan.state.state == "on"

    # A component given with its platform only is removed; the rest keep their state.
    update = {**DEVICE_CONFIG, "cmps": {**DEVICE_CONFIG["cmps"], "humidity": {"p": "sensor"}}}
    discover(registry, topic, update)
    assert "sensor.bedroom_climate_humidity" not in registry.entities
    assert registry.entities["sensor.bedroom_climate_temperature"].state.state == "21.5"
    # An empty config removes the whole device.
    registry.handle_discovery(Message(topic, b"", retain=True))
    assert registry.entities == {}
