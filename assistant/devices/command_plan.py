"""What a service call means for one entity: the exact messages, and how to recognise success.

Pure functions of the entity's config: topics, payloads, templates, brightness scales,
temperature steps and position ranges are applied here, and values outside what the device
declares are refused with a sentence a person can hear, before anything is sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.devices.entity_config import (
    ClimateConfig,
    CoverConfig,
    FanConfig,
    LightConfig,
    LockConfig,
    SwitchConfig,
)
from assistant.devices.registry import Entity
from assistant.devices.templates import render, render_command
from assistant.errors import AssistantError

SERVICES_BY_KIND: dict[str, tuple[str, ...]] = {
    "light": ("turn_on", "turn_off", "set_brightness"),
    "switch": ("turn_on", "turn_off"),
    "fan": ("turn_on", "turn_off", "set_percentage"),
    "climate": ("set_temperature", "set_hvac_mode", "turn_on", "turn_off"),
    "cover": ("open", "close", "stop", "set_position"),
    "lock": ("lock", "unlock"),
    "sensor": (),
    "binary_sensor": (),
}


class CommandRefused(AssistantError):
    """The call cannot be carried out as asked; nothing was sent. The message is speakable."""

    code = "command-refused"


@dataclass(frozen=True)
class Published:
    topic: str
    payload: str


Predicate = Callable[[Entity], bool]


@dataclass(frozen=True)
class CommandPlan:
    messages: tuple[Published, ...]
    expect: Predicate | None
    """True once the device reports the commanded state; None when it cannot report it."""
    expectation: str
    """The commanded state in words, e.g. 'on at 30 percent'."""


def plan_command(entity: Entity, service: str, data: dict[str, Any]) -> CommandPlan:
    services = SERVICES_BY_KIND.get(entity.kind, ())
    if service not in services:
        if not services:
            raise CommandRefused(
                f"The {entity.name} is a {entity.kind.replace('_', ' ')}; it can only be read."
            )
        raise CommandRefused(
            f"The {entity.name} can't {service.replace('_', ' ')}; it can {_or_list(services)}."
        )
    config = entity.config
    if isinstance(config, LightConfig):
        return _light(entity, config, service, data)
    if isinstance(config, SwitchConfig):
        return _switch(config, service)
    if isinstance(config, FanConfig):
        return _fan(entity, config, service, data)
    if isinstance(config, ClimateConfig):
        return _climate(entity, config, service, data)
    if isinstance(config, CoverConfig):
        return _cover(entity, config, service, data)
    assert isinstance(config, LockConfig)
    return _lock(config, service)


def _or_list(services: tuple[str, ...]) -> str:
    words = [service.replace("_", " ") for service in services]
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]


def _number(data: dict[str, Any], key: str, what: str) -> float:
    if key not in data:
        raise CommandRefused(f"I need a {what} for that.")
    value = data[key]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CommandRefused(f"{value!r} is not a {what}.") from None
    if not math.isfinite(number):
        raise CommandRefused(f"{value!r} is not a {what}.")
    return number


def _percent(data: dict[str, Any], key: str, what: str) -> float:
    value = _number(data, key, what)
    if not 0 <= value <= 100:
        raise CommandRefused(
            f"{what.capitalize()} goes from 0 to 100 percent; {_spoken(value)} is out of range."
        )
    return value


def _spoken(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _state_is(state: str) -> Predicate:
    return lambda entity: entity.state.state == state


def _near(attribute: str, target: float, tolerance: float) -> Predicate:
    def check(entity: Entity) -> bool:
        value = entity.state.attributes.get(attribute)
        return isinstance(value, int | float) and abs(value - target) <= tolerance

    return check


def _both(first: Predicate, second: Predicate | None) -> Predicate:
    return first if second is None else (lambda entity: first(entity) and second(entity))


# --- lights --------------------------------------------------------------------------------


def _light(entity: Entity, config: LightConfig, service: str, data: dict[str, Any]) -> CommandPlan:
    brightness: float | None = None
    if service == "set_brightness" or "brightness" in data:
        brightness = _percent(data, "brightness", "brightness")
        if not config.dimmable:
            raise CommandRefused(f"The {entity.name} can only be switched on and off, not dimmed.")
    if service == "turn_off" or brightness == 0:
        return CommandPlan(
            _light_messages(config, on=False, raw_brightness=None),
            _state_is("off") if config.state_topic else None,
            "off",
        )
    raw = None if brightness is None else max(1, round(brightness * config.brightness_scale / 100))
    reports_brightness = (
        config.schema_ == "json"
        or config.brightness_state_topic is not None
        or config.brightness_template is not None
    )
    expect: Predicate | None = None
    if config.state_topic:
        expect = _state_is("on")
        if brightness is not None and reports_brightness:
            # A brightness scale coarser than 1 % reads back with a rounding error.
            tolerance = max(1.0, 100 / config.brightness_scale)
            expect = _both(expect, _near("brightness_percent", brightness, tolerance))
    elif brightness is not None and config.brightness_state_topic:
        expect = _near("brightness_percent", brightness, max(1.0, 100 / config.brightness_scale))
    words = "on" if brightness is None else f"on at {_spoken(brightness)} percent"
    return CommandPlan(_light_messages(config, on=True, raw_brightness=raw), expect, words)


def _light_messages(
    config: LightConfig, *, on: bool, raw_brightness: int | None
) -> tuple[Published, ...]:
    command_topic = config.command_topic
    assert command_topic is not None
    if config.schema_ == "json":
        body: dict[str, Any] = {"state": "ON" if on else "OFF"}
        if raw_brightness is not None:
            body["brightness"] = raw_brightness
        return (Published(command_topic, json.dumps(body)),)
    if config.schema_ == "template":
        template = config.command_on_template if on else config.command_off_template
        assert template is not None
        variables: dict[str, Any] = {"state": "on" if on else "off"}
        if raw_brightness is not None:
            variables["brightness"] = raw_brightness
        return (Published(command_topic, render(template, **variables)),)
    switch = Published(
        command_topic,
        render_command(config.command_template, config.payload_on if on else config.payload_off),
    )
    if not on or raw_brightness is None or config.brightness_command_topic is None:
        return (switch,)
    dim = Published(
        config.brightness_command_topic,
        render_command(config.brightness_command_template, raw_brightness),
    )
    if config.on_command_type == "brightness":
        return (dim,)
    return (switch, dim) if config.on_command_type == "first" else (dim, switch)


# --- switches and fans ---------------------------------------------------------------------


def _switch(config: SwitchConfig, service: str) -> CommandPlan:
    on = service == "turn_on"
    assert config.command_topic is not None
    payload = render_command(
        config.command_template, config.payload_on if on else config.payload_off
    )
    expect = _state_is("on" if on else "off") if config.state_topic else None
    return CommandPlan((Published(config.command_topic, payload),), expect, "on" if on else "off")


def _fan(entity: Entity, config: FanConfig, service: str, data: dict[str, Any]) -> CommandPlan:
    assert config.command_topic is not None
    percentage = None
    if service == "set_percentage" or "percentage" in data:
        percentage = _percent(data, "percentage", "speed")
        if config.percentage_command_topic is None:
            raise CommandRefused(
                f"The {entity.name} has no speed setting; it can only be switched on and off."
            )
    if service == "turn_off" or percentage == 0:
        payload = render_command(config.command_template, config.payload_off)
        expect = _state_is("off") if config.state_topic else None
        return CommandPlan((Published(config.command_topic, payload),), expect, "off")
    messages = [
        Published(config.command_topic, render_command(config.command_template, config.payload_on))
    ]
    expect = _state_is("on") if config.state_topic else None
    words = "on"
    if percentage is not None:
        assert config.percentage_command_topic is not None
        low, high = config.speed_range_min, config.speed_range_max
        raw = max(low, math.ceil(percentage * (high - low + 1) / 100) + low - 1)
        messages.append(
            Published(
                config.percentage_command_topic,
                render_command(config.percentage_command_template, raw),
            )
        )
        if config.percentage_state_topic:
            # Half a speed step: the old speed, echoed with the ON message, must not pass.
            half_step = 50 / (high - low + 1)
            expect = _both(_near("percentage", percentage, max(1.0, half_step)), expect)
        words = f"on at {_spoken(percentage)} percent"
    return CommandPlan(tuple(messages), expect, words)


# --- climate -------------------------------------------------------------------------------


def _climate(
    entity: Entity, config: ClimateConfig, service: str, data: dict[str, Any]
) -> CommandPlan:
    if service in ("turn_on", "turn_off"):
        mode: str | None = (
            "off"
            if service == "turn_off"
            else next((m for m in ("heat", "auto", "heat_cool", "cool") if m in config.modes), None)
        )
        if mode is None or mode not in config.modes:
            raise CommandRefused(f"The {entity.name} has no mode to {service.replace('_', ' ')}.")
        return _climate(entity, config, "set_hvac_mode", {"hvac_mode": mode})
    if service == "set_hvac_mode":
        mode = str(data.get("hvac_mode") or "")
        if mode not in config.modes:
            raise CommandRefused(
                f"The {entity.name} can be set to {_or_list(tuple(config.modes))}, "
                f"not {mode or 'nothing'}."
            )
        if config.mode_command_topic is None:
            raise CommandRefused(f"The {entity.name}'s mode can't be changed.")
        payload = render_command(config.mode_command_template, mode)
        expect = _state_is(mode) if config.mode_state_topic else None
        return CommandPlan(
            (Published(config.mode_command_topic, payload),), expect, f"set to {mode}"
        )
    temperature = _number(data, "temperature", "temperature")
    low, high = config.min_temp, config.max_temp
    assert low is not None and high is not None
    unit = "degrees" if config.temperature_unit == "C" else "degrees Fahrenheit"
    if not low <= temperature <= high:
        raise CommandRefused(
            f"The {entity.name} can be set between {_spoken(low)} and {_spoken(high)} {unit}; "
            f"{_spoken(temperature)} is out of range."
        )
    if config.temperature_command_topic is None:
        raise CommandRefused(f"The {entity.name}'s set point can't be changed.")
    step = config.temp_step
    stepped = min(high, max(low, round(round(temperature / step) * step, 4)))
    payload = render_command(config.temperature_command_template, float(stepped))
    expect = (
        _near("target_temperature", stepped, step / 2) if config.temperature_state_topic else None
    )
    return CommandPlan(
        (Published(config.temperature_command_topic, payload),),
        expect,
        f"set to {_spoken(stepped)} {unit}",
    )


# --- covers and locks ----------------------------------------------------------------------


def _cover(entity: Entity, config: CoverConfig, service: str, data: dict[str, Any]) -> CommandPlan:
    reports_state = bool(config.state_topic or config.position_topic)
    if service == "set_position":
        position = _percent(data, "position", "position")
        if config.set_position_topic is None:
            raise CommandRefused(
                f"The {entity.name} can only open and close, not stop at a position."
            )
        raw = config.from_percent(position)
        payload = render_command(config.set_position_template, raw)
        expect = _near("position", position, 1.0) if config.position_topic else None
        return CommandPlan(
            (Published(config.set_position_topic, payload),),
            expect,
            f"at {_spoken(position)} percent",
        )
    payload_by_service = {
        "open": config.payload_open,
        "close": config.payload_close,
        "stop": config.payload_stop,
    }
    command = payload_by_service[service]
    if command is None or config.command_topic is None:
        raise CommandRefused(f"The {entity.name} can't {service}.")
    # A blind takes seconds to travel; moving the commanded way is the device's confirmation.
    accepted = {
        "open": {"open", "opening"},
        "close": {"closed", "closing"},
        "stop": {"stopped", "open", "closed"},
    }[service]
    moving: Predicate | None = (lambda e: e.state.state in accepted) if reports_state else None
    words = {"open": "open", "close": "closed", "stop": "stopped"}[service]
    return CommandPlan((Published(config.command_topic, command),), moving, words)


def _lock(config: LockConfig, service: str) -> CommandPlan:
    assert config.command_topic is not None
    lock = service == "lock"
    payload = render_command(
        config.command_template, config.payload_lock if lock else config.payload_unlock
    )
    expect = _state_is("locked" if lock else "unlocked") if config.state_topic else None
    return CommandPlan(
        (Published(config.command_topic, payload),), expect, "locked" if lock else "unlocked"
    )
