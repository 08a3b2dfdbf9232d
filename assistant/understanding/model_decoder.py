"""Constrained decoding of the specialist's answer: only tools that exist, on candidate devices.

The answer is built from the segments of `model_format`. At every point the decoder knows the
few strings that may come next (tool names, the tool's remaining parameter names, a device
among the candidates, a number in range), tokenizes each once, and walks them as a trie:

- where every allowed string continues with the same token, that token is appended without
  asking the model (a forced token costs nothing until the next real choice, when it is
  evaluated in one batch with the others);
- where they differ, the model's scores pick the best allowed token.

So a call like ` HassTurnOn: name="Kitchen ceiling light"` costs a handful of model steps, not
one per token, and nothing sampled can fall outside the home: grammar-constrained sampling over
Gemma's 262k-word vocabulary cost about 26 ms a token here, this costs a few microseconds.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.errors import LlmError
from assistant.llm.protocol import LanguageModel
from assistant.understanding.model_format import (
    END,
    MAX_CALLS,
    NEXT_CALL,
    NONE_TOOL,
    Slot,
    ToolShape,
    key_segment,
    tool_segment,
    value_segment,
)

_MAX_TEXT_TOKENS = 16


@dataclass
class DecodeStats:
    prompt_tokens: int = 0
    evaluated_tokens: int = 0
    """Tokens the model computed (prompt and answer), the cached prefix not counted."""
    answer_tokens: int = 0
    model_steps: int = 0
    """Times the model was asked for scores: the real choices."""
    model_ms: float = 0.0
    """Time inside the model (evaluating tokens)."""
    constraint_ms: float = 0.0
    """The rest: tokenizing, working out what may come next and choosing among it."""


@dataclass
class _State:
    tokens: list[int]
    deadline: float
    stats: DecodeStats = field(default_factory=DecodeStats)


class ConstrainedDecoder:
    def __init__(self, llm: LanguageModel, *, max_answer_tokens: int) -> None:
        self.llm = llm
        self.max_answer_tokens = max_answer_tokens
        self._tokenized: dict[str, tuple[int, ...]] = {}

    def _tokens(self, text: str) -> tuple[int, ...]:
        found = self._tokenized.get(text)
        if found is None:
            found = tuple(self.llm.tokenize(text, bos=False))
            if len(self._tokenized) > 50_000:
                self._tokenized.clear()  # names of a home that changed a lot; start over
            self._tokenized[text] = found
        return found

    def decode(
        self, prompt: str, shapes: Sequence[ToolShape], *, timeout_seconds: float
    ) -> tuple[list[tuple[str, dict[str, str]]], DecodeStats]:
        """The calls the model makes for `prompt` (empty for "none"), with the raw values."""
        started = time.perf_counter()
        state = _State(self.llm.tokenize(prompt, bos=True), time.monotonic() + timeout_seconds)
        state.stats.prompt_tokens = len(state.tokens)
        before = self.llm.evaluated_tokens
        by_name = {shape.name: shape for shape in shapes}
        calls: list[tuple[str, dict[str, str]]] = []
        while len(calls) < MAX_CALLS:
            names = list(by_name) + ([] if calls else [NONE_TOOL])
            tool = self._choose(state, [tool_segment(name) for name in names], names)
            if tool == NONE_TOOL:
                break
            last_call = len(calls) + 1 >= MAX_CALLS
            arguments, more = self._arguments(state, by_name[tool], last_call=last_call)
            calls.append((tool, arguments))
            if not more:
                break
        state.stats.evaluated_tokens = self.llm.evaluated_tokens - before
        state.stats.constraint_ms = (time.perf_counter() - started) * 1000 - state.stats.model_ms
        state.stats.answer_tokens = len(state.tokens) - state.stats.prompt_tokens
        return calls, state.stats

    def _arguments(
        self, state: _State, shape: ToolShape, *, last_call: bool
    ) -> tuple[dict[str, str], bool]:
        """The tool's arguments in parameter order; True when another call follows."""
        arguments: dict[str, str] = {}
        position = 0
        while True:
            missing = [s for s in shape.slots if s.required and s.name not in arguments]
            later: list[Slot] = []
            for slot in shape.slots[position:]:
                later.append(slot)
                if slot in missing:
                    break  # a required argument is never skipped: the call could not end
            options = [key_segment(slot.name) for slot in later]
            values: list[Slot | str] = list(later)
            if not missing:
                options.append(END)
                values.append(END)
                if not last_call:
                    options.append(NEXT_CALL)
                    values.append(NEXT_CALL)
            chosen = self._choose(state, options, values)
            if chosen == END:
                return arguments, False
            if chosen == NEXT_CALL:
                return arguments, True
            assert isinstance(chosen, Slot)
            arguments[chosen.name] = self._value(state, chosen)
            position = shape.slots.index(chosen) + 1

    def _value(self, state: _State, slot: Slot) -> str:
        if slot.form == "text":
            return self._free_text(state)
        options = slot.options or number_options(slot)
        return str(self._choose(state, [value_segment(o) for o in options], list(options)))

    def _choose(self, state: _State, options: Sequence[str], values: Sequence[Any]) -> Any:
        """Append the best allowed option's tokens to the answer; return its value."""
        sequences = [self._tokens(option) for option in options]
        alive = [i for i, sequence in enumerate(sequences) if sequence]
        if not alive:
            raise LlmError("nothing may come next: the answer's constraints are empty")
        depth = 0
        while True:
            # Quoted values and ":"/"=" endings keep any option from being a whole prefix of
            # another, so an option that has ended is the only one left.
            going = [i for i in alive if len(sequences[i]) > depth]
            if len(going) <= 1:
                winner = (going or alive)[0]
                state.tokens += sequences[winner][depth:]
                return values[winner]
            nexts = sorted({sequences[i][depth] for i in going})
            if len(nexts) == 1:
                choice = nexts[0]
            else:
                scores = self._scores(state)
                choice = nexts[int(np.argmax(scores[nexts]))]
            state.tokens.append(choice)
            alive = [i for i in going if sequences[i][depth] == choice]
            depth += 1

    def _free_text(self, state: _State) -> str:
        """Any words up to the closing quote (a timer's name, what is wrong), bounded."""
        pieces: list[str] = []
        for _ in range(_MAX_TEXT_TOKENS):
            token = int(np.argmax(self._scores(state)))
            state.tokens.append(token)
            piece = self.llm.token_text(token)
            if '"' in piece:
                pieces.append(piece.split('"', 1)[0])
                return "".join(pieces).strip()
            pieces.append(piece)
        raise LlmError("the model's text argument never ended")

    def _scores(self, state: _State) -> Any:
        if time.monotonic() > state.deadline:
            raise LlmError("the model did not answer in time")
        if len(state.tokens) - state.stats.prompt_tokens > self.max_answer_tokens:
            raise LlmError(f"the model's answer passed llm.max_tokens = {self.max_answer_tokens}")
        started = time.perf_counter()
        scores = self.llm.next_scores(state.tokens)
        state.stats.model_ms += (time.perf_counter() - started) * 1000
        state.stats.model_steps += 1
        return scores


@functools.cache
def number_options(slot: Slot) -> tuple[str, ...]:
    """Every value a number slot may take, as the model writes it: integers in range, or
    half steps for decimals (set points), within the slot's bounds or a sane default."""
    if slot.integer:
        low = int(slot.minimum if slot.minimum is not None else 0)
        high = int(slot.maximum if slot.maximum is not None else 100)
        return tuple(str(v) for v in range(low, min(high, low + 5000) + 1))
    bottom = float(slot.minimum if slot.minimum is not None else -30.0)
    top = float(slot.maximum if slot.maximum is not None else 60.0)
    return tuple(f"{bottom + step / 2:g}" for step in range(int((top - bottom) * 2) + 1))
