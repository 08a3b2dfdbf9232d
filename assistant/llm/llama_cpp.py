"""A small language model with llama-cpp-python: token scores, with the KV cache reused.

The GGUF base model comes from the store, optionally with a LoRA adapter (`llm.adapter`, the
trained specialist by default) applied at load. `next_scores` evaluates only the tokens after
the longest prefix already in llama.cpp's KV cache, so consecutive prompts that share their
start (the same home's device list) pay only for what differs. The cache is kept whole
(`swa_full`) so the sliding-window layers of Gemma 3 can still rewind to any point.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.config import LlmSettings
from assistant.errors import LlmError, ModelError, ModelLoadError, library_missing
from assistant.modelstore.store import ModelStore
from assistant.modelstore.tuned import SHIPPED_ADAPTER, SPECIALIST_BASE, current_tuned

log = logging.getLogger(__name__)


class LlamaCpp:
    """`LanguageModel` with llama.cpp, on a GGUF file (and adapter) from the store."""

    @classmethod
    def from_store(cls, settings: LlmSettings, store: ModelStore) -> LlamaCpp:
        """`llm.model` and `llm.adapter` from the store ("specialist" prefers a tuned one)."""
        path = store.resolve(settings.model, setting="llm.model")
        if path.suffix != ".gguf":
            raise ModelError(f"llm.model: {path} is not a GGUF file")
        adapter = None
        if settings.adapter == SHIPPED_ADAPTER:
            if settings.model != SPECIALIST_BASE:
                log.info("llm.model is not %s: the specialist is not applied", SPECIALIST_BASE)
                return cls(path, None, settings)
            adapter = current_tuned(store.directory)
            if adapter is not None:
                log.info("using the adapter tuned for this home: %s", adapter.parent.name)
        if settings.adapter and adapter is None:
            adapter = store.resolve(settings.adapter, setting="llm.adapter")
        if adapter is not None and adapter.suffix != ".gguf":
            raise ModelError(f"llm.adapter: {adapter} is not a GGUF file")
        return cls(path, adapter, settings)

    def __init__(self, path: Path, adapter: Path | None, settings: LlmSettings) -> None:
        try:
            from llama_cpp import Llama

            _route_llama_log()
            self._llama = Llama(
                model_path=str(path),
                lora_path=str(adapter) if adapter else None,
                n_ctx=settings.context_tokens,
                n_threads=settings.threads,
                n_threads_batch=settings.threads,
                n_batch=512,
                seed=settings.seed,
                swa_full=True,
                verbose=False,
            )
        except ModuleNotFoundError as error:
            raise library_missing(error, "llama-cpp-python") from None
        except Exception as error:
            what = f"{path} with adapter {adapter}" if adapter else str(path)
            raise ModelLoadError(f"llama.cpp could not load {what}: {error}") from error
        # llama-cpp-python checks a failed adapter load with `is None`, which a null pointer
        # never is: the broken adapter would be "loaded" and crash the first evaluation.
        if adapter is not None and not self._llama._lora_adapter:
            self._llama.close()
            raise ModelLoadError(f"llama.cpp could not load the adapter {adapter}")
        self.path = path
        self.adapter = adapter
        self._context_tokens = settings.context_tokens
        self._vocabulary = self._llama.n_vocab()
        self._evaluated = 0

    @property
    def context_tokens(self) -> int:
        return self._context_tokens

    @property
    def evaluated_tokens(self) -> int:
        return self._evaluated

    def tokenize(self, text: str, *, bos: bool) -> list[int]:
        return list(self._llama.tokenize(text.encode("utf-8"), add_bos=bos, special=False))

    def token_text(self, token: int) -> str:
        return self._llama.detokenize([token]).decode("utf-8", errors="replace")

    def next_scores(self, tokens: Sequence[int]) -> npt.NDArray[np.float32]:
        if not tokens:
            raise LlmError("nothing to continue: the prompt is empty")
        if len(tokens) >= self._context_tokens:
            raise LlmError(
                f"the prompt ({len(tokens)} tokens) does not fit llm.context_tokens = "
                f"{self._context_tokens}"
            )
        cached = self._llama.input_ids[: self._llama.n_tokens]
        reused = _common_prefix_length(cached, tokens)
        reused = min(reused, len(tokens) - 1)  # the last token is evaluated for its scores
        try:
            self._llama.n_tokens = reused
            self._llama.eval(list(tokens[reused:]))
        except Exception as error:
            self._llama.n_tokens = 0  # the cache may be half-written: trust none of it
            raise LlmError(f"evaluation failed: {error}") from error
        self._evaluated += len(tokens) - reused
        logits = self._llama._ctx.get_logits()  # type: ignore[no-untyped-call]  # last row
        return np.ctypeslib.as_array(logits, shape=(self._vocabulary,))


def _common_prefix_length(left: Sequence[int] | npt.NDArray[np.intc], right: Sequence[int]) -> int:
    length = 0
    for a, b in zip(left, right, strict=False):
        if int(a) != b:
            break
        length += 1
    return length


_llama_log = logging.getLogger("assistant.llm.llama")
# ggml's levels in this llama.cpp: 1 debug, 2 info, 3 warn, 4 error, 5 continues a line. Its
# warnings are notes on settings chosen here (the full-size SWA cache, a tokenizer quirk).
_LLAMA_ERROR_LEVEL = 4
_LLAMA_CONTINUED_LEVEL = 5
_routed: list[object] = []
"""The installed callback, kept alive: ctypes would free it and llama.cpp call freed memory."""


def _route_llama_log() -> None:
    """llama.cpp's own lines (the KV cache, the adapter, the tokenizer: over 1000 per load) go
    into logging at debug, errors at warning, instead of straight to the process's stderr and
    the journal. Redirecting the file descriptor instead, as before, also swallowed every other
    thread's log lines while the model loaded."""
    if _routed:
        return
    import ctypes

    import llama_cpp

    pending: list[str] = []  # a line arrives in pieces (the loading dots)
    first_level = [0]

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def forward(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        # Nothing here may raise: ctypes would print a traceback and carry on.
        if level != _LLAMA_CONTINUED_LEVEL and not pending:
            first_level[0] = level
        pending.append(text.decode("utf-8", errors="replace"))
        if not pending[-1].endswith("\n"):
            return
        line = "".join(pending).strip()
        pending.clear()
        if line:
            error = first_level[0] == _LLAMA_ERROR_LEVEL
            _llama_log.log(logging.WARNING if error else logging.DEBUG, line)

    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))
    _routed.append(forward)
