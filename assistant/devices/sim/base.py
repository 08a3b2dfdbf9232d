"""What every simulated device shares, and how each firmware style speaks.

A device keeps its state in its own units (a Zigbee bulb's brightness 0–254, a Tasmota Dimmer
0–100, a set point snapped to the thermostat's step), because that is what the real device
knows; the assistant learns it only from the state messages the device publishes. Each kind
(in `lights`, `switches`, `climate`, `covers_locks` and `sensors`) imitates one or two real
firmwares so the registry meets the payloads it will meet in homes:

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
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from assistant.devices.sim.spec import DeviceSpec

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


class SimDevice(ABC):
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

    @abstractmethod
    def _defaults(self) -> dict[str, Any]:
        """Provided by each kind of device."""

    @abstractmethod
    def _rules(self) -> dict[str, Rule]:
        """Provided by each kind of device."""

    @abstractmethod
    def discovery(self) -> list[tuple[str, dict[str, Any]]]:
        """Provided by each kind of device."""

    @abstractmethod
    def state_messages(self) -> Messages:
        """Provided by each kind of device."""

    def command_topics(self) -> list[str]:
        return []

    def handle(self, topic: str, payload: str) -> float | None:
        """Apply a command (all of it, or none of it); returns seconds of travel, if any."""
        raise MalformedCommand(f"a {self.kind} takes no commands")

    def arrive(self) -> None:  # noqa: B027 (a hook: only covers travel)
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

    def reset(self) -> None:
        """Back to the home file's initial state and faults, with an empty command log."""
        self.state = self._defaults()
        self.set_values(self.spec.initial)
        self.faults = self.spec.faults.model_copy()
        self.received.clear()
        self.dropped_while_offline = 0

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
