"""The second stage of the cascade: the specialist language model, when no rule matched.

For each request the prompt holds only the request and a bounded set of candidate devices and
rooms (`retrieval`), so a home of 500 devices prompts as cheaply as a home of 10; the decoder
lets the model name only those candidates, the installed tools, or "none". The model runs on
its own worker thread, bounded in answer tokens and time, and anything it proposes still goes
through the grounding checks, the toolbox and the safety policy like any other call.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.config import LlmSettings, UnderstandingSettings
from assistant.engines import Engines
from assistant.errors import AssistantError
from assistant.skill_host.call import ToolCall
from assistant.skill_host.device_gate import DeviceGate
from assistant.skill_host.loader import Tool
from assistant.skill_host.schema import parameters_schema
from assistant.skills.parameters import Areas, Entities
from assistant.understanding.model_decoder import ConstrainedDecoder, DecodeStats
from assistant.understanding.model_format import Slot, ToolShape, prompt_text
from assistant.understanding.retrieval import Candidates, retrieve
from assistant.understanding.utterance import Utterance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelProposal:
    calls: tuple[ToolCall, ...]
    """Empty when the model chose "none" (or failed)."""
    elapsed_ms: float
    stats: DecodeStats | None = None
    error: str | None = None
    """The error code when the model failed (llm-failed)."""


def _slot(name: str, schema: dict[str, Any], required: bool, options: Sequence[str] = ()) -> Slot:
    if options:
        return Slot(name, "choice", tuple(options), required=required)
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        return Slot(name, "choice", tuple(str(v) for v in values), required=required)
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return Slot(
            name, "number", integer=kind == "integer", minimum=schema.get("minimum"),
            maximum=schema.get("maximum"), required=required,
        )  # fmt: skip
    if kind == "boolean":
        return Slot(name, "choice", ("true", "false"), required=required)
    return Slot(name, "text", required=required)


@functools.cache
def _properties(arguments: Any) -> dict[str, Any]:
    """A tool's parameter schemas, made once: pydantic takes about 0.5 ms a tool to make them,
    and every model call needs every tool's."""
    properties: dict[str, Any] = parameters_schema(arguments).get("properties", {})
    return properties


def tool_shapes(tools: dict[str, Tool], candidates: Candidates[Any]) -> list[ToolShape]:
    """What each tool may be called with here: device and room parameters limited to the
    candidates. A tool whose required device parameter has no candidate is left out."""
    shapes = []
    for tool in tools.values():
        properties = _properties(tool.arguments)
        slots: list[Slot] = []
        for info in tool.parameters:
            marker = info.home_choice
            options: list[str] = []
            if isinstance(marker, Entities):
                options = [d.name for d in candidates.devices
                           if not marker.kinds or d.kind in marker.kinds]  # fmt: skip
            elif isinstance(marker, Areas):
                options = list(candidates.rooms)
            if marker is not None and not options:
                if info.required:
                    break
                continue
            slots.append(_slot(info.name, properties.get(info.name, {}), info.required, options))
        else:
            shapes.append(ToolShape(tool.name, tuple(slots)))
    return shapes


class ModelStage:
    def __init__(
        self,
        engines: Engines,
        tools: dict[str, Tool],
        devices: DeviceGate,
        settings: UnderstandingSettings,
        llm_settings: LlmSettings,
    ) -> None:
        self.engines = engines
        self.tools = tools
        self.devices = devices
        self.settings = settings
        self.max_answer_tokens = llm_settings.max_tokens
        self._decoder: ConstrainedDecoder | None = None
        self.recent: deque[DecodeStats] = deque(maxlen=1000)
        """Where the time of recent calls went (`assistant eval` reports it)."""

    def prompt_for(self, text: str, *, here: str | None = None) -> tuple[str, list[ToolShape]]:
        """The prompt and the tools' shapes the model gets for `text` in this home now."""
        devices, rooms = self.devices.exposed(), self.devices.exposed_areas()
        candidates = retrieve(text, devices, rooms, here=here)
        return prompt_text(candidates, text, here=here), tool_shapes(self.tools, candidates)

    def _propose(self, text: str, here: str | None = None) -> ModelProposal:
        started = time.perf_counter()
        if self._decoder is None:
            self._decoder = ConstrainedDecoder(
                self.engines.llm, max_answer_tokens=self.max_answer_tokens
            )
        prompt, shapes = self.prompt_for(text, here=here)
        raw, stats = self._decoder.decode(
            prompt, shapes, timeout_seconds=self.settings.model_timeout_seconds
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.recent.append(stats)
        log.debug("model: %d calls in %.0f ms (%s)", len(raw), elapsed_ms, stats)
        calls = tuple(ToolCall(tool, arguments) for tool, arguments in raw)
        return ModelProposal(calls, elapsed_ms, stats)

    async def propose(self, utterance: Utterance, *, here: str | None = None) -> ModelProposal:
        """What the model would call for this utterance, heard in the room `here` (the prompt
        says so, as in training: a room left unsaid is that one); failures become "none" with
        a reason."""
        try:
            return await self.engines.run("llm", self._propose, utterance.text, here)
        except AssistantError as error:
            log.warning("language model stage: %s", error.message)
            return ModelProposal((), 0.0, error=error.code)

    async def warm(self) -> None:
        """Load the model and evaluate a typical prompt now rather than on the first request."""
        try:
            await self.engines.run("llm", self._propose, "turn on the light")
        except AssistantError as error:  # a slow first call is no reason not to start
            log.warning("language model warm-up: %s", error.message)
        self.recent.clear()
