"""What the specialist model reads and writes: one format, shared by the runtime and training.

The prompt is the retrieved candidates and the request, nothing else; the model learned the
tools in training, so neither instructions nor examples are needed:

    Devices: Bedroom lamp (light, Bedroom); Kitchen kettle plug (switch, Kitchen)
    Rooms: Bedroom, Kitchen
    Here: Bedroom
    Request: I fancy a cup of tea
    Call:

The answer is a sequence of segments, each tokenized on its own, so that the constrained
decoder and the training data agree token for token:

    ` HassTurnOn:` ` name="` `Kitchen kettle plug"` `\\n`

A tool segment, then its arguments (` key="` then `value"`, in the tool's parameter order),
then ` ;` and the next call, or `\\n` at the end. `none` is the call for "no tool".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assistant.understanding.retrieval import Candidates, Describable

NONE_TOOL = "none"
END = "\n"
NEXT_CALL = " ;"
MAX_CALLS = 3


def prompt_text(candidates: Candidates[Any], request: str, *, here: str | None = None) -> str:
    devices = "; ".join(_device_line(d) for d in candidates.devices) or "none"
    lines = [f"Devices: {devices}", f"Rooms: {', '.join(candidates.rooms) or 'none'}"]
    if here:
        lines.append(f"Here: {here}")
    lines += [f"Request: {' '.join(request.split())}", "Call:"]
    return "\n".join(lines)


def _device_line(device: Describable) -> str:
    also = "".join(f", also {alias}" for alias in device.aliases)
    return f"{device.name} ({device.kind}, {device.area or 'no room'}{also})"


def tool_segment(tool: str) -> str:
    return f" {tool}:"


def key_segment(key: str) -> str:
    return f' {key}="'


def value_segment(value: str) -> str:
    return f'{value}"'


def spoken_value(value: Any) -> str:
    """A value as the model writes it: `21.5`, `30`, `Kitchen light`; never a quote inside."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace('"', "'")


@dataclass(frozen=True)
class Slot:
    """One argument of a tool, as the decoder may fill it."""

    name: str
    form: Literal["choice", "number", "text"]
    options: tuple[str, ...] = ()
    """The allowed values of a choice (devices, rooms, enums)."""
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False


@dataclass(frozen=True)
class ToolShape:
    name: str
    slots: tuple[Slot, ...]


def call_segments(
    calls: Sequence[tuple[str, dict[str, Any]]], order: dict[str, list[str]]
) -> list[str]:
    """The answer for these calls, as segments; `order` gives each tool's parameter order."""
    if not calls:
        return [tool_segment(NONE_TOOL), END]
    segments: list[str] = []
    for index, (tool, arguments) in enumerate(calls):
        if index:
            segments.append(NEXT_CALL)
        segments.append(tool_segment(tool))
        for key in order.get(tool, []):
            if key in arguments and arguments[key] is not None:
                segments += [key_segment(key), value_segment(spoken_value(arguments[key]))]
    segments.append(END)
    return segments
