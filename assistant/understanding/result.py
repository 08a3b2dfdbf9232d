"""What understanding hands back to the turn, and the interface every brain implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from assistant.devices.commands import CommandOutcome
from assistant.skill_host.call import ToolCall
from assistant.skills.request import Place
from assistant.understanding.utterance import Utterance

IntentSource = Literal["rules", "model", "dialogue"]
"""Which part of the cascade understood: a sentence template, the language model, or the
conversation (an answer to a question, a follow-up to the last request)."""


@dataclass(frozen=True)
class Intent:
    call: ToolCall
    """The tool and arguments understood (the first call, when "both of them" made two)."""
    source: IntentSource


@dataclass(frozen=True)
class Understanding:
    intent: Intent | None
    """None when nothing was understood."""
    response: str
    actions: tuple[CommandOutcome, ...] = ()
    """Every device command sent (or refused) for it, with its outcome."""
    act_ms: float = 0.0
    """Time spent carrying the calls out, within the whole understanding time."""
    expects_answer: bool = False
    """The response asks a question; listen for the answer without a wake word."""


class Brain(Protocol):
    async def understand(
        self, utterance: Utterance, *, turn_id: str, place: Place | None = None
    ) -> Understanding:
        """Understand and act on one utterance of the turn `turn_id`, heard at `place` (None:
        typed text or a file, from no room)."""

    def settled(self, utterance: Utterance, *, place: Place | None = None) -> bool:
        """Whether the utterance, heard at a short pause, may be acted on without waiting for
        the full end of speech: complete, unambiguous and low-risk."""
