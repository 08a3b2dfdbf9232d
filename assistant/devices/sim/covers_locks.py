"""Simulated blinds that take time to travel, and a Zigbee2MQTT door lock."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from assistant.devices.sim.base import Messages, Rule, SimDevice, _json_object, _number, _word


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

    def reset(self) -> None:
        self._motion = None  # a travel under way when the home is reset never arrives
        super().reset()

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
