"""Understanding before the understanding cascade exists: say back what was heard.

The pipeline talks to understanding through `Brain`; this implementation recognises no
intent and acts on nothing, which is the truth until rules and the model are wired in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Understanding:
    intent: dict[str, Any] | None
    """`{"name": ..., "slots": {...}, "source": "rules" | "model"}`, or None."""
    response: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    act_ms: float = 0.0


class Brain(Protocol):
    async def understand(self, text: str) -> Understanding: ...


class HeardBrain:
    """Replies with the transcript; no intent, no action."""

    async def understand(self, text: str) -> Understanding:
        return Understanding(intent=None, response=f"I heard: {text}")
