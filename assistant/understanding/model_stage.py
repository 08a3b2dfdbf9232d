"""The second stage of the cascade: the small language model, when no rule matched.

The prompt's fixed part (instructions, tools, this home's devices, examples) is evaluated once
and kept in llama.cpp's KV cache; it is rebuilt only when devices or skills change, so a turn
pays only for the utterance and the answer. The model runs on its own worker thread, bounded
in tokens and time, and anything it proposes still goes through the toolbox and the safety
policy like any other call.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from assistant.config import UnderstandingSettings
from assistant.devices.registry import Change
from assistant.engines import Engines
from assistant.errors import AssistantError
from assistant.llm.protocol import LanguageModel
from assistant.skill_host.call import ToolCall
from assistant.skill_host.device_gate import DeviceGate
from assistant.skill_host.loader import Tool
from assistant.understanding.model_prompt import NONE_TOOL, build_prompt
from assistant.understanding.utterance import Utterance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelProposal:
    call: ToolCall | None
    """None when the model chose "none" (or failed)."""
    elapsed_ms: float
    evaluated_tokens: int
    """Prompt tokens evaluated for this request (the cached prefix not counted)."""
    error: str | None = None
    """The error code when the model failed (llm-failed)."""


class ModelStage:
    def __init__(
        self,
        engines: Engines,
        tools: dict[str, Tool],
        devices: DeviceGate,
        settings: UnderstandingSettings,
    ) -> None:
        self.engines = engines
        self.tools = tools
        self.devices = devices
        self.settings = settings
        self._schema: dict[str, Any] | None = None
        self._chat_prefix_messages: list[dict[str, str]] = []
        self.prefix_tokens = 0
        self.rebuilds = 0
        devices.registry.subscribe_changes(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.kind != "state":
            self._schema = None

    def _rebuild(self, llm: LanguageModel) -> None:
        completion, messages, schema = build_prompt(
            self.tools, self.devices, prompt_format=llm.prompt_format,
            per_tool=self.settings.model_examples_per_tool,
        )  # fmt: skip
        if llm.prompt_format == "chat":
            self._chat_prefix_messages = messages
            prefix = llm.chat_prompt(messages, add_generation_prompt=False)
        else:
            prefix = completion
        self.prefix_tokens = llm.set_prefix(prefix)
        self._schema = schema
        self.rebuilds += 1
        log.info("model prompt rebuilt: %d tokens", self.prefix_tokens)

    def _suffix(self, llm: LanguageModel, text: str) -> str:
        if llm.prompt_format != "chat":
            return f"Request: {text}\nCall:"
        prefix = llm.chat_prompt(self._chat_prefix_messages, add_generation_prompt=False)
        full = llm.chat_prompt(
            [*self._chat_prefix_messages, {"role": "user", "content": text}],
            add_generation_prompt=True,
        )
        if not full.startswith(prefix):
            raise AssistantError(
                "the chat template does not extend its own prefix", code="llm-failed"
            )
        return full[len(prefix) :]

    def _propose(self, text: str) -> ModelProposal:
        llm = self.engines.llm
        started = time.perf_counter()
        if self._schema is None:
            self._rebuild(llm)
        assert self._schema is not None
        value, completion = llm.complete_json(
            self._suffix(llm, text), self._schema,
            max_tokens=self.settings.model_max_tokens,
            timeout_seconds=self.settings.model_timeout_seconds,
        )  # fmt: skip
        elapsed_ms = (time.perf_counter() - started) * 1000
        tool = value.get("tool") if isinstance(value, dict) else None
        if tool == NONE_TOOL or tool not in self.tools:
            return ModelProposal(None, elapsed_ms, completion.evaluated_tokens)
        arguments = {key: item for key, item in value.items() if key != "tool"}
        return ModelProposal(ToolCall(tool, arguments), elapsed_ms, completion.evaluated_tokens)

    async def propose(self, utterance: Utterance) -> ModelProposal:
        """What the model would call for this utterance; failures become a "none" with a reason."""
        try:
            return await self.engines.run("llm", self._propose, utterance.text)
        except AssistantError as error:
            log.warning("language model stage: %s", error.message)
            return ModelProposal(None, 0.0, 0, error=error.code)

    async def warm(self) -> None:
        """Evaluate the prompt prefix now rather than on the first request."""
        llm = self.engines.llm
        await self.engines.run("llm", self._rebuild, llm)
