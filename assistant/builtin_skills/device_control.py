"""Switching, dimming, opening, locking and setting devices, by name or by room.

Home Assistant's intent names and slots (`HassTurnOn`, `HassLightSet`, …) so people who know
that ecosystem recognise them. Replies say only what the devices confirmed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from assistant.builtin_skills import _device_sentences as sentences
from assistant.builtin_skills._which_one import which_one
from assistant.skills import (
    AreaName,
    Choice,
    Entities,
    Entity,
    Skill,
    ToolResult,
    kind_plural,
    tool,
)

Domain = Literal["light", "switch", "fan", "cover", "lock", "climate"]
SwitchableName = Annotated[str, Entities("light", "switch", "fan", "cover", "lock", "climate")]
LightName = Annotated[str, Entities("light")]
CoverName = Annotated[str, Entities("cover")]
ClimateName = Annotated[str, Entities("climate")]
FanName = Annotated[str, Entities("fan")]
Percent = Annotated[int, Field(ge=0, le=100)]

_ON = {
    "light": "turn_on", "switch": "turn_on", "fan": "turn_on", "cover": "open", "lock": "lock",
    "climate": "turn_on",
}  # fmt: skip
_OFF = {
    "light": "turn_off", "switch": "turn_off", "fan": "turn_off", "cover": "close",
    "lock": "unlock", "climate": "turn_off",
}  # fmt: skip
_DONE = {
    "turn_on": "Turned on", "turn_off": "Turned off", "open": "Opened", "close": "Closed",
    "lock": "Locked", "unlock": "Unlocked",
}  # fmt: skip
_EVERYTHING = ("light", "switch", "fan")
_Call = tuple[Entity, str, dict[str, Any]]  # a device, a service, its data


def _names(entities: list[Entity]) -> str:
    names = [f"the {entity.name}" for entity in entities]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class DeviceControl(Skill):
    """Switch, dim, open, close, lock and set devices by name or by room."""

    name = "device_control"

    def _targets(
        self, name: str | None, area: str | None, domain: str | None, device_class: str | None,
        kinds: tuple[str, ...],
    ) -> list[Entity] | ToolResult:  # fmt: skip
        if domain:
            kinds = (domain,) if domain in kinds else ()
        elif area and not name:
            # "Everything off in the bedroom" means what is switched, never the locks or blinds.
            kinds = tuple(kind for kind in kinds if kind in _EVERYTHING)
        if not (name or area or domain):
            return ToolResult.failure(
                "missing-target", "Which device do you mean?", expects=list(kinds)
            )
        devices = self.context.devices
        found = devices.find(name=name, area=area, kinds=kinds, device_class=device_class)
        if not found and area and not name:
            # Said plainly, naming the room: nothing is done in another room instead.
            missing = f"There are no {kind_plural(domain)} in the {area}."
            return ToolResult.failure("not-found", missing)
        if not found:
            what, where = name or kind_plural(domain), f" in the {area}" if area else ""
            return ToolResult.failure("not-found", f"I don't know any {what}{where}.")
        lookalikes = [e for e in devices.registry.lookalikes(found, name) if e.kind in kinds]
        if name and (lookalikes or (len(found) > 1 and not area)):
            found += lookalikes
            return ToolResult.ambiguous(
                which_one(found),
                [Choice(e.name, {"name": e.choice_name}, e.area) for e in found],
            )
        return found

    async def _switch(
        self, services: dict[str, str], name: str | None, area: str | None, domain: str | None,
        device_class: str | None,
    ) -> ToolResult:  # fmt: skip
        targets = self._targets(name, area, domain, device_class, tuple(services))
        if isinstance(targets, ToolResult):
            return targets
        done = f"{_DONE[services[targets[0].kind]]} {_names(targets)}."
        return await self._command(done, [(e, services[e.kind], {}) for e in targets])

    async def _command(self, done: str, calls: list[_Call]) -> ToolResult:
        """`done` if every device confirms; said ahead, to be spoken sooner (`expect_reply`)."""
        self.context.expect_reply(done)
        outcomes = [await self.context.devices.call(*call) for call in calls]
        return ToolResult.from_outcomes(outcomes, done)

    def _thermostats(self, name: str | None, area: str | None) -> list[Entity] | ToolResult:
        """The thermostats meant: by name or room, or the only one when neither is said."""
        if not (name or area):
            thermostats = self.context.devices.entities(("climate",))
            if len(thermostats) != 1:
                return ToolResult.failure("missing-target", "Which thermostat do you mean?")
            name = thermostats[0].name
        return self._targets(name, area, "climate", None, ("climate",))

    async def _set(
        self, kind: str, service: str, data: dict[str, int], *, name: str | None,
        area: str | None, reply: str,
    ) -> ToolResult:  # fmt: skip
        """One setting on a device, or on each of its kind in a room; `reply` has `{names}`."""
        targets = self._targets(name, area, kind, None, (kind,))
        if isinstance(targets, ToolResult):
            return targets
        done = reply.format(names=_names(targets))
        return await self._command(done, [(e, service, data) for e in targets])

    @tool(
        "HassTurnOn",
        examples=sentences.TURN_ON,
    )
    async def turn_on(
        self,
        name: SwitchableName | None = None,
        area: AreaName | None = None,
        domain: Domain | None = None,
        device_class: str | None = None,
    ) -> ToolResult:
        """Turn on, open or lock devices: one by name, or every device of a kind in a room.

        Args:
            name: the device's name, when one device is meant.
            area: the room, for every device of the kind there.
            domain: the kind of device: light, switch, fan, cover (blinds), lock or climate.
            device_class: a narrower kind, e.g. "garage" for covers.
        """
        return await self._switch(_ON, name, area, domain, device_class)

    @tool(
        "HassTurnOff",
        examples=sentences.TURN_OFF,
    )
    async def turn_off(
        self,
        name: SwitchableName | None = None,
        area: AreaName | None = None,
        domain: Domain | None = None,
        device_class: str | None = None,
    ) -> ToolResult:
        """Turn off, close or unlock devices: one by name, or every device of a kind in a room.

        Args:
            name: the device's name, when one device is meant.
            area: the room, for every device of the kind there.
            domain: the kind of device: light, switch, fan, cover (blinds), lock or climate.
            device_class: a narrower kind, e.g. "garage" for covers.
        """
        return await self._switch(_OFF, name, area, domain, device_class)

    @tool(
        "HassLightSet",
        examples=sentences.LIGHT_SET,
    )
    async def light_set(
        self,
        brightness: Percent,
        name: LightName | None = None,
        area: AreaName | None = None,
    ) -> ToolResult:
        """Set the brightness of a light, or of every light in a room, in percent.

        Args:
            brightness: 0 to 100 percent; 0 turns the light off.
            name: the light's name.
            area: the room, for all its lights.
        """
        reply = f"Set {{names}} to {brightness} percent."
        data = {"brightness": brightness}
        return await self._set("light", "set_brightness", data, name=name, area=area, reply=reply)

    @tool(
        "HassSetPosition",
        examples=sentences.SET_POSITION,
    )
    async def set_position(
        self,
        position: Percent,
        name: CoverName | None = None,
        area: AreaName | None = None,
        domain: Literal["cover"] | None = None,
    ) -> ToolResult:
        """Move blinds, shades or other covers to a position: 0 is closed, 100 fully open.

        Args:
            position: 0 (closed) to 100 (open) percent.
            name: the cover's name.
            area: the room, for all its covers.
            domain: always cover.
        """
        reply = f"Moved {{names}} to {position} percent."
        data = {"position": position}
        return await self._set("cover", "set_position", data, name=name, area=area, reply=reply)

    @tool(
        "HassClimateSetTemperature",
        examples=sentences.SET_TEMPERATURE,
    )
    async def set_temperature(
        self,
        temperature: float,
        name: ClimateName | None = None,
        area: AreaName | None = None,
    ) -> ToolResult:
        """Set a thermostat's target temperature (the set point) in degrees.

        Args:
            temperature: the target temperature in degrees.
            name: the thermostat's name; with neither name nor area, the only thermostat.
            area: the room whose thermostat to set.
        """
        targets = self._thermostats(name, area)
        if isinstance(targets, ToolResult):
            return targets
        done = f"Set {_names(targets)} to {temperature:g} degrees."
        setting = {"temperature": temperature}
        return await self._command(done, [(e, "set_temperature", setting) for e in targets])

    @tool(
        "HassFanSetSpeed",
        examples=sentences.FAN_SPEED,
    )
    async def fan_set_speed(
        self,
        percentage: Percent,
        name: FanName | None = None,
        area: AreaName | None = None,
    ) -> ToolResult:
        """Set a fan's speed in percent, or that of every fan in a room.

        Args:
            percentage: 0 to 100 percent of full speed; 0 turns the fan off.
            name: the fan's name.
            area: the room, for all its fans.
        """
        reply = f"Set {{names}} to {percentage} percent."
        data = {"percentage": percentage}
        return await self._set("fan", "set_percentage", data, name=name, area=area, reply=reply)

    @tool(
        "AdjustTemperature",
        examples=sentences.ADJUST_TEMPERATURE,
    )
    async def adjust_temperature(
        self,
        change_degrees: Annotated[float, Field(ge=-5, le=5)],
        name: ClimateName | None = None,
        area: AreaName | None = None,
    ) -> ToolResult:
        """Raise or lower a thermostat's set point by a few degrees from where it is now.

        Args:
            change_degrees: how much warmer (positive) or cooler (negative), -5 to 5 degrees.
            name: the thermostat's name; with neither name nor area, the only thermostat.
            area: the room whose thermostat to change.
        """
        targets = self._thermostats(name, area)
        if isinstance(targets, ToolResult):
            return targets
        settings: list[float] = []
        for entity in targets:
            current = entity.state.attributes.get("target_temperature")
            if not isinstance(current, int | float):
                return ToolResult.failure(
                    "unknown-state", f"I don't know what the {entity.name} is set to."
                )
            settings.append(round((current + change_degrees) * 2) / 2)  # half-degree steps
        direction = "up" if change_degrees > 0 else "down"
        where = f"to {settings[0]:g}" if len(settings) == 1 else f"by {abs(change_degrees):g}"
        done = f"Turned {_names(targets)} {direction} {where} degrees."
        setting = [{"temperature": t} for t in settings]
        calls = [(e, "set_temperature", s) for e, s in zip(targets, setting, strict=True)]
        return await self._command(done, calls)
