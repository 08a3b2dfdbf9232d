"""Switching, dimming, opening, locking and setting devices, by name or by room.

Home Assistant's intent names and slots (`HassTurnOn`, `HassLightSet`, …) so people who know
that ecosystem recognise them. Replies say only what the devices confirmed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

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


def _switched(state: str) -> list[str]:
    """The ways of asking for a device, or a kind of device in a room, to be on (or off)."""
    return [
        f"(turn|switch|put) {state} [the] {{name}}",
        f"(turn|switch|put) [the] {{name}} {state}",
        f"(turn|switch) {state} [the] {{area}} {{domain}}",
        f"(turn|switch) {state} [all] [the] {{domain}}",
        f"(turn|switch) {state} [all] [the] {{domain}} in [the] {{area}}",
        f"(turn|switch) [the] {{domain}} in [the] {{area}} {state}",
        f"[the] {{name}} {state}",
        f"[the] {{area}} {{domain}} {state}",
        f"{{domain}} {state} in [the] {{area}}",
    ]


# Opening a lock unlocks it: the verbs of covers are said of covers only.
_COVERS = "(blind|blinds|shade|shades|curtain|curtains|drapes|shutter|shutters|covers)"


def _moved(verbs: str) -> list[str]:
    """Opening (or closing) a cover by name, every cover, or a room's covers."""
    return [
        f"{verbs} [the] {{name}}{{domain=cover}}",
        f"{verbs} [all] [the] {_COVERS}{{domain=cover}} [in [the] {{area}}]",
        f"{verbs} [the] {{area}} {_COVERS}{{domain=cover}}",
    ]


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
        where = f" in the {area}" if area else ""
        if not found:
            what = name or kind_plural(domain)
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
        examples=[
            *_switched("on"),
            "(power up|start|start up|fire up|activate) [the] {name}",
            "start [the] {domain} in [the] {area}",
            *_moved("(open|raise|pull up)"),
            "(lock|bolt) [up] [the] {name}{domain=lock}",
            "(close|shut) [the] {name}{domain=lock}",  # never the opposite of what was said
            "lock [all] [the] (locks|doors){domain=lock}",
            # Indirect requests: the room says where, the complaint says which kind of device.
            "it is [(too|very|really|so|quite|pitch|far too|way too)] (dark|dim|black) "
            "in [the] {area}{domain=light}",
            "[the] {area} is [(too|very|really|so)] dark{domain=light}",
            "i (cannot|can not) see [(a thing|anything)] in [the] {area}{domain=light}",
            "[i need] more light in [the] {area}{domain=light}",
            "it is [(too|very|really|so|quite)] (stuffy|hot|warm|muggy) in [the] {area}"
            "{domain=fan}",
            "[the] {area} is [(too|very|really|so)] (stuffy|hot) {domain=fan}",
            "[the] {area} is like (an oven|a sauna){domain=fan}",
            "[i would like] [some] air (moving|flowing) in [the] {area}{domain=fan}",
        ],
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
        examples=[
            *_switched("off"),
            "(turn|switch) (everything|all) off in [the] {area}",
            "(turn|switch) off everything in [the] {area}",
            "[the] {name} (can|should|may) go off",
            "i [have] left [the] {name} on",
            "(kill|cut|cut the power to|power down|power off|stop|shut off|shut down|deactivate) "
            "[the] {name}",
            "stop [the] {domain} in [the] {area}",
            *_moved("(close|lower|shut|pull down)"),
            "(unlock|disengage|open|unbolt) [the] {name}{domain=lock}",
            "i need [the] {name} unlocked{domain=lock}",
            "unlock [the] {area} [door]{domain=lock}",
            "unlock [all] [the] (locks|doors){domain=lock}",
            # Indirect: sun and glare mean the blinds, leaving means the lights.
            "the sun is [(glaring|shining|beating)] (into|in) [the] {area}{domain=cover}",
            "it is [(far|way|much)] too bright in [the] {area}{domain=cover}",
            "[i want] [some] privacy in [the] {area}{domain=cover}",
        ],
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
        examples=[
            "(set|dim|turn) [the] {name} [down|up] to {brightness} [percent]",
            "(set|dim) [the] {area} (light|lights) to {brightness} [percent]",
            "{name} [at] {brightness} percent",
            "(set|dim|turn|make|brighten|bring|put) [the] {name} [(down|up)] (to|at) {brightness} "
            "[percent]",
            "(set|dim|turn|make|brighten|bring|put) [the] (light|lights) in [the] {area} "
            "[(down|up)] (to|at) {brightness} [percent]",
            "[the] {name} (at|to) {brightness} percent",
            "make [the] {name} {brightness} percent",
            "make [the] {name} [(a bit|a little|slightly)] (dimmer|brighter) [(to|at)] "
            "{brightness} [percent]",
            "(set|turn|put) [the] {name} to half brightness{brightness=50}",
            "(set|turn|put) [the] {name} [up] to full [brightness]{brightness=100}",
        ],
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
        examples=[
            "(set|open|close|move) [the] {name} to {position} [percent]",
            "(set|open|close|move) [the] {area} (blind|blinds|shades){domain=cover} "
            "to {position} [percent]",
            "(set|open|close|move|bring|lower|raise|put) [the] {name} [(down|up)] to {position} "
            "[percent]",
            "(set|open|close|move|bring|lower|raise|put) [the] {domain} [in [the] {area}] "
            "[(down|up)] to {position} [percent]",
            "open [the] {name} halfway{position=50}",
            "open [the] {domain} [in [the] {area}] halfway{position=50}",
        ],
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
        examples=[
            "set [the] {name} to {temperature} [degrees]",
            "set [the] (heating|temperature|thermostat) [in [the] {area}] "
            "to {temperature} [degrees]",
            "make it {temperature} degrees [in [the] {area}]",
            "(set|bump|turn|bring|put|make) [the] {name} [(up|down)] [(to|on|at)] {temperature} "
            "[degrees]",
            "(set|bump|turn|bring|put) [the] (heating|heat|temperature|thermostat) "
            "[in [the] {area}] [(up|down)] (to|on|at) {temperature} [degrees]",
            "(warm|heat|cool) [the] {area} [(up|down)] to {temperature} [degrees]",
            "(bring|turn|put) it (up|down) to {temperature} degrees",
            "[(i would like|i want|make)] it [(a bit|a little)] (warmer|cooler) [in [the] {area}] "
            "[(say|to|at)] {temperature} [degrees]",
        ],
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
        examples=[
            "(set|turn|put) [the] {name} [(up|down)] (to|on|at) {percentage} [percent]",
            "(set|turn|put) [the] fan [in [the] {area}] [(up|down)] (to|on|at) {percentage} "
            "[percent]",
            "[set] [the] {name} speed to {percentage} [percent]",
            "(set|turn|put) [the] {name} [up] to full [speed]{percentage=100}",
        ],
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
        examples=[
            "(turn|bump|put) [the] (heating|heat|thermostat|temperature) up [a (bit|little)] "
            "[in [the] {area}]{change_degrees=1}",
            "(turn|put) [the] (heating|heat|thermostat|temperature) down [a (bit|little)] "
            "[in [the] {area}]{change_degrees=-1}",
        ],
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
