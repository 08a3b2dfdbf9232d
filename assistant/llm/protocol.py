"""The language model role: a fixed prompt prefix kept evaluated, and completions after it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

PromptFormat = Literal["completion", "chat"]


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    """Tokens in the whole prompt, prefix included."""
    evaluated_tokens: int
    """Prompt tokens that actually had to be evaluated (the rest came from the cached prefix)."""
    generated_tokens: int
    finish_reason: str
    elapsed_ms: float


class LanguageModel(Protocol):
    @property
    def prompt_format(self) -> PromptFormat:
        """completion for base models (a few-shot prompt), chat for instruct models."""

    def chat_prompt(self, messages: list[dict[str, str]], *, add_generation_prompt: bool) -> str:
        """Chat messages rendered with the model's own template."""

    def set_prefix(self, prefix: str) -> int:
        """Evaluate the fixed part of the prompt once; returns its length in tokens."""

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

    def complete_json(
        self, text: str, schema: dict[str, Any], **options: Any
    ) -> tuple[Any, Completion]:
        """Generate under the schema's grammar and parse; a cut-off answer is an error."""
