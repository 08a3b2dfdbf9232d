"""Simulated devices: what each kind does with a command, and how each firmware style speaks.

A device keeps its state in its own units (a Zigbee bulb's brightness 0–254, a Tasmota Dimmer
0–100, a set point snapped to the thermostat's step), because that is what the real device
knows; the assistant learns it only from the state messages the device publishes. Each kind
imitates one or two real firmwares so the registry meets the payloads it will meet in homes:

- `zigbee2mqtt`: JSON on `zigbee2mqtt/<name>`, commands on `…/set`, availability as JSON
  `{"state": "online"}` on `…/availability`, discovery under the IEEE address as node id;
- `tasmota`: `cmnd/<topic>/POWER` and `cmnd/<topic>/Dimmer`, state in `stat/<topic>/RESULT`,
  `tele/<topic>/LWT` saying `Online` / `Offline`;
- `esphome`: `<node>/<component>/<object>/command` and `…/state`, `<node>/status`; the switch
  announces itself with abbreviated keys and a `~` base topic, as ESPHome does;
- `shelly`: a door/window sensor on `shellies/<id>/sensor/state` (`open` / `close`), `true` /
  `false` on `shellies/<id>/online`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["light", "switch", "fan", "climate", "cover", "lock", "sensor", "binary_sensor"]
Style = Literal["zigbee2mqtt", "tasmota", "esphome", "shelly"]
Reading = Literal["temperature", "humidity"]
Messages = list[tuple[str, str]]

Z2M_BASE = "zigbee2mqtt"
_AVAILABILITY_WORDS = {
    "tasmota": ("Online", "Offline"),
    "esphome": ("online", "offline"),
    "shelly": ("true", "false"),
}
_MAKERS = {
    "zigbee2mqtt": "IKEA of Sweden",
    "tasmota": "Tasmota",
    "esphome": "espressif",
    "shelly": "Shelly",
}


class MalformedCommand(ValueError):
    """A command the device cannot understand; logged and ignored, as a real device does."""


class Faults(BaseModel):
    """Misbehaviour for tests, per device; settable in the home file and at run time."""

    model_config = ConfigDict(extra="forbid")

    available: bool = True
    confirm_delay_seconds: float = Field(default=0.0, ge=0.0, le=3600.0)
    lose_confirmations: bool = False
    offline_every_seconds: float = Field(default=0.0, ge=0.0)
    """Period of repeated outages; 0 means none."""
    offline_for_seconds: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _outage_fits_period(self) -> Faults:
        if (
            self.offline_every_seconds
            and not 0 < self.offline_for_seconds < self.offline_every_seconds
        ):
            raise ValueError("offline_for_seconds must be above 0 and below offline_every_seconds")
        return self


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ieee: str | None = Field(default=None, pattern=r"^0x[0-9a-f]{16}$")
    brightness_scale: int | None = Field(default=None, ge=1, le=65535)
    min_temp: float = 7.0
    max_temp: float = 30.0
    temp_step: float = Field(default=0.5, gt=0.0)
    modes: list[str] = Field(default=["off", "heat", "auto"], min_length=1)
    speed_range_max: int = Field(default=100, ge=1, le=1000)
    travel_seconds: float = Field(default=0.3, ge=0.0, le=600.0)
    """Time for a full 0–100 % travel; shorter moves take their share of it."""
    readings: list[Reading] = Field(default=["temperature", "humidity"], min_length=1)
    device_class: str | None = None


class DeviceSpec(BaseModel):
    """One `[[device]]` table of the home file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    kind: Kind
    name: str = Field(min_length=1, max_length=100)
    area: str = Field(min_length=1, max_length=100)
    style: Style | None = None
    options: Options = Options()
    initial: dict[str, Any] = {}
    faults: Faults = Faults()


@dataclass(frozen=True)
class ReceivedCommand:
    topic: str
    payload: str
    retained: bool
    accepted: bool
    """False when the command was malformed and ignored."""
    at_monotonic: float


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _word(payload: Any, choices: tuple[str, ...]) -> str:
    word = str(payload).strip().upper()
    if word not in choices:
        raise MalformedCommand(
            f"unknown payload {str(payload)[:80]!r} (expected one of {list(choices)})"
        )
    return word


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise MalformedCommand(f"{what} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MalformedCommand(f"{what} {str(value)[:80]!r} is not a number") from None
    if not math.isfinite(number):
        raise MalformedCommand(f"{what} {value!r} is not a finite number")
    return number


def _json_object(payload: str) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        raise MalformedCommand(f"not valid JSON: {payload[:80]!r}") from None
    if not isinstance(data, dict):
        raise MalformedCommand("the JSON command is not an object")
    return data


def _toggle(state: str, payload: Any) -> str:
    word = _word(payload, ("ON", "OFF", "TOGGLE"))
    if word == "TOGGLE":
        return "off" if state == "on" else "on"
    return word.lower()


Rule = list[str] | tuple[float, float]
"""Allowed values of a state key: a list of words, or a numeric range."""

# Home Assistant's abbreviations for the keys the ESPHome-style switch sends (written out here,
# independently of the registry's table, so a wrong entry there shows up as a failing test).
_SHORT = {
    "object_id": "obj_id", "unique_id": "uniq_id", "availability": "avty", "topic": "t",
    "availability_mode": "avty_mode", "payload_available": "pl_avail",
    "payload_not_available": "pl_not_avail", "device": "dev", "identifiers": "ids",
    "suggested_area": "sa", "manufacturer": "mf", "model": "mdl", "command_topic": "cmd_t",
    "state_topic": "stat_t", "device_class": "dev_cla",
}  # fmt: skip


def _abbreviate(value: Any) -> Any:
    if isinstance(value, dict):
        return {_SHORT.get(key, key): _abbreviate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_abbreviate(item) for item in value]
    return value


class SimDevice:
    """One physical device: its state, the commands it takes and the messages it sends."""

    kind: ClassVar[str]
    styles: ClassVar[tuple[str, ...]]
    option_names: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self, spec: DeviceSpec, *, discovery_prefix: str, bridge_topic: str | None
    ) -> None:
        self.style: str = spec.style or self.styles[0]
        if self.style not in self.styles:
            raise ValueError(
                f"a simulated {self.kind} imitates {list(self.styles)}, not {self.style!r}"
            )
        unused = spec.options.model_fields_set - self.option_names
        if unused:
            raise ValueError(f"options {sorted(unused)} do not apply to a {self.kind}")
        self.spec, self.id, self.name, self.options = spec, spec.id, spec.name, spec.options
        self.faults = spec.faults.model_copy()
        self.available = self.faults.available
        self.received: list[ReceivedCommand] = []
        self.dropped_while_offline = 0
        self._prefix, self._bridge = discovery_prefix, bridge_topic
        self.ieee = spec.options.ieee or "0x" + hashlib.sha1(spec.id.encode()).hexdigest()[:16]
        self.node = spec.id.replace("_", "-")
        self.base = {
            "zigbee2mqtt": f"{Z2M_BASE}/{spec.name}", "tasmota": spec.id,
            "shelly": f"shellies/{self.node}", "esphome": f"{self.node}/{self.kind}/{self.kind}",
        }[self.style]  # fmt: skip
        self.state: dict[str, Any] = self._defaults()
        self.set_values(spec.initial)

    # --- what each kind provides ---------------------------------------------------------

    def _defaults(self) -> dict[str, Any]:
        raise NotImplementedError

    def _rules(self) -> dict[str, Rule]:
        raise NotImplementedError

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        raise NotImplementedError

    def state_messages(self) -> Messages:
        raise NotImplementedError

    def command_topics(self) -> list[str]:
        return []

    def handle(self, topic: str, payload: str) -> float | None:
        """Apply a command (all of it, or none of it); returns seconds of travel, if any."""
        raise MalformedCommand(f"a {self.kind} takes no commands")

    def arrive(self) -> None:
        """The end of a travel that `handle` started."""

    # --- shared behaviour ------------------------------------------------------------------

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Change the device as the physical world would (a door opens, the room warms).

        Raises ValueError, changing nothing, on an unknown key or a value out of range.
        """
        rules = self._rules()
        for key, value in values.items():
            rule = rules.get(key)
            if rule is None:
                raise ValueError(f"a {self.kind} has no state {key!r} (it has {sorted(rules)})")
            if isinstance(rule, list) and value not in rule:
                raise ValueError(f"{key} must be one of {rule}, not {value!r}")
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if isinstance(rule, tuple) and not (number and rule[0] <= value <= rule[1]):
                raise ValueError(
                    f"{key} must be a number from {rule[0]:g} to {rule[1]:g}, not {value!r}"
                )
        self.state.update(values)

    def snapshot(self) -> dict[str, Any]:
        return dict(self.state)

    @property
    def availability_topic(self) -> str:
        return {
            "zigbee2mqtt": f"{self.base}/availability", "tasmota": f"tele/{self.id}/LWT",
            "esphome": f"{self.node}/status", "shelly": f"{self.base}/online",
        }[self.style]  # fmt: skip

    def availability_payload(self, available: bool) -> str:
        if self.style == "zigbee2mqtt":
            return json.dumps({"state": "online" if available else "offline"})
        return _AVAILABILITY_WORDS[self.style][0 if available else 1]

    def entity_ids(self) -> list[str]:
        """The entity ids Home Assistant (and the registry) make of the object ids."""
        ids = []
        for topic, config in self.discovery():
            component = topic.split("/")[-4 if self.style in ("zigbee2mqtt", "esphome") else -3]
            ids.append(f"{component}.{config.get('object_id') or config.get('obj_id')}")
        return ids

    def _entity(
        self, component: str, role: str | None = None, *, short: bool = False, **fields: Any
    ) -> tuple[str, dict[str, Any]]:
        """A discovery topic and payload, with what every entity of this device shares."""
        object_name = role or component
        unique = f"{self.ieee if self.style == 'zigbee2mqtt' else self.id}_{object_name}"
        node = {"zigbee2mqtt": self.ieee, "esphome": self.node}.get(self.style)
        path = f"{node}/{object_name}" if node else unique
        own: dict[str, str] = {"topic": self.availability_topic}
        if self.style == "zigbee2mqtt":
            own["value_template"] = "{{ value_json.state }}"
        elif self.style != "esphome":
            own["payload_available"], own["payload_not_available"] = _AVAILABILITY_WORDS[self.style]
        # The bridge topic carries the simulator's last will: if it dies, every device goes
        # offline, as Zigbee2MQTT's devices do when the bridge stops ("all": both must be up).
        availability = ([{"topic": self._bridge}] if self._bridge else []) + [own]
        maker = "zigbee2mqtt" if self.style == "zigbee2mqtt" else "sim"
        config = {
            # Zigbee2MQTT names its main entity null (it takes the device's name), others by role.
            "name": (role.capitalize() if role else None) if maker != "sim" else self.name,
            "object_id": _slug(f"{self.name} {role or ''}"),
            "unique_id": unique,
            "availability": availability,
            "availability_mode": "all",
            "device": {
                "identifiers": [f"{maker}_{self.ieee if maker != 'sim' else self.id}"],
                "name": self.name, "suggested_area": self.spec.area,
                "manufacturer": _MAKERS[self.style], "model": f"simulated {self.kind}",
            },
            **fields,
        }  # fmt: skip
        return f"{self._prefix}/{component}/{path}/config", _abbreviate(config) if short else config


class Light(SimDevice):
    kind, styles = "light", ("zigbee2mqtt", "tasmota")
    option_names = frozenset({"brightness_scale", "ieee"})

    @property
    def scale(self) -> int:
        return self.options.brightness_scale or (254 if self.style == "zigbee2mqtt" else 100)

    def _defaults(self) -> dict[str, Any]:
        return {"state": "off", "brightness": self.scale}

    def _rules(self) -> dict[str, Rule]:
        return {"state": ["on", "off"], "brightness": (1, self.scale)}

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        if self.style == "zigbee2mqtt":
            return [self._entity(
                "light", schema="json", brightness=True, brightness_scale=self.scale,
                supported_color_modes=["brightness"], command_topic=f"{self.base}/set",
                state_topic=self.base,
            )]  # fmt: skip
        result = f"stat/{self.id}/RESULT"
        return [self._entity(
            "light", command_topic=f"cmnd/{self.id}/POWER", state_topic=result,
            state_value_template="{{ value_json.POWER }}", brightness_scale=self.scale,
            brightness_command_topic=f"cmnd/{self.id}/Dimmer", brightness_state_topic=result,
            brightness_value_template="{{ value_json.Dimmer }}",
        )]  # fmt: skip

    def command_topics(self) -> list[str]:
        if self.style == "zigbee2mqtt":
            return [f"{self.base}/set"]
        return [f"cmnd/{self.id}/POWER", f"cmnd/{self.id}/Dimmer"]

    def handle(self, topic: str, payload: str) -> float | None:
        if self.style == "zigbee2mqtt":
            data = _json_object(payload)
            state, brightness = data.get("state"), data.get("brightness")
            if state is None and brightness is None:
                raise MalformedCommand("the command has neither state nor brightness")
        elif topic.endswith("/POWER"):
            state, brightness = payload, None
        else:
            state, brightness = None, payload
        new = dict(self.state)
        if brightness is not None:
            raw = round(min(self.scale, max(0.0, _number(brightness, "brightness"))))
            # Brightness 0 switches a bulb off; any other level switches it on at that level.
            new["state"] = "on" if raw else "off"
            new["brightness"] = raw or new["brightness"]
        if state is not None:
            new["state"] = _toggle(self.state["state"], state)
        self.state = new
        return None

    def state_messages(self) -> Messages:
        power, level = self.state["state"].upper(), self.state["brightness"]
        if self.style == "zigbee2mqtt":
            report = {"state": power, "brightness": level, "linkquality": 120}
            return [(self.base, json.dumps(report))]
        result = json.dumps({"POWER": power, "Dimmer": level})
        return [(f"stat/{self.id}/RESULT", result), (f"stat/{self.id}/POWER", power)]


class Switch(SimDevice):
    """An ESPHome plug; it announces itself with abbreviated keys and a `~` base topic."""

    kind, styles = "switch", ("esphome",)

    def _defaults(self) -> dict[str, Any]:
        return {"state": "off"}

    def _rules(self) -> dict[str, Rule]:
        return {"state": ["on", "off"]}

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        fields = {"command_topic": "~/command", "state_topic": "~/state", "device_class": "outlet"}
        return [self._entity("switch", short=True, **{"~": self.base}, **fields)]

    def command_topics(self) -> list[str]:
        return [f"{self.base}/command"]

    def handle(self, topic: str, payload: str) -> float | None:
        self.state["state"] = _toggle(self.state["state"], payload)
        return None

    def state_messages(self) -> Messages:
        return [(f"{self.base}/state", self.state["state"].upper())]


class Fan(SimDevice):
    kind, styles = "fan", ("esphome",)
    option_names = frozenset({"speed_range_max"})

    def _defaults(self) -> dict[str, Any]:
        return {"state": "off", "speed": self.options.speed_range_max}

    def _rules(self) -> dict[str, Rule]:
        return {"state": ["on", "off"], "speed": (1, self.options.speed_range_max)}

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        return [self._entity(
            "fan", command_topic=f"{self.base}/command", state_topic=f"{self.base}/state",
            percentage_command_topic=f"{self.base}/speed_level/command",
            percentage_state_topic=f"{self.base}/speed_level/state",
            speed_range_min=1, speed_range_max=self.options.speed_range_max,
        )]  # fmt: skip

    def command_topics(self) -> list[str]:
        return [f"{self.base}/command", f"{self.base}/speed_level/command"]

    def handle(self, topic: str, payload: str) -> float | None:
        if not topic.endswith("/speed_level/command"):
            self.state["state"] = _toggle(self.state["state"], payload)
            return None
        level = round(min(self.options.speed_range_max, _number(payload, "speed level")))
        # ESPHome takes speed level 0 as off; any other level switches the fan on.
        self.state["state"] = "on" if level > 0 else "off"
        self.state["speed"] = level if level > 0 else self.state["speed"]
        return None

    def state_messages(self) -> Messages:
        return [
            (f"{self.base}/state", self.state["state"].upper()),
            (f"{self.base}/speed_level/state", str(self.state["speed"])),
        ]


class Climate(SimDevice):
    """A Zigbee radiator thermostat: its set point snapped to its step, within its range."""

    kind, styles = "climate", ("zigbee2mqtt",)
    option_names = frozenset({"min_temp", "max_temp", "temp_step", "modes", "ieee"})

    def _defaults(self) -> dict[str, Any]:
        if self.options.min_temp > self.options.max_temp:
            raise ValueError("min_temp is above max_temp")
        mode = "off" if "off" in self.options.modes else self.options.modes[0]
        return {"mode": mode, "target_temperature": self._clamp(20.0), "current_temperature": 20.0}

    def _rules(self) -> dict[str, Rule]:
        limits = (self.options.min_temp, self.options.max_temp)
        return {"mode": self.options.modes, "target_temperature": limits,
                "current_temperature": (-40.0, 80.0)}  # fmt: skip

    def _clamp(self, value: float) -> float:
        step, low, high = self.options.temp_step, self.options.min_temp, self.options.max_temp
        return round(min(high, max(low, round(value / step) * step)), 4)

    def set_values(self, values: Mapping[str, Any]) -> None:
        super().set_values(values)
        self.state["target_temperature"] = self._clamp(self.state["target_temperature"])

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        return [self._entity(
            "climate", temperature_command_topic=f"{self.base}/set/occupied_heating_setpoint",
            temperature_state_topic=self.base,
            temperature_state_template="{{ value_json.occupied_heating_setpoint }}",
            current_temperature_topic=self.base,
            current_temperature_template="{{ value_json.local_temperature }}",
            mode_command_topic=f"{self.base}/set/system_mode", mode_state_topic=self.base,
            mode_state_template="{{ value_json.system_mode }}", modes=self.options.modes,
            min_temp=self.options.min_temp, max_temp=self.options.max_temp,
            temp_step=self.options.temp_step, temperature_unit="C", precision=0.1,
        )]  # fmt: skip

    def command_topics(self) -> list[str]:
        return [f"{self.base}/set{attribute}"
                for attribute in ("", "/occupied_heating_setpoint", "/system_mode")]  # fmt: skip

    def handle(self, topic: str, payload: str) -> float | None:
        if topic == f"{self.base}/set":  # Zigbee2MQTT also takes attributes as one JSON object
            data = _json_object(payload)
            setpoint, mode = data.get("occupied_heating_setpoint"), data.get("system_mode")
            if setpoint is None and mode is None:
                raise MalformedCommand("neither occupied_heating_setpoint nor system_mode given")
        elif topic.endswith("/occupied_heating_setpoint"):
            setpoint, mode = payload, None
        else:
            setpoint, mode = None, payload.strip()
        if mode is not None and mode not in self.options.modes:
            raise MalformedCommand(f"unknown system_mode {str(mode)[:40]!r}")
        if setpoint is not None:
            self.state["target_temperature"] = self._clamp(_number(setpoint, "set point"))
        self.state["mode"] = self.state["mode"] if mode is None else mode
        return None

    def state_messages(self) -> Messages:
        mode, current = self.state["mode"], self.state["current_temperature"]
        target = self.state["target_temperature"]
        heating = mode != "off" and current < target
        report = {"occupied_heating_setpoint": target, "local_temperature": current,
                  "system_mode": mode, "running_state": "heat" if heating else "idle"}  # fmt: skip
        return [(self.base, json.dumps(report))]


class Cover(SimDevice):
    """Blinds that take time: `opening`/`closing` at once, the end state when they arrive."""

    kind, styles = "cover", ("esphome",)
    option_names = frozenset({"travel_seconds", "device_class"})
    _motion: tuple[float, int, int, float] | None = None
    """When it started, from where, to where, and how long it takes."""

    def _defaults(self) -> dict[str, Any]:
        return {"state": "closed", "position": 0}

    def _rules(self) -> dict[str, Rule]:
        return {"position": (0, 100)}

    def set_values(self, values: Mapping[str, Any]) -> None:
        super().set_values(values)
        if "position" in values:  # moved by hand: no travel under way any more
            self._motion = None
            self.state["state"] = "closed" if self.state["position"] == 0 else "open"

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        return [self._entity(
            "cover", command_topic=f"{self.base}/command", state_topic=f"{self.base}/state",
            position_topic=f"{self.base}/position/state",
            set_position_topic=f"{self.base}/position/command",
            device_class=self.options.device_class or "blind",
        )]  # fmt: skip

    def command_topics(self) -> list[str]:
        return [f"{self.base}/command", f"{self.base}/position/command"]

    def _position_now(self) -> int:
        if self._motion is None:
            return int(self.state["position"])
        started, start, end, seconds = self._motion
        done = 1.0 if seconds <= 0 else min(1.0, (time.monotonic() - started) / seconds)
        return round(start + (end - start) * done)

    def handle(self, topic: str, payload: str) -> float | None:
        if topic.endswith("/position/command"):
            target = round(min(100.0, max(0.0, _number(payload, "position"))))
        else:
            word = _word(payload, ("OPEN", "CLOSE", "STOP"))
            if word == "STOP":
                if self._motion is not None:
                    self.state.update(position=self._position_now(), state="stopped")
                    self._motion = None
                return None
            target = 100 if word == "OPEN" else 0
        here = self._position_now()  # a new order starts from wherever the blinds are now
        self.state["position"], self._motion = here, None
        if target == here:
            self.state["state"] = "closed" if target == 0 else "open"
            return None
        seconds = self.options.travel_seconds * abs(target - here) / 100
        self.state["state"] = "opening" if target > here else "closing"
        self._motion = (time.monotonic(), here, target, seconds)
        return seconds

    def arrive(self) -> None:
        if self._motion is not None:
            position, self._motion = self._motion[2], None
            self.state.update(position=position, state="closed" if position == 0 else "open")

    def state_messages(self) -> Messages:
        return [
            (f"{self.base}/state", self.state["state"]),
            (f"{self.base}/position/state", str(self.state["position"])),
        ]


class Lock(SimDevice):
    kind, styles = "lock", ("zigbee2mqtt",)
    option_names = frozenset({"ieee"})

    def _defaults(self) -> dict[str, Any]:
        return {"state": "locked"}

    def _rules(self) -> dict[str, Rule]:
        return {"state": ["locked", "unlocked"]}

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        return [self._entity(
            "lock", command_topic=f"{self.base}/set", state_topic=self.base,
            command_template='{"state": "{{ value }}"}', value_template="{{ value_json.state }}",
            payload_lock="LOCK", payload_unlock="UNLOCK",
            state_locked="LOCK", state_unlocked="UNLOCK",
        )]  # fmt: skip

    def command_topics(self) -> list[str]:
        return [f"{self.base}/set"]

    def handle(self, topic: str, payload: str) -> float | None:
        # Zigbee2MQTT takes {"state": "LOCK"}, and a bare "LOCK" too.
        state = _json_object(payload).get("state") if payload.lstrip().startswith("{") else payload
        self.state["state"] = "locked" if _word(state, ("LOCK", "UNLOCK")) == "LOCK" else "unlocked"
        return None

    def state_messages(self) -> Messages:
        word = "LOCK" if self.state["state"] == "locked" else "UNLOCK"
        return [(self.base, json.dumps({"state": word, "lock_state": self.state["state"]}))]


class Sensor(SimDevice):
    """A Zigbee temperature and humidity sensor: one JSON message, one entity per reading."""

    kind, styles = "sensor", ("zigbee2mqtt",)
    option_names = frozenset({"readings", "ieee"})

    def _defaults(self) -> dict[str, Any]:
        return {reading: _READINGS[reading][1] for reading in self.options.readings}

    def _rules(self) -> dict[str, Rule]:
        return {reading: _READINGS[reading][2] for reading in self.options.readings}

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        return [self._entity(
            "sensor", reading, state_topic=self.base,
            value_template=f"{{{{ value_json.{reading} }}}}", device_class=reading,
            unit_of_measurement=_READINGS[reading][0], state_class="measurement",
        ) for reading in self.options.readings]  # fmt: skip

    def state_messages(self) -> Messages:
        return [(self.base, json.dumps({**self.state, "battery": 97, "linkquality": 87}))]


class BinarySensor(SimDevice):
    """A Shelly door/window contact."""

    kind, styles = "binary_sensor", ("shelly",)
    option_names = frozenset({"device_class"})

    def _defaults(self) -> dict[str, Any]:
        return {"state": "closed"}

    def _rules(self) -> dict[str, Rule]:
        return {"state": ["open", "closed"]}

    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        return [self._entity(
            "binary_sensor", state_topic=f"{self.base}/sensor/state", payload_on="open",
            payload_off="close", device_class=self.options.device_class or "door",
        )]  # fmt: skip

    def state_messages(self) -> Messages:
        return [(f"{self.base}/sensor/state", "open" if self.state["state"] == "open" else "close")]


# unit, default, range
_READINGS: dict[str, tuple[str, float, tuple[float, float]]] = {
    "temperature": ("°C", 21.0, (-40.0, 80.0)),
    "humidity": ("%", 45.0, (0.0, 100.0)),
}
DEVICE_CLASSES: dict[str, type[SimDevice]] = {
    cls.kind: cls for cls in (Light, Switch, Fan, Climate, Cover, Lock, Sensor, BinarySensor)
}


def make_device(spec: DeviceSpec, *, discovery_prefix: str, bridge_topic: str | None) -> SimDevice:
    """Build a device; raises ValueError naming what in its spec is wrong."""
    device_class = DEVICE_CLASSES[spec.kind]
    return device_class(spec, discovery_prefix=discovery_prefix, bridge_topic=bridge_topic)
