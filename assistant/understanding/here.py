"""What a request means where it was heard: a command that names no room is for the room of the
satellite that heard it.

"Turn on the lights" heard in the bedroom switches the bedroom's lights, not every light in the
building; "close the blinds", "turn the heating up", "is the light on?" and "what's the
temperature?" are that room's too. This module is the one place that rule lives: every call the
words propose (the rules, "and the blinds" after a request, the model) passes `Here.place`
before it is trusted or carried out, so a skill receives the room as an ordinary argument. A
device already settled in the conversation ("which one?" answered, *it*, "a bit warmer" after
it) is that device, wherever it is.

- A room said ("the kitchen lights") or a device named ("the reading lamp", in any room) is as
  said.
- "All", "every", "everywhere", "the whole house" mean the whole home, as before; "all the
  lights in here" is this room's.
- A device said only by its kind ("the light", "the blinds", "the thermostat") is that kind of
  device in this room, even when the home's only device whose name holds the word is elsewhere.
- A part of a name that several devices share ("the lamp") is the one in this room, when there
  is exactly one.
- Locks are the home's, not a room's: "lock the door" in the bedroom still means the front door.
- A room with none of what was asked for hears so from the skill ("There are no lights in the
  Bedroom."); nothing is done elsewhere instead.

With no place, or a satellite whose room is not set, every call is left as proposed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.devices.registry import Entity
from assistant.skill_host.call import ToolCall
from assistant.skill_host.device_gate import DeviceGate
from assistant.skill_host.loader import Tool
from assistant.skills.parameters import Areas, Entities
from assistant.text import fold
from assistant.understanding.utterance import Utterance

_EVERYWHERE = re.compile(
    r"\b(?:all|every|everywhere|anywhere|throughout"
    r"|(?:the )?(?:whole|entire) (?:house|home|flat|apartment|place|building)"
    r"|in the (?:house|home|flat|apartment|building))\b"
)
_THIS_ROOM = re.compile(r"\b(?:in here|this room)\b")
# Kinds that belong to the home rather than to a room: doors are locked from anywhere.
_HOME_KINDS = frozenset({"lock"})
# Words that name a kind of device rather than one device.
KIND_NAMES: Mapping[str, frozenset[str]] = {
    "light": frozenset({"light", "lights", "lamp", "lamps", "bulb", "bulbs"}),
    "switch": frozenset({"plug", "plugs", "socket", "sockets", "switch", "switches", "outlet"}),
    "fan": frozenset({"fan", "fans"}),
    "cover": frozenset({"blind", "blinds", "shade", "shades", "curtain", "curtains", "drapes",
                        "shutter", "shutters"}),
    "climate": frozenset({"thermostat", "thermostats", "heating", "heater", "radiator"}),
}  # fmt: skip
_NOT_DISTINCTIVE = frozenset({"the", "of", "and", "s"})


def says_everywhere(utterance: Utterance) -> bool:
    """ "Turn on all the lights", "every fan", "the whole house": the whole home, wherever it
    was said; but "all the lights in here" is this room's."""
    said = utterance.normalized
    return bool(_EVERYWHERE.search(said)) and not _THIS_ROOM.search(said)


def parameter(tool: Tool, marker: type[Entities] | type[Areas]) -> str | None:
    """The name of the tool's parameter that takes a device (`Entities`) or a room (`Areas`)."""
    return next((i.name for i in tool.parameters if isinstance(i.home_choice, marker)), None)


@dataclass(frozen=True)
class Here:
    """The room a request was heard in (None: no place, or its room is not set), and what that
    makes of the calls proposed for it."""

    room: str | None
    utterance: Utterance
    devices: DeviceGate
    tools: Mapping[str, Tool]

    @classmethod
    def at(
        cls, room: str | None, utterance: Utterance, devices: DeviceGate, tools: Mapping[str, Tool]
    ) -> Here:
        """`room` as this home spells it ("bedroom" set for a satellite is the "Bedroom")."""
        if room is not None:
            spelled = {fold(area): area for area in devices.areas()}
            room = spelled.get(fold(room), room)
        return cls(room, utterance, devices, tools)

    @functools.cached_property
    def everywhere(self) -> bool:
        return says_everywhere(self.utterance)

    def place(self, call: ToolCall) -> ToolCall:
        """The call as meant in this room: see the module's docstring."""
        tool = self.tools.get(call.tool)
        area = parameter(tool, Areas) if tool is not None else None
        if self.room is None or tool is None or area is None or call.arguments.get(area):
            return call
        if self.everywhere:
            return call
        name = parameter(tool, Entities)
        if name is not None and call.arguments.get(name):
            return self._named(call, tool, name, area)
        if call.arguments.get("domain") in _HOME_KINDS:
            return call
        return ToolCall(call.tool, {**call.arguments, area: self.room})

    def _named(self, call: ToolCall, tool: Tool, name: str, area: str) -> ToolCall:
        found = self.devices.find(name=str(call.arguments[name]))
        kinds = {entity.kind for entity in found}
        kind = next(iter(kinds)) if len(kinds) == 1 else None
        if kind in KIND_NAMES and not any(self._distinctly_said(e) for e in found):
            # "Turn on the light": the room's lights, whichever device's name holds the word.
            arguments = {key: v for key, v in call.arguments.items() if key != name}
            arguments[area] = self.room
            if any(info.name == "domain" for info in tool.parameters):
                arguments["domain"] = kind
            return ToolCall(call.tool, arguments)
        if len(found) > 1:
            here = [entity for entity in found if entity.area == self.room]
            if len(here) == 1:
                return ToolCall(call.tool, {**call.arguments, name: here[0].name})
        return call

    def _distinctly_said(self, entity: Entity) -> bool:
        """Whether a word of the device's names other than a kind word was said ("the reading
        lamp", "the kitchen light"), rather than only its kind ("the lamp")."""
        kind_words = KIND_NAMES.get(entity.kind, frozenset()) | _NOT_DISTINCTIVE
        names = (entity.name, *entity.aliases)
        words = {word for name in names for word in fold(name).split()} - kind_words
        return bool(words & self.utterance.words)
