"""Simulated ESPHome devices that switch: a plug and a fan with speed levels."""

from __future__ import annotations

from typing import Any

from assistant.devices.sim.base import Messages, Rule, SimDevice, _number, _toggle


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
