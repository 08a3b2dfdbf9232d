"""Turning state and availability messages into an entity's state.

The state is normalised per component (`on`/`off`, `locked`, `open`, the HVAC mode, …) with
numeric attributes in human units (brightness and position in percent, temperatures in the
device's unit), so skills and replies never deal with raw payloads or brightness scales.
One topic may carry several roles (Zigbee2MQTT puts state and brightness in one JSON message),
so every role whose topic matches is applied.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from assistant.devices.entity_config import (
    BinarySensorConfig,
    ClimateConfig,
    CoverConfig,
    EntityConfig,
    FanConfig,
    LightConfig,
    LockConfig,
    SensorConfig,
    SwitchConfig,
)
from assistant.devices.templates import TemplateBoundExceeded, TemplateError, render_value


class StateError(ValueError):
    """A message that cannot be understood as this entity's state; it is skipped."""


class TemplateBound(StateError):
    """One of the entity's templates went past a bound; it would again on every message, so
    the registry disables the entity instead of skipping message after message."""


@dataclass
class EntityState:
    state: str | None = None
    """Normalised state, or None until the device has reported one."""
    attributes: dict[str, Any] = field(default_factory=dict)
    available: bool | None = None
    """None until an availability message arrived (or when the entity declares none)."""
    updated_monotonic: float = 0.0
    """When the last state message was applied (time.monotonic())."""
    late_confirmation: str | None = None
    """Set when the last command was reported failed but the device confirmed it afterwards
    (e.g. "turn_on confirmed 7.2 s after it was reported failed"); cleared by the next one."""
    _availability_by_topic: dict[str, bool] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        late = {"late_confirmation": self.late_confirmation} if self.late_confirmation else {}
        return {"state": self.state, **self.attributes, "available": self.available, **late}


def _match(value: str, options: dict[str, str]) -> str:
    """Map a reported payload to a normalised state; exact first, then ignoring case."""
    if value in options:
        return options[value]
    folded = {key.casefold(): state for key, state in options.items()}
    if value.casefold() in folded:
        return folded[value.casefold()]
    raise StateError(f"unexpected state {value!r} (expected one of {sorted(options)})")


def _number(value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise StateError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise StateError(f"{what} {value!r} is not a finite number")
    return number


def apply_state_message(config: EntityConfig, state: EntityState, topic: str, payload: str) -> bool:
    """Apply one message; returns True when it changed anything. Raises StateError."""
    before = (state.state, dict(state.attributes))
    try:
        _APPLY[type(config)](config, state, topic, payload)
    except (StateError, TemplateError) as error:
        state.state, state.attributes = before  # all of a message applies, or none of it
        if isinstance(error, TemplateBoundExceeded):
            raise TemplateBound(error.message) from None
        raise StateError(str(error)) from None
    state.updated_monotonic = time.monotonic()
    return (state.state, state.attributes) != before


def apply_availability_message(
    config: EntityConfig, state: EntityState, topic: str, payload: str
) -> bool:
    before = state.available
    for entry in config.availability:
        if entry.topic != topic:
            continue
        try:
            value = render_value(entry.value_template, payload)
        except TemplateBoundExceeded as error:
            raise TemplateBound(error.message) from None
        except TemplateError as error:
            raise StateError(error.message) from None
        if value == entry.payload_available:
            state._availability_by_topic[topic] = True
        elif value == entry.payload_not_available:
            state._availability_by_topic[topic] = False
        else:
            raise StateError(
                f"unexpected availability {value!r} (expected {entry.payload_available!r} "
                f"or {entry.payload_not_available!r})"
            )
        known = state._availability_by_topic
        if config.availability_mode == "all":
            state.available = all(known.get(e.topic, False) for e in config.availability)
        elif config.availability_mode == "any":
            state.available = any(known.values())
        else:
            state.available = known[topic]
    return state.available != before


def _json_object(payload: str) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        raise StateError("payload is not valid JSON") from None
    if not isinstance(data, dict):
        raise StateError("JSON payload is not an object")
    return data


def _apply_light(config: LightConfig, state: EntityState, topic: str, payload: str) -> None:
    on_off = {config.payload_on: "on", config.payload_off: "off", "ON": "on", "OFF": "off"}
    if config.schema_ == "json":
        if topic != config.state_topic:
            return
        data = _json_object(payload)
        if "state" in data:
            state.state = _match(str(data["state"]), on_off)
        brightness = data.get("brightness")
        if brightness is not None:
            if not isinstance(brightness, int | float) or isinstance(brightness, bool):
                raise StateError(f"brightness {brightness!r} is not a number")
            state.attributes["brightness_percent"] = _percent(brightness, config.brightness_scale)
        return
    if config.schema_ == "template":
        if topic != config.state_topic:
            return
        if config.state_template:
            state.state = _match(
                render_value(config.state_template, payload), {"on": "on", "off": "off"}
            )
        if config.brightness_template:
            raw = _number(render_value(config.brightness_template, payload), "brightness")
            state.attributes["brightness_percent"] = _percent(raw, 255)
        return
    if topic == config.state_topic:
        template = config.state_value_template or config.value_template
        state.state = _match(render_value(template, payload), on_off)
    if topic == config.brightness_state_topic:
        raw = _number(render_value(config.brightness_value_template, payload), "brightness")
        state.attributes["brightness_percent"] = _percent(raw, config.brightness_scale)


def _percent(raw: float, scale: float) -> int:
    return max(0, min(100, round(raw * 100.0 / scale)))


def _apply_switch(config: SwitchConfig, state: EntityState, topic: str, payload: str) -> None:
    if topic == config.state_topic:
        options = {
            config.state_on or config.payload_on: "on",
            config.state_off or config.payload_off: "off",
        }
        state.state = _match(render_value(config.value_template, payload), options)


def _apply_fan(config: FanConfig, state: EntityState, topic: str, payload: str) -> None:
    if topic == config.state_topic:
        template = config.state_value_template or config.value_template
        options = {config.payload_on: "on", config.payload_off: "off"}
        state.state = _match(render_value(template, payload), options)
    if topic == config.percentage_state_topic:
        raw = _number(render_value(config.percentage_value_template, payload), "percentage")
        low, high = config.speed_range_min, config.speed_range_max
        percentage = 0.0 if raw <= 0 else (raw - low + 1) * 100.0 / (high - low + 1)
        state.attributes["percentage"] = max(0, min(100, round(percentage)))


def _apply_climate(config: ClimateConfig, state: EntityState, topic: str, payload: str) -> None:
    state.attributes["temperature_unit"] = config.temperature_unit
    if topic == config.temperature_state_topic:
        value = render_value(config.temperature_state_template, payload)
        state.attributes["target_temperature"] = _number(value, "set point")
    if topic == config.current_temperature_topic:
        value = render_value(config.current_temperature_template, payload)
        state.attributes["current_temperature"] = _number(value, "current temperature")
    if topic == config.mode_state_topic:
        mode = render_value(config.mode_state_template, payload)
        state.state = _match(mode, {m: m for m in config.modes})


def _apply_cover(config: CoverConfig, state: EntityState, topic: str, payload: str) -> None:
    if topic == config.state_topic:
        options = {
            config.state_open: "open",
            config.state_closed: "closed",
            config.state_opening: "opening",
            config.state_closing: "closing",
            config.state_stopped: "stopped",
        }
        state.state = _match(render_value(config.value_template, payload), options)
    if topic == config.position_topic:
        raw = _number(render_value(config.position_template, payload), "position")
        position = round(config.to_percent(raw))
        state.attributes["position"] = position
        if not config.state_topic:
            state.state = "closed" if position == 0 else "open"


def _apply_lock(config: LockConfig, state: EntityState, topic: str, payload: str) -> None:
    if topic == config.state_topic:
        options = {
            config.state_locked: "locked",
            config.state_unlocked: "unlocked",
            config.state_locking: "locking",
            config.state_unlocking: "unlocking",
            config.state_jammed: "jammed",
        }
        state.state = _match(render_value(config.value_template, payload), options)


def _apply_sensor(config: SensorConfig, state: EntityState, topic: str, payload: str) -> None:
    if topic != config.state_topic:
        return
    value = render_value(config.value_template, payload)
    state.state = value
    state.attributes["unit"] = config.unit_of_measurement
    try:
        state.attributes["value"] = float(value)
    except ValueError:
        state.attributes.pop("value", None)


def _apply_binary_sensor(
    config: BinarySensorConfig, state: EntityState, topic: str, payload: str
) -> None:
    if topic == config.state_topic:
        options = {config.payload_on: "on", config.payload_off: "off"}
        state.state = _match(render_value(config.value_template, payload), options)


_APPLY: dict[type[EntityConfig], Any] = {
    LightConfig: _apply_light,
    SwitchConfig: _apply_switch,
    FanConfig: _apply_fan,
    ClimateConfig: _apply_climate,
    CoverConfig: _apply_cover,
    LockConfig: _apply_lock,
    SensorConfig: _apply_sensor,
    BinarySensorConfig: _apply_binary_sensor,
}
