"""The rules: every tool's example templates, compiled against the live home.

Device names and aliases, areas, the allowed values of a parameter (`Literal`), numbers and
free text become slot patterns. The compiled set is rebuilt when devices are added, changed or
removed (not on state changes), so a newly paired lamp is understood at once.
"""

from __future__ import annotations

import enum
import logging
import time
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from assistant.brain.normalize import normalize_utterance
from assistant.brain.templates import (
    CompiledTemplate,
    SlotPattern,
    TemplateSyntaxError,
    compile_template,
)
from assistant.devices.names import normalize_name
from assistant.devices.registry import Change
from assistant.skills.device_api import DeviceApi
from assistant.skills.loader import Tool
from assistant.skills.schema import Areas, Entities, ParameterInfo

log = logging.getLogger(__name__)

_NUMBER = r"\d+(?:\.\d+)?"


@dataclass(frozen=True)
class RuleMatch:
    tool: str
    arguments: dict[str, Any]
    template: str
    confidence: float


def _allowed_values(annotation: Any) -> list[str] | None:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return [str(value) for value in typing.get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    if origin is Annotated:
        return _allowed_values(typing.get_args(annotation)[0])
    for inner in typing.get_args(annotation):
        if inner is not type(None):
            found = _allowed_values(inner)
            if found is not None:
                return found
    return None


def _is_number(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) is Annotated:
        return _is_number(typing.get_args(annotation)[0])
    return any(
        _is_number(inner) for inner in typing.get_args(annotation) if inner is not type(None)
    )


class RuleMatcher:
    def __init__(self, tools: dict[str, Tool], devices: DeviceApi) -> None:
        self.tools = tools
        self.devices = devices
        self._compiled: list[tuple[Tool, CompiledTemplate, dict[str, SlotPattern]]] | None = None
        self.compile_ms = 0.0
        devices.registry.subscribe_changes(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.kind != "state":
            self._compiled = None

    def slot_pattern(self, info: ParameterInfo) -> SlotPattern:
        marker = info.home_choice
        if isinstance(marker, Entities):
            values = {
                spoken: entity.name
                for entity in self.devices.entities(marker.kinds)
                for spoken in entity.match_names
            }
            return SlotPattern(values=values)
        if isinstance(marker, Areas):
            return SlotPattern(values={normalize_name(area): area for area in self.devices.areas()})
        allowed = _allowed_values(info.annotation)
        if allowed is not None:
            values = {normalize_name(value): value for value in allowed}
            values |= {
                f"{spoken}s": value for spoken, value in values.items() if not spoken.endswith("s")
            }
            return SlotPattern(values=values)
        if _is_number(info.annotation):
            return SlotPattern(pattern=_NUMBER)
        return SlotPattern()

    def compiled(self) -> list[tuple[Tool, CompiledTemplate, dict[str, SlotPattern]]]:
        if self._compiled is None:
            started = time.perf_counter()
            compiled = []
            for tool in self.tools.values():
                patterns = {info.name: self.slot_pattern(info) for info in tool.parameters}
                for template in tool.info.examples:
                    try:
                        compiled.append((tool, compile_template(template, patterns.get), patterns))
                    except TemplateSyntaxError as error:
                        log.error("tool %s: skipping example: %s", tool.name, error)
            self._compiled = compiled
            self.compile_ms = (time.perf_counter() - started) * 1000
        return self._compiled

    def match(self, text: str) -> RuleMatch | None:
        """The best-fitting template: the one that recognises the most arguments, preferring
        known values (names, areas, numbers) over free text; ties go to the earlier example."""
        normalized = normalize_utterance(text)
        best: tuple[tuple[int, int], RuleMatch] | None = None
        for tool, compiled, patterns in self.compiled():
            arguments = compiled.match(normalized, patterns)
            if arguments is None:
                continue
            free_text = [
                str(value)
                for slot, value in arguments.items()
                if slot in patterns and patterns[slot].is_free_text
            ]
            # A device's own name says which device and what kind at once: it counts twice, so
            # "the living room blinds" (a name) beats area "living room" + kind "blinds".
            names = sum(
                1
                for info in tool.parameters
                if isinstance(info.home_choice, Entities) and info.name in arguments
            )
            score = (len(arguments) + names - len(free_text), -sum(map(len, free_text)))
            if best is None or score > best[0]:
                best = (score, RuleMatch(tool.name, arguments, compiled.template, 1.0))
        return best[1] if best else None
