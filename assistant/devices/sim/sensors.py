"""Simulated sensors: Zigbee temperature and humidity, and a Shelly door contact."""

from __future__ import annotations

import json
from typing import Any

from assistant.devices.sim.base import Messages, Rule, SimDevice


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
