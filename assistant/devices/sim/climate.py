"""A simulated Zigbee radiator thermostat."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from assistant.devices.sim.base import (
    MalformedCommand,
    Messages,
    Rule,
    SimDevice,
    _json_object,
    _number,
)


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
