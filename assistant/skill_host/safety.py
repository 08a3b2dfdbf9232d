"""What a voice may do: one policy, enforced outside any model, in front of every device command.

- exposure: locks, garage doors, gates and alarms are not controllable by voice unless listed
  in `safety.exposed`; anything in `safety.hidden` never is;
- risk: unlocking, opening a garage door or gate and disarming need a spoken "yes" (and the PIN
  when one is configured) before anything is sent; an unanswered request expires. A switch
  whose name or device class says alarm, siren, door, gate or garage has the risk of what it
  drives. The devices file sets a tier for any entity: `risk = "high"` makes every command to
  it ask, `risk = "normal"` leaves it to the rules of its kind whatever its name says;
- bounds: set points outside the comfort range are refused, whatever the device allows;
- rate: a device actuated too often in a short time is left alone for a while.

What was attempted is recorded by `assistant.skill_host.audit`.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from assistant.config import SafetySettings
from assistant.devices.registry import Entity
from assistant.errors import AssistantError
from assistant.text import fold

log = logging.getLogger(__name__)

_HIDDEN_COVER_CLASSES = ("garage", "gate")
_ALARM_WORDS = {"alarm", "siren"}
_OPENING_WORDS = {"door", "gate", "garage"}
_NOT_A_RELAY = {"light", "lights", "lamp", "lamps", "bell", "doorbell", "camera", "sensor"}


class ConfirmationRequired(AssistantError):
    """Raised by the device gate: the action waits for a spoken yes (and maybe a PIN)."""

    code = "needs-confirmation"

    def __init__(self, message: str, *, entity_id: str, service: str, needs_pin: bool) -> None:
        super().__init__(message)
        self.entity_id = entity_id
        self.service = service
        self.needs_pin = needs_pin


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    code: str | None = None
    speech: str = ""


ALLOWED = Verdict(True)


def is_high_risk(entity: Entity, service: str) -> bool:
    if entity.risk == "high":
        return True  # the devices file says every command to it needs a yes
    if entity.kind == "lock":
        return service in ("unlock", "open")
    if entity.kind == "cover":
        return (
            service in ("open", "set_position")
            and entity.config.device_class in _HIDDEN_COVER_CLASSES
        )
    if entity.kind == "switch" and entity.risk is None:
        # A relay announced as a plain switch has the risk of what it drives: switching an
        # alarm or siren off disarms it, switching a door or gate relay on opens it. The
        # devices file's "normal" says the name misleads ("Alarm clock"): its kind decides.
        controls = controlled_by_switch(entity)
        return (controls == "alarm" and service == "turn_off") or (
            controls == "opening" and service == "turn_on"
        )
    return entity.kind == "alarm_control_panel" and service.startswith("disarm")


def controlled_by_switch(entity: Entity) -> str | None:
    """What a switch's name or device class says it drives: "alarm" (alarm, siren), "opening"
    (door, gate, garage), or None. A "door light" or a "doorbell" drives neither."""
    words = set(fold(f"{entity.name} {entity.config.device_class or ''}").split())
    if words & _NOT_A_RELAY:
        return None
    if words & _ALARM_WORDS:
        return "alarm"
    return "opening" if words & _OPENING_WORDS else None


def needs_care(entity: Entity) -> bool:
    """Hidden by default, or some command to it asks for a yes: never acted on in haste."""
    if hidden_by_default(entity) or entity.risk == "high":
        return True
    return (
        entity.kind == "switch"
        and entity.risk is None
        and (controlled_by_switch(entity) is not None)
    )


def hidden_by_default(entity: Entity) -> bool:
    if entity.kind in ("lock", "alarm_control_panel"):
        return True
    return entity.kind == "cover" and entity.config.device_class in _HIDDEN_COVER_CLASSES


def describe_action(entity: Entity, service: str, data: dict[str, Any]) -> str:
    """The action as a person says it: "unlock the Front door lock", "close the Garage door"."""
    the = f"the {entity.name}"
    if service == "set_position":
        position = data.get("position")
        if position in (0, 0.0):
            return f"close {the}"
        if position in (100, 100.0):
            return f"open {the}"
        return f"move {the} to {_amount(position)} percent"
    settings = {"set_brightness": "brightness", "set_percentage": "percentage"}
    if service in settings and settings[service] in data:
        return f"set {the} to {_amount(data[settings[service]])} percent"
    if service == "set_temperature" and "temperature" in data:
        return f"set {the} to {_amount(data['temperature'])} degrees"
    if service == "set_hvac_mode" and "hvac_mode" in data:
        return f"set {the} to {data['hvac_mode']}"
    verbs = {"turn_on": "turn on", "turn_off": "turn off", "disarm": "disarm"}
    return f"{verbs.get(service, service.replace('_', ' '))} {the}"


def _amount(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


class SafetyPolicy:
    def __init__(self, settings: SafetySettings) -> None:
        self.settings = settings
        self._recent: dict[str, deque[float]] = {}

    def exposed(self, entity: Entity) -> bool:
        if entity.entity_id in self.settings.hidden:
            return False
        return entity.entity_id in self.settings.exposed or not hidden_by_default(entity)

    def check(
        self, entity: Entity, service: str, data: dict[str, Any], *, confirmed: bool,
        forced: bool = False,
    ) -> Verdict:  # fmt: skip
        """Decide before anything is sent. Raises ConfirmationRequired for unconfirmed high risk.

        `forced` is an administrator's override from the command line (`devices call --force`):
        it stands for the spoken yes and for `exposed`, never for `hidden`, the comfort range
        or the rate limit."""
        confirmed = confirmed or forced
        if entity.entity_id in self.settings.hidden or not (forced or self.exposed(entity)):
            return Verdict(
                False, "not-exposed", f"I'm not allowed to control the {entity.name} by voice."
            )
        if service == "set_temperature" and "temperature" in data:
            verdict = self._comfort(entity, data["temperature"])
            if not verdict.allowed:
                return verdict
        now = time.monotonic()
        window = self._recent.setdefault(entity.entity_id, deque())
        while window and now - window[0] > self.settings.rate_limit_seconds:
            window.popleft()
        if len(window) >= self.settings.rate_limit_actions:
            return Verdict(
                False,
                "rate-limited",
                f"The {entity.name} has been switched {len(window)} times in the last "
                f"{self.settings.rate_limit_seconds:.0f} seconds; "
                "I'll leave it alone for a moment.",
            )
        if is_high_risk(entity, service) and not confirmed:
            needs_pin = self.settings.pin is not None
            question = f"Do you really want me to {describe_action(entity, service, data)}?"
            question += " Please say your PIN." if needs_pin else " Please say yes or no."
            raise ConfirmationRequired(
                question, entity_id=entity.entity_id, service=service, needs_pin=needs_pin
            )
        window.append(now)
        return ALLOWED

    def _comfort(self, entity: Entity, value: Any) -> Verdict:
        try:
            temperature = float(value)
        except (TypeError, ValueError):
            return ALLOWED  # the command plan refuses non-numbers with its own words
        unit = entity.state.attributes.get("temperature_unit", "C")
        low, high = self.settings.comfort_min_temperature, self.settings.comfort_max_temperature
        if unit == "F":
            low, high = low * 9 / 5 + 32, high * 9 / 5 + 32
        if low <= temperature <= high:
            return ALLOWED
        return Verdict(
            False,
            "refused",
            f"I keep thermostats between {low:g} and {high:g} degrees; {temperature:g} is outside "
            "that comfort range.",
        )

    def pin_matches(self, spoken: str | None) -> bool:
        if self.settings.pin is None:
            return True
        expected = "".join(ch for ch in self.settings.pin.get_secret_value() if ch.isdigit())
        return spoken is not None and "".join(ch for ch in spoken if ch.isdigit()) == expected
