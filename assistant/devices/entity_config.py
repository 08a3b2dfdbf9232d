"""Typed entity configurations, one class per supported discovery component.

Field names and defaults follow Home Assistant's MQTT integration, so a payload written for
Home Assistant means the same here. Fields the assistant does not use are ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.devices.mqtt.topics import topic_problem

Component = Literal["light", "switch", "fan", "climate", "cover", "lock", "sensor", "binary_sensor"]
COMPONENTS: tuple[str, ...] = Component.__args__  # type: ignore[attr-defined]

Topic = Annotated[str, Field(min_length=1, max_length=1024)]

Risk = Literal["high", "normal"]
"""The devices file's risk tier for an entity: "high", every command to it asks first; "normal",
only what its kind asks (a lock's unlock), never what its name suggests (an "alarm" relay)."""
RISKS: tuple[Risk, ...] = Risk.__args__  # type: ignore[attr-defined]


class DeviceInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    identifiers: list[str] | str | None = None
    name: str | None = None
    suggested_area: str | None = None
    manufacturer: str | None = None
    model: str | None = None


class Availability(BaseModel):
    model_config = ConfigDict(extra="ignore")

    topic: Topic
    payload_available: str = "online"
    payload_not_available: str = "offline"
    value_template: str | None = None


class EntityConfig(BaseModel):
    """What every component shares."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    component: Component
    name: str | None = None
    unique_id: str | None = None
    object_id: str | None = None
    device: DeviceInfo | None = None
    device_class: str | None = None
    availability: list[Availability] = []
    availability_topic: Topic | None = None
    payload_available: str = "online"
    payload_not_available: str = "offline"
    availability_template: str | None = None
    availability_mode: Literal["all", "any", "latest"] = "latest"
    state_topic: Topic | None = None
    value_template: str | None = None
    command_topic: Topic | None = None
    command_template: str | None = None
    qos: Literal[0, 1, 2] = 0
    # Not part of discovery: set by the devices file for what people call things.
    aliases: list[str] = []
    area: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _payloads_as_text(cls, data: Any) -> Any:
        """`payload_on: false` (Zigbee2MQTT contact sensors) means the text a template renders.

        Home Assistant reads payloads as strings, and Jinja renders a JSON false as "False".
        """
        if not isinstance(data, dict):
            return data
        return {
            key: str(value)
            if isinstance(value, bool | int | float)
            and key.startswith(("payload_", "state_"))
            and not key.endswith(("_topic", "_template"))
            else value
            for key, value in data.items()
        }

    @model_validator(mode="after")
    def _exact_topics(self) -> EntityConfig:
        """Every topic, not just `command_topic`, is one exact topic MQTT allows. A wildcard in
        `brightness_command_topic` would only show when someone dims the light; one in a state
        topic can never deliver a state (states are looked up by exact topic), and `#` there
        even matches the config itself, so every subscription brought it back. A topic MQTT
        does not allow (a NUL, a misplaced `#`) broke the connection at the next reconnect."""
        topics = [(name, value) for name, value in self if name.endswith("_topic")]
        topics += [("availability", entry.topic) for entry in self.availability]
        for field_name, value in topics:
            if isinstance(value, str) and (problem := topic_problem(value, wildcards=False)):
                sent = "command" in field_name or field_name.startswith("set_")
                raise ValueError(
                    f"{field_name}: {value[:80]!r} {problem} and cannot be "
                    + ("published to" if sent else "followed")
                )
        return self

    @model_validator(mode="after")
    def _single_availability_topic(self) -> EntityConfig:
        if self.availability_topic and not self.availability:
            self.availability = [
                Availability(
                    topic=self.availability_topic,
                    payload_available=self.payload_available,
                    payload_not_available=self.payload_not_available,
                    value_template=self.availability_template,
                )
            ]
        return self

    def state_topics(self) -> set[str]:
        """Every topic whose messages change this entity's state (not commands or availability)."""
        return {
            value
            for field_name, value in self
            if field_name.endswith("_topic")
            and value
            and not field_name.startswith(("set_", "availability"))
            and "command" not in field_name
        }


class LightConfig(EntityConfig):
    component: Literal["light"] = "light"
    schema_: Literal["default", "basic", "json", "template"] = Field(
        default="default", alias="schema"
    )
    payload_on: str = "ON"
    payload_off: str = "OFF"
    state_value_template: str | None = None
    brightness_command_topic: Topic | None = None
    brightness_command_template: str | None = None
    brightness_state_topic: Topic | None = None
    brightness_value_template: str | None = None
    brightness_scale: int = Field(default=255, ge=1, le=65535)
    brightness: bool = False
    """json schema: whether the light takes a brightness."""
    supported_color_modes: list[str] | None = None
    on_command_type: Literal["last", "first", "brightness"] = "last"
    # template schema
    command_on_template: str | None = None
    command_off_template: str | None = None
    state_template: str | None = None
    brightness_template: str | None = None

    @model_validator(mode="after")
    def _can_be_commanded(self) -> LightConfig:
        if not self.command_topic:
            raise ValueError("a light needs a command_topic")
        if self.schema_ == "template" and not (
            self.command_on_template and self.command_off_template
        ):
            raise ValueError("a template light needs command_on_template and command_off_template")
        return self

    @property
    def dimmable(self) -> bool:
        if self.schema_ == "json":
            modes = set(self.supported_color_modes or [])
            return self.brightness or bool(modes - {"onoff"})
        if self.schema_ == "template":
            return "brightness" in (self.command_on_template or "")
        return self.brightness_command_topic is not None


class SwitchConfig(EntityConfig):
    component: Literal["switch"] = "switch"
    payload_on: str = "ON"
    payload_off: str = "OFF"
    state_on: str | None = None
    state_off: str | None = None

    @model_validator(mode="after")
    def _needs_command_topic(self) -> SwitchConfig:
        if not self.command_topic:
            raise ValueError("a switch needs a command_topic")
        return self


class FanConfig(EntityConfig):
    component: Literal["fan"] = "fan"
    payload_on: str = "ON"
    payload_off: str = "OFF"
    state_value_template: str | None = None
    percentage_command_topic: Topic | None = None
    percentage_command_template: str | None = None
    percentage_state_topic: Topic | None = None
    percentage_value_template: str | None = None
    speed_range_min: int = Field(default=1, ge=1)
    speed_range_max: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _needs_command_topic(self) -> FanConfig:
        if not self.command_topic:
            raise ValueError("a fan needs a command_topic")
        return self


DEFAULT_HVAC_MODES = ["auto", "off", "cool", "heat", "dry", "fan_only"]


class ClimateConfig(EntityConfig):
    component: Literal["climate"] = "climate"
    temperature_command_topic: Topic | None = None
    temperature_command_template: str | None = None
    temperature_state_topic: Topic | None = None
    temperature_state_template: str | None = None
    current_temperature_topic: Topic | None = None
    current_temperature_template: str | None = None
    mode_command_topic: Topic | None = None
    mode_command_template: str | None = None
    mode_state_topic: Topic | None = None
    mode_state_template: str | None = None
    modes: list[str] = Field(default_factory=lambda: list(DEFAULT_HVAC_MODES))
    temperature_unit: Literal["C", "F"] = "C"
    min_temp: float | None = None
    max_temp: float | None = None
    temp_step: float = Field(default=1.0, gt=0.0)
    precision: float | None = None

    @model_validator(mode="after")
    def _range(self) -> ClimateConfig:
        # Home Assistant's defaults: 7–35 °C, 44.6–95 °F.
        if self.min_temp is None:
            self.min_temp = 7.0 if self.temperature_unit == "C" else 44.6
        if self.max_temp is None:
            self.max_temp = 35.0 if self.temperature_unit == "C" else 95.0
        if self.min_temp > self.max_temp:
            raise ValueError(f"min_temp {self.min_temp} is above max_temp {self.max_temp}")
        return self


class CoverConfig(EntityConfig):
    component: Literal["cover"] = "cover"
    payload_open: str | None = "OPEN"
    payload_close: str | None = "CLOSE"
    payload_stop: str | None = "STOP"
    state_open: str = "open"
    state_closed: str = "closed"
    state_opening: str = "opening"
    state_closing: str = "closing"
    state_stopped: str = "stopped"
    position_topic: Topic | None = None
    position_template: str | None = None
    set_position_topic: Topic | None = None
    set_position_template: str | None = None
    position_open: int = 100
    position_closed: int = 0

    @model_validator(mode="after")
    def _can_move(self) -> CoverConfig:
        if not (self.command_topic or self.set_position_topic):
            raise ValueError("a cover needs a command_topic or a set_position_topic")
        if self.position_open == self.position_closed:
            raise ValueError("position_open and position_closed must differ")
        return self

    def to_percent(self, raw: float) -> float:
        span = self.position_open - self.position_closed
        return max(0.0, min(100.0, (raw - self.position_closed) * 100.0 / span))

    def from_percent(self, percent: float) -> int:
        span = self.position_open - self.position_closed
        return round(self.position_closed + percent * span / 100.0)


class LockConfig(EntityConfig):
    component: Literal["lock"] = "lock"
    payload_lock: str = "LOCK"
    payload_unlock: str = "UNLOCK"
    payload_open: str | None = None
    state_locked: str = "LOCKED"
    state_unlocked: str = "UNLOCKED"
    state_locking: str = "LOCKING"
    state_unlocking: str = "UNLOCKING"
    state_jammed: str = "JAMMED"

    @model_validator(mode="after")
    def _needs_command_topic(self) -> LockConfig:
        if not self.command_topic:
            raise ValueError("a lock needs a command_topic")
        return self


class SensorConfig(EntityConfig):
    component: Literal["sensor"] = "sensor"
    unit_of_measurement: str | None = None
    state_class: str | None = None

    @model_validator(mode="after")
    def _needs_state_topic(self) -> SensorConfig:
        if not self.state_topic:
            raise ValueError("a sensor needs a state_topic")
        return self


class BinarySensorConfig(EntityConfig):
    component: Literal["binary_sensor"] = "binary_sensor"
    payload_on: str = "ON"
    payload_off: str = "OFF"

    @model_validator(mode="after")
    def _needs_state_topic(self) -> BinarySensorConfig:
        if not self.state_topic:
            raise ValueError("a binary sensor needs a state_topic")
        return self


CONFIG_CLASSES: dict[str, type[EntityConfig]] = {
    "light": LightConfig,
    "switch": SwitchConfig,
    "fan": FanConfig,
    "climate": ClimateConfig,
    "cover": CoverConfig,
    "lock": LockConfig,
    "sensor": SensorConfig,
    "binary_sensor": BinarySensorConfig,
}


def parse_config(component: str, data: dict[str, Any]) -> EntityConfig:
    """Validate an (already expanded) discovery payload for a component."""
    return CONFIG_CLASSES[component].model_validate({**data, "component": component})
