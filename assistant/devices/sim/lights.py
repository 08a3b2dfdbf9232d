"""Simulated lights: a Zigbee2MQTT bulb (JSON) or a Tasmota dimmer (POWER and Dimmer)."""

from __future__ import annotations

import json
from typing import Any

from assistant.devices.sim.base import (
    MalformedCommand,
    Messages,
    Rule,
    SimDevice,
    _json_object,
    _number,
    _toggle,
)


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
