"""What understanding hands back to the turn, and the interface every brain implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Understanding:
    intent: dict[str, Any] | None
    """`{"name": ..., "slots": {...}, "source": "rules" | "model" | "dialogue"}`, or None."""
    response: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    act_ms: float = 0.0
    expects_answer: bool = False
    """The response asks a question; listen for the answer without a wake word."""


class Brain(Protocol):
    async def understand(self, text: str) -> Understanding: ...
