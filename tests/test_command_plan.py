"""Service calls turned into exactly what each device's config asks for, or refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assistant.devices.command_plan import CommandRefused, plan_command
from assistant.devices.mqtt import Message
from assistant.devices.registry import DeviceRegistry, Entity


def entity(component: str, config: dict[str, Any]) -> Entity:
    registry = DeviceRegistry(None)
    registry.handle_discovery(
        Message(f"homeassistant/{component}/x/config", json.dumps(config).encode(), retain=True)
    )
    (only,) = registry.entities.values()
    return only


def sent(plan: Any) -> list[tuple[str, str]]:
    return [(message.topic, message.payload) for message in plan.messages]


JSON_LIGHT = {
    "name": "Ceiling",
    "schema": "json",
    "brightness": True,
    "brightness_scale": 254,
    "cmd_t": "z/ceiling/set",
    "stat_t": "z/ceiling",
}


def test_json_light_brightness_is_scaled_into_one_json_command() -> None:
    plan = plan_command(entity("light", JSON_LIGHT), "turn_on", {"brightness": 30})
    assert sent(plan) == [("z/ceiling/set", json.dumps({"state": "ON", "brightness": 76}))]
    assert plan.expectation == "on at 30 percent"


def test_default_light_sends_brightness_then_power_unless_configured_otherwise() -> None:
    config = {
        "name": "Lamp",
        "cmd_t": "cmnd/lamp/POWER",
        "stat_t": "stat/lamp/POWER",
        "bri_cmd_t": "cmnd/lamp/Dimmer",
        "bri_scl": 100,
    }
    assert sent(plan_command(entity("light", config), "turn_on", {"brightness": 45})) == [
        ("cmnd/lamp/Dimmer", "45"),
        ("cmnd/lamp/POWER", "ON"),
    ]
    first = plan_command(
        entity("light", {**config, "on_cmd_type": "first"}), "turn_on", {"brightness": 45}
    )
    assert sent(first) == [("cmnd/lamp/POWER", "ON"), ("cmnd/lamp/Dimmer", "45")]
    only = plan_command(
        entity("light", {**config, "on_cmd_type": "brightness"}),
        "set_brightness",
        {"brightness": 45},
    )
    assert sent(only) == [("cmnd/lamp/Dimmer", "45")]
    assert sent(plan_command(entity("light", config), "turn_off", {})) == [
        ("cmnd/lamp/POWER", "OFF")
    ]


def test_command_templates_and_custom_payloads_are_used() -> None:
    config = {
        "name": "Plug",
        "cmd_t": "plug/set",
        "pl_on": "1",
        "pl_off": "0",
        "cmd_tpl": '{"relay": {{ value }}}',
    }
    assert sent(plan_command(entity("switch", config), "turn_on", {})) == [
        ("plug/set", '{"relay": 1}')
    ]


def test_brightness_zero_turns_the_light_off_and_out_of_range_is_refused() -> None:
    light = entity("light", JSON_LIGHT)
    assert sent(plan_command(light, "turn_on", {"brightness": 0})) == [
        ("z/ceiling/set", '{"state": "OFF"}')
    ]
    for bad in (-5, 101, 250, "bright", float("nan")):
        with pytest.raises(CommandRefused) as refused:
            plan_command(light, "set_brightness", {"brightness": bad})
        assert "percent" in refused.value.message or "not a brightness" in refused.value.message


def test_a_light_without_dimming_refuses_brightness() -> None:
    light = entity("light", {"name": "Porch", "cmd_t": "porch/set"})
    with pytest.raises(CommandRefused, match="only be switched on and off"):
        plan_command(light, "turn_on", {"brightness": 50})


THERMOSTAT = {
    "name": "Hallway thermostat",
    "temp_cmd_t": "t/set",
    "temp_stat_t": "t/state",
    "mode_cmd_t": "t/mode/set",
    "mode_stat_t": "t/mode",
    "modes": ["off", "heat", "auto"],
    "min_temp": 7,
    "max_temp": 30,
    "temp_step": 0.5,
}


def test_set_point_is_stepped_and_bounded_by_the_device() -> None:
    climate = entity("climate", THERMOSTAT)
    assert sent(plan_command(climate, "set_temperature", {"temperature": 21.3})) == [
        ("t/set", "21.5")
    ]
    with pytest.raises(CommandRefused) as refused:
        plan_command(climate, "set_temperature", {"temperature": 40})
    assert refused.value.message == (
        "The Hallway thermostat can be set between 7 and 30 degrees; 40 is out of range."
    )
    with pytest.raises(CommandRefused):
        plan_command(climate, "set_temperature", {"temperature": 6.9})


def test_home_assistant_default_range_applies_when_the_device_declares_none() -> None:
    climate = entity("climate", {"name": "Heater", "temp_cmd_t": "h/set"})
    assert sent(plan_command(climate, "set_temperature", {"temperature": 35})) == [
        ("h/set", "35.0")
    ]
    with pytest.raises(CommandRefused, match="between 7 and 35"):
        plan_command(climate, "set_temperature", {"temperature": 36})


def test_hvac_mode_must_be_one_the_device_has() -> None:
    climate = entity("climate", THERMOSTAT)
    assert sent(plan_command(climate, "set_hvac_mode", {"hvac_mode": "heat"})) == [
        ("t/mode/set", "heat")
    ]
    assert sent(plan_command(climate, "turn_off", {})) == [("t/mode/set", "off")]
    with pytest.raises(CommandRefused, match="off, heat or auto"):
        plan_command(climate, "set_hvac_mode", {"hvac_mode": "cool"})


def test_cover_payloads_and_scaled_position() -> None:
    cover = entity(
        "cover",
        {
            "name": "Blinds",
            "cmd_t": "b/set",
            "stat_t": "b/state",
            "pos_t": "b/pos",
            "set_pos_t": "b/pos/set",
            "pos_open": 255,
            "pos_clsd": 0,
            "pl_open": "UP",
            "pl_cls": "DOWN",
        },
    )
    assert sent(plan_command(cover, "open", {})) == [("b/set", "UP")]
    assert sent(plan_command(cover, "close", {})) == [("b/set", "DOWN")]
    assert sent(plan_command(cover, "stop", {})) == [("b/set", "STOP")]
    assert sent(plan_command(cover, "set_position", {"position": 50})) == [("b/pos/set", "128")]
    with pytest.raises(CommandRefused):
        plan_command(cover, "set_position", {"position": 120})


def test_cover_without_position_refuses_a_position() -> None:
    cover = entity("cover", {"name": "Garage door", "cmd_t": "g/set"})
    with pytest.raises(CommandRefused, match="only open and close"):
        plan_command(cover, "set_position", {"position": 50})


def test_lock_payloads() -> None:
    lock = entity(
        "lock", {"name": "Front door", "cmd_t": "d/set", "stat_t": "d/state", "pl_unlk": "OPEN_UP"}
    )
    assert sent(plan_command(lock, "lock", {})) == [("d/set", "LOCK")]
    assert sent(plan_command(lock, "unlock", {})) == [("d/set", "OPEN_UP")]


def test_sensors_cannot_be_commanded_and_unknown_services_are_refused() -> None:
    sensor = entity("sensor", {"name": "Nursery temperature", "stat_t": "n"})
    with pytest.raises(CommandRefused, match="can only be read"):
        plan_command(sensor, "turn_on", {})
    with pytest.raises(CommandRefused, match="turn on, turn off or set brightness"):
        plan_command(entity("light", JSON_LIGHT), "lock", {})


def test_devices_without_state_topic_cannot_be_confirmed() -> None:
    plan = plan_command(entity("switch", {"name": "Relay", "cmd_t": "r/set"}), "turn_on", {})
    assert plan.expect is None


def test_fan_percentage_maps_onto_the_speed_range() -> None:
    fan = entity(
        "fan",
        {
            "name": "Fan",
            "cmd_t": "f/set",
            "stat_t": "f/state",
            "pct_cmd_t": "f/speed/set",
            "pct_stat_t": "f/speed",
            "spd_rng_min": 1,
            "spd_rng_max": 3,
        },
    )
    assert sent(plan_command(fan, "set_percentage", {"percentage": 100})) == [
        ("f/set", "ON"),
        ("f/speed/set", "3"),
    ]
    assert sent(plan_command(fan, "set_percentage", {"percentage": 34})) == [
        ("f/set", "ON"),
        ("f/speed/set", "2"),
    ]
