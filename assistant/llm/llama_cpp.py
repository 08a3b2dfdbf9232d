"""A small language model with llama-cpp-python: grammar-constrained, with a reused prompt prefix.

The fixed part of every prompt (instructions, tools, examples) is evaluated once by
`set_prefix`; llama.cpp keeps its KV cache, and each call only pays for the tokens after it,
because llama-cpp-python re-uses the longest common token prefix of consecutive prompts. The
cache is kept whole (`swa_full`) so the sliding-window layers of models such as Gemma 3 can
still rewind to the end of the prefix.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt
from jsonschema import Draft202012Validator

from assistant.config import LlmSettings
from assistant.errors import LlmError, ModelError, ModelLoadError
from assistant.llm.protocol import Completion, PromptFormat
from assistant.modelstore.store import ModelStore

log = logging.getLogger(__name__)


class LlamaCpp:
    """`LanguageModel` with llama.cpp, on a GGUF file from the store."""

    def __init__(self, settings: LlmSettings, store: ModelStore) -> None:
        path = store.resolve(settings.model, setting="llm.model")
        if path.suffix != ".gguf":
            raise ModelError(f"llm.model: {path} is not a GGUF file")
        try:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=str(path),
                n_ctx=settings.context_tokens,
                n_threads=settings.threads,
                n_threads_batch=settings.threads,
                n_batch=512,
                seed=settings.seed,
                swa_full=True,
                verbose=False,
            )
        except Exception as error:
            raise ModelLoadError(f"llama.cpp could not load {path}: {error}") from error
        self.path = path
        self.prompt_format: PromptFormat = self._choose_format(settings, store)
        self._settings = settings
        self._prefix_tokens: list[int] = []
        self._grammars: dict[str, Any] = {}

    def _choose_format(self, settings: LlmSettings, store: ModelStore) -> PromptFormat:
        if settings.prompt_format != "auto":
            return settings.prompt_format
        spec = store.manifest.models.get(settings.model)
        if spec is not None and spec.prompt_format in ("completion", "chat"):
            return "chat" if spec.prompt_format == "chat" else "completion"
        has_template = "tokenizer.chat_template" in self._llama.metadata
        return "chat" if has_template else "completion"

    def chat_prompt(self, messages: list[dict[str, str]], *, add_generation_prompt: bool) -> str:
        """Render chat messages with the model's own template (instruct models)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise LlmError(
                f"{self.path.name} has no chat template; use llm.prompt_format = 'completion'"
            )
        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._token_text(self._llama.token_eos()),
            bos_token=self._token_text(self._llama.token_bos()),
            add_generation_prompt=add_generation_prompt,
        )
        return str(formatter(messages=messages).prompt)  # type: ignore[arg-type]

    def _token_text(self, token: int) -> str:
        return self._llama.detokenize([token], special=True).decode("utf-8", errors="replace")

    def set_prefix(self, prefix: str) -> int:
        """Evaluate the fixed part of the prompt once; returns its length in tokens."""
        tokens = self._llama.tokenize(prefix.encode("utf-8"), add_bos=True, special=True)
        if len(tokens) >= self._settings.context_tokens - self._settings.max_tokens:
            raise LlmError(
                f"the prompt prefix is {len(tokens)} tokens, too long for llm.context_tokens = "
                f"{self._settings.context_tokens}"
            )
        self._llama.reset()  # type: ignore[no-untyped-call]
        self._llama.eval(tokens)
        self._prefix_tokens = tokens
        return len(tokens)

    def complete(
        self,
        text: str,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        timeout_seconds: float = 10.0,
        stop: list[str] | None = None,
    ) -> Completion:
        """Continue `prefix + text`, optionally constrained to JSON matching `schema`."""
        started = time.perf_counter()
        suffix = self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        prompt = (self._prefix_tokens or [self._llama.token_bos()]) + suffix
        reused = _common_prefix_length(self._llama.input_ids[: self._llama.n_tokens], prompt)
        limit = max_tokens or self._settings.max_tokens
        if len(prompt) + limit > self._settings.context_tokens:
            raise LlmError(f"the prompt ({len(prompt)} tokens) does not fit the context window")
        deadline = started + timeout_seconds

        def past_deadline(_ids: npt.NDArray[np.intc], _logits: npt.NDArray[np.single]) -> bool:
            return time.perf_counter() > deadline

        from llama_cpp import StoppingCriteriaList

        try:
            result = self._llama.create_completion(
                prompt,
                max_tokens=limit,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.0,
                grammar=self._grammar(schema) if schema is not None else None,
                stop=stop or [],
                stopping_criteria=StoppingCriteriaList([past_deadline]),
            )
        except Exception as error:
            raise LlmError(f"generation failed: {error}") from error
        assert isinstance(result, dict)
        choice = result["choices"][0]
        finish = str(choice.get("finish_reason") or "stop")
        if time.perf_counter() > deadline:
            finish = "timeout"
        usage = result["usage"]
        return Completion(
            text=choice["text"],
            prompt_tokens=usage["prompt_tokens"],
            evaluated_tokens=len(prompt) - min(reused, len(prompt) - 1),
            generated_tokens=usage["completion_tokens"],
            finish_reason=finish,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    def complete_json(
        self, text: str, schema: dict[str, Any], **options: Any
    ) -> tuple[Any, Completion]:
        """Generate under the schema's grammar and parse; a cut-off answer is an error, not JSON."""
        completion = self.complete(text, schema=schema, **options)
        if completion.finish_reason != "stop":
            raise LlmError(
                f"the model's answer was cut off ({completion.finish_reason} after "
                f"{completion.generated_tokens} tokens)"
            )
        try:
            value = json.loads(completion.text.strip())
        except ValueError as error:
            raise LlmError(
                f"the model produced invalid JSON despite the grammar: {error}"
            ) from error
        # The grammar fixes structure, enums and small integer ranges; anything it cannot
        # express (wide numeric bounds, string lengths) is checked here, never trusted.
        problem = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
        if problem is not None:
            raise LlmError(f"the model's answer does not fit the schema: {problem.message}")
        return value, completion

    def _grammar(self, schema: dict[str, Any]) -> Any:
        # Property order is kept: the grammar emits keys in schema order, and the examples
        # in the prompt must agree with it.
        key = json.dumps(schema)
        if key not in self._grammars:
            from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

            try:
                gbnf = json_schema_to_gbnf(json.dumps(_enumerate_small_ranges(schema)))
                # Prompts end right after "Call:"; tokenizers fold the space into the next
                # token (' {'), so the grammar must let the answer start with one.
                gbnf = gbnf.replace("root ::=", 'root ::= " "? json-root\njson-root ::=', 1)
                self._grammars[key] = LlamaGrammar.from_string(gbnf, verbose=False)
            except Exception as error:
                raise LlmError(f"cannot build a grammar from the tool schema: {error}") from error
        return self._grammars[key]


_MAX_ENUMERATED_RANGE = 256


def _enumerate_small_ranges(schema: Any) -> Any:
    """Turn `{"type": "integer", "minimum": 0, "maximum": 100}` into an enum of its values.

    llama.cpp's schema converter ignores numeric bounds; an enum is something the grammar
    can enforce, so a model can never answer "brightness 1000000000".
    """
    if isinstance(schema, list):
        return [_enumerate_small_ranges(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _enumerate_small_ranges(value) for key, value in schema.items()}
    low, high = converted.get("minimum"), converted.get("maximum")
    if (
        converted.get("type") == "integer"
        and isinstance(low, int)
        and isinstance(high, int)
        and 0 <= high - low <= _MAX_ENUMERATED_RANGE
    ):
        rest = {k: v for k, v in converted.items() if k not in ("type", "minimum", "maximum")}
        return {**rest, "enum": list(range(low, high + 1))}
    return converted


def _common_prefix_length(left: Any, right: list[int]) -> int:
    length = 0
    for a, b in zip(left, right, strict=False):
        if int(a) != b:
            break
        length += 1
    return length
