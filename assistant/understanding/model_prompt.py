"""The language model's prompt and grammar, built from the skills and the live home.

One JSON object per request: `{"tool": "HassTurnOn", "area": "Kitchen", "domain": "light"}`,
or `{"tool": "none"}` when no tool fits. The grammar is an `anyOf` of one object per tool whose
device and area parameters are enums of this home's names, so the model can only call tools
that exist on devices that exist. Few-shot examples come from the tools' own sentence
templates, filled with real names, plus requests that must get "none".
"""

from __future__ import annotations

import json
from typing import Any

from assistant.skill_host.device_gate import DeviceGate
from assistant.skill_host.loader import Tool
from assistant.skill_host.schema import parameters_schema, with_home_choices
from assistant.skills.parameters import Areas, Entities
from assistant.understanding.templates import example_sentence

NONE_TOOL = "none"

INSTRUCTIONS = (
    "A smart-home assistant turns each request into exactly one JSON call to one of the tools "
    "below, using only the devices and rooms listed. When no tool fits (questions about other "
    'things, chit-chat, unclear requests) the call is {"tool": "none"}.'
)

# Requests that must not become a tool call, whatever the home: the model learns "none" here.
_OUT_OF_SCOPE = [
    "what's the weather like tomorrow",
    "tell me a joke",
    "who won the football last night",
    "order more milk",
]

# Indirect requests people make, with the slot that carries the room.
_INDIRECT = [
    ("it's too dark in the {area}", "HassTurnOn", {"domain": "light"}),
    ("I'm leaving the {area}, lights out", "HassTurnOff", {"domain": "light"}),
]


def _call_json(tool: str, arguments: dict[str, Any], order: list[str]) -> str:
    ordered = {"tool": tool} | {key: arguments[key] for key in order if key in arguments}
    return json.dumps(ordered, ensure_ascii=False)


def _fill_values(tool: Tool, devices: DeviceGate, turn: int) -> dict[str, Any]:
    """A plausible value for each parameter, from this home where the parameter is a name.
    `turn` rotates through the home's devices and rooms: with the same lamp in every example a
    small model learns to answer with that lamp."""
    fill: dict[str, Any] = {}
    for info in tool.parameters:
        marker = info.home_choice
        if isinstance(marker, Entities):
            entities = devices.entities(marker.kinds)
            if entities:
                fill[info.name] = entities[turn % len(entities)].name
        elif isinstance(marker, Areas):
            areas = devices.areas()
            if areas:
                fill[info.name] = areas[turn % len(areas)]
    return fill


_TYPICAL = {"brightness": 30, "position": 40, "temperature": 21, "minutes": 5, "seconds": 30,
            "hours": 1, "name": "pasta", "percentage": 50}  # fmt: skip


def tool_schema(tool: Tool, devices: DeviceGate) -> dict[str, Any]:
    parameters = with_home_choices(
        parameters_schema(tool.arguments), tool.parameters,
        entity_names=devices.names, area_names=devices.areas(),
    )  # fmt: skip
    properties = {"tool": {"const": tool.name}} | parameters.get("properties", {})
    return {
        "type": "object",
        "properties": properties,
        "required": ["tool", *parameters.get("required", [])],
        "additionalProperties": False,
    }


def examples(tools: dict[str, Tool], devices: DeviceGate, per_tool: int) -> list[tuple[str, str]]:
    """(request, call) pairs: each tool's first templates filled with this home's names, with
    the "none" examples spread among them so that neither answer is favoured by position."""
    pairs: list[tuple[str, str]] = []
    for tool in tools.values():
        order = [info.name for info in tool.parameters]
        made = 0
        for template in tool.info.examples:
            if made >= per_tool:
                break
            home = _fill_values(tool, devices, len(pairs))
            fill = {info.name: str(_TYPICAL[info.name]) for info in tool.parameters
                    if info.home_choice is None and info.name in _TYPICAL} | home  # fmt: skip
            sentence = example_sentence(template, {k: str(v).lower() for k, v in fill.items()})
            if sentence is None:
                continue
            text, fixed, used = sentence
            arguments: dict[str, Any] = {name: fill[name] for name in used} | fixed
            # Numbers go into the JSON as numbers, the way the grammar writes them.
            arguments = {
                k: int(v) if isinstance(v, str) and v.isdigit() else v for k, v in arguments.items()
            }
            pairs.append((text, _call_json(tool.name, arguments, order)))
            made += 1
    areas = devices.areas()
    if areas and devices.entities(("light",)):
        for text, tool_name, fixed_arguments in _INDIRECT:
            if tool_name in tools:
                order = [info.name for info in tools[tool_name].parameters]
                call = _call_json(tool_name, {"area": areas[0], **fixed_arguments}, order)
                pairs.append((text.format(area=areas[0].lower()), call))
    nothing = [(text, json.dumps({"tool": NONE_TOOL})) for text in _OUT_OF_SCOPE]
    step = max(1, len(pairs) // (len(nothing) + 1))
    for index, pair in enumerate(nothing):
        pairs.insert(min(len(pairs), (index + 1) * step + index), pair)
    return pairs


def build_prompt(
    tools: dict[str, Tool], devices: DeviceGate, *, prompt_format: str, per_tool: int
) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    """(completion prefix, chat messages, grammar schema)."""
    lines = [INSTRUCTIONS, "", "Tools:"]
    for tool in tools.values():
        names = ", ".join(info.name for info in tool.parameters) or "no arguments"
        lines.append(f"- {tool.name}: {tool.description} Arguments: {names}.")
    entities = devices.entities()
    if entities:
        lines += ["", "Devices (name: kind, room):"]
        lines += [f"- {e.name}: {e.kind}, {e.area or 'no room'}" for e in entities]
    instructions = "\n".join(lines)
    pairs = examples(tools, devices, per_tool)
    schema = {"anyOf": [tool_schema(tool, devices) for tool in tools.values()]
              + [{"type": "object", "properties": {"tool": {"const": NONE_TOOL}},
                  "required": ["tool"], "additionalProperties": False}]}  # fmt: skip
    completion = instructions + "\n\n" + "".join(f"Request: {r}\nCall: {c}\n" for r, c in pairs)
    messages = [{"role": "system", "content": instructions}]
    for request, call in pairs:
        messages += [{"role": "user", "content": request}, {"role": "assistant", "content": call}]
    return completion, messages, schema
