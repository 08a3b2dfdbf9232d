"""Questions about the home: "is the front door locked", "which lights are on in the kitchen",
"what's the temperature in the nursery". Answers come from what devices last reported, and say
so when a device is offline or has never reported."""

from __future__ import annotations

from typing import Annotated, Literal

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

AnyName = Annotated[str, Entities()]
_STATE_WORDS = {
    "on": "on", "off": "off", "locked": "locked", "unlocked": "unlocked", "open": "open",
    "closed": "closed", "opening": "opening", "closing": "closing", "jammed": "jammed",
}  # fmt: skip
# The states each kind can be asked about, to tell apart devices that share words of a name.
_KIND_STATES = {
    "lock": ("locked", "unlocked"), "cover": ("open", "closed"),
    "binary_sensor": ("open", "closed"), "light": ("on", "off"), "switch": ("on", "off"),
    "fan": ("on", "off"), "climate": ("on", "off"),
}  # fmt: skip


def _spoken_number(value: str) -> str:
    """ "48.0" → "48", "21.50" → "21.5": a reading as a person says it."""
    try:
        return f"{float(value):g}"
    except ValueError:
        return value


def _reading(entity: Entity) -> str:
    state = entity.state
    if state.available is False:
        return f"The {entity.name} is offline, so I don't know."
    if state.state is None:
        return f"The {entity.name} hasn't reported its state yet."
    if entity.kind == "binary_sensor":
        opened = entity.config.device_class in ("door", "window", "opening", "garage_door")
        word = ("open" if state.state == "on" else "closed") if opened else state.state
        return f"The {entity.name} is {word}."
    if entity.kind == "sensor":
        unit = state.attributes.get("unit") or ""
        unit = {"°C": "degrees", "°F": "degrees Fahrenheit", "%": "percent"}.get(unit, unit)
        return f"The {entity.name} is {_spoken_number(state.state)} {unit}.".replace(" .", ".")
    extra = ""
    if entity.kind == "light" and state.state == "on" and "brightness_percent" in state.attributes:
        extra = f" at {state.attributes['brightness_percent']} percent"
    if entity.kind == "cover" and "position" in state.attributes and state.state not in ("closed",):
        extra = f", {state.attributes['position']} percent"
    return f"The {entity.name} is {_STATE_WORDS.get(state.state, state.state)}{extra}."


class DeviceState(Skill):
    """Answer questions about devices and temperatures from what they last reported."""

    name = "device_state"

    @tool(
        "HassGetState",
        examples=[
            "is [the] {name} {state}",
            "is [the] {name} (on|off|open|closed|locked|unlocked)",
            "which (lights|light){domain=light} are {state} [in [the] {area}]",
            "(what|which) {domain} are {state} [in [the] {area}]",
            "what is the (state|status) of [the] {name}",
            "are [the] {area} (lights){domain=light} {state}",
            "(is|are) [the] {name} (shut|closed){state=closed}",
            "are [the] {name} {state}",
            "(are|is) [there] (any|the) {domain} {state} [in [the] {area}]",
            "(are|is) [there] (any|the) {domain} in [the] {area} {state}",
            "did i lock [the] {name}{state=locked}",
            "[i wonder] (if|whether) i locked [the] {name}{state=locked}",
            "what is the (humidity|reading|status) in [the] {area}",
        ],
    )
    async def get_state(
        self,
        name: AnyName | None = None,
        area: AreaName | None = None,
        domain: Literal["light", "switch", "fan", "cover", "lock", "binary_sensor", "climate"]
        | None = None,
        state: Literal["on", "off", "open", "closed", "locked", "unlocked"] | None = None,
    ) -> ToolResult:
        """Tell the state of a device, or which devices of a kind are in a given state.

        Args:
            name: the device asked about.
            area: the room, for questions about several devices.
            domain: the kind of devices asked about.
            state: the state asked about (on, off, open, closed, locked, unlocked).
        """
        devices = self.context.devices
        if name:
            found = devices.find(name=name, area=area)
            if not found:
                return ToolResult.failure("not-found", f"I don't know a device called {name}.")
            # A new device named like a known one: ask, rather than answer for the newcomer.
            found += devices.registry.lookalikes(found, name)
            if len(found) > 1 and state:
                # "Is the front door locked": the lock, not the door's contact sensor.
                fitting = [e for e in found if state in _KIND_STATES.get(e.kind, ())]
                found = fitting or found
            if len(found) > 1:
                return ToolResult.ambiguous(
                    which_one(found),
                    [Choice(e.name, {"name": e.choice_name}, e.area) for e in found],
                )
            entity = found[0]
            answer = _reading(entity)
            if state and entity.state.state is not None and entity.state.available is not False:
                current = entity.state.state
                if entity.kind == "binary_sensor":
                    current = "open" if current == "on" else "closed"
                answer = ("Yes. " if current == state else "No. ") + answer
            snapshot = {"entity": entity.entity_id, **entity.state.snapshot()}
            return ToolResult(answer, data=snapshot, about=[entity.entity_id])
        if not (domain or area):
            return ToolResult.failure("missing-target", "Which device do you mean?")
        entities = devices.find(area=area, kinds=(domain,) if domain else ())
        where = f" in the {area}" if area else ""
        what = kind_plural(domain)
        if not entities:
            return ToolResult.failure("not-found", f"There are no {what}{where}.")
        if state is None:
            return ToolResult(" ".join(_reading(e) for e in entities))
        matching = [e for e in entities if e.state.state == state]
        names = [e.name for e in matching]
        if not names:
            return ToolResult(f"No {what}{where} are {state}.", data={"entities": []})
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = "is" if len(names) == 1 else "are"
        ids = [e.entity_id for e in matching]
        return ToolResult(f"The {listed} {verb} {state}.", data={"entities": ids}, about=ids)

    @tool(
        "HassClimateGetTemperature",
        examples=[
            "what is the temperature [in [the] {area}]",
            "how (warm|cold|hot) is it [in [the] {area}]",
            "what is the temperature of [the] {name}",
            "what is the (temperature|reading) (on|of|from) [the] {name}",
            "how (warm|cold|hot) is [it in] [the] {area}",
            "how (warm|cold|hot) is [the] {name}",
            "is [it in] [the] {area} (warm|cold|hot|cool) enough",
            "is it (warm|cold|hot|cool) enough in [the] {area}",
            "is [the] {name} (warm|cold|hot|cool) enough",
        ],
    )
    async def get_temperature(
        self, name: AnyName | None = None, area: AreaName | None = None
    ) -> ToolResult:
        """Tell the current temperature in a room, from its thermostat or temperature sensor.

        Args:
            name: a thermostat or temperature sensor.
            area: the room asked about.
        """
        devices = self.context.devices
        found = devices.find(name=name, area=area, kinds=("climate", "sensor"))
        readings: list[tuple[Entity, float]] = []
        for entity in found:
            if entity.state.available is False:
                continue
            if entity.kind == "climate" and "current_temperature" in entity.state.attributes:
                readings.append((entity, float(entity.state.attributes["current_temperature"])))
            elif entity.kind == "sensor" and (
                entity.config.device_class == "temperature"
                or entity.state.attributes.get("unit") in ("°C", "°F")
            ) and "value" in entity.state.attributes:  # fmt: skip
                readings.append((entity, float(entity.state.attributes["value"])))
        where = f" in the {area}" if area else ""
        if not readings:
            return ToolResult.failure("not-found", f"I have no temperature reading{where}.")
        entity, value = readings[0]
        place = f"in the {area}" if area else f"at the {entity.name}"
        return ToolResult(
            f"It's {value:g} degrees {place}.",
            data={"entity": entity.entity_id, "temperature": value},
            about=[entity.entity_id],
        )
