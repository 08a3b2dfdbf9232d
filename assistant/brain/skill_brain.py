"""Understanding through the skills: a pending confirmation first, then the rules.

A high-risk action waits for the person's answer; "yes" (with the PIN when one is set) carries
it out, "no" drops it, and any other request drops it too, so a stale question can never be
answered by accident later. Replies are the tools' own words, built from confirmed outcomes.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Literal

from assistant.brain.grounding import grounded
from assistant.brain.model_stage import ModelStage
from assistant.brain.normalize import normalize_utterance
from assistant.brain.rules import RuleMatcher
from assistant.brain.understanding import Understanding
from assistant.devices.names import normalize_name
from assistant.skills.result import ToolResult
from assistant.skills.toolbox import Toolbox

_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|correct|confirm(?:ed)?|do it|go ahead|please do)\b"
)
_NO = re.compile(r"^(?:no|nope|nah|don t|do not|cancel|never mind|stop|abort)\b")

NOT_UNDERSTOOD = "Sorry, I didn't understand that."
_CLARIFICATION_SECONDS = 30.0
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}
_NOISE = {"the", "one", "a", "an", "my", "please", "that", "this"}


@dataclass
class Clarification:
    """A "which one?" question: the call that was ambiguous, and the choices offered."""

    tool: str
    arguments: dict[str, Any]
    candidates: list[dict[str, Any]]
    expires_monotonic: float

    def pick(self, text: str) -> dict[str, Any] | None:
        """The candidate the answer names, by its words or by position ("the second one")."""
        words = set(normalize_name(text).split()) - _NOISE
        for word, index in _ORDINALS.items():
            if word in words and -len(self.candidates) <= index < len(self.candidates):
                return self.candidates[index]
        if not words:
            return None
        fitting = [
            candidate for candidate in self.candidates
            if words <= set(normalize_name(str(candidate.get("label", ""))).split())
        ]  # fmt: skip
        return fitting[0] if len(fitting) == 1 else None


def classify_answer(text: str) -> tuple[Literal["yes", "no"] | None, str | None]:
    """("yes"/"no"/None, digits spoken) for a reply to a confirmation question."""
    plain = normalize_name(text)
    digits = "".join(re.findall(r"\d", normalize_utterance(text)))
    if _NO.match(plain):
        return "no", None
    if _YES.match(plain):
        return "yes", digits or None
    if digits and re.fullmatch(r"[\d ]+", normalize_utterance(text)):
        return "yes", digits  # a PIN alone answers the question
    return None, None


class SkillBrain:
    def __init__(
        self, toolbox: Toolbox, rules: RuleMatcher, model: ModelStage | None = None
    ) -> None:
        self.toolbox = toolbox
        self.rules = rules
        self.model = model
        self.clarification: Clarification | None = None

    async def understand(self, text: str) -> Understanding:
        turn_id = uuid.uuid4().hex[:12]
        self.toolbox.drop_expired()
        pending = self.toolbox.pending
        if pending is not None:
            answer, pin = classify_answer(text)
            if answer is not None:
                intent = {"name": pending.tool, "slots": pending.arguments, "source": "dialogue"}
                return await self._act(
                    intent, self.toolbox.answer(answer, pin=pin, turn_id=turn_id)
                )
            self.toolbox.pending = None  # a new request replaces an unanswered question
        clarification, self.clarification = self.clarification, None
        if clarification is not None and time.monotonic() < clarification.expires_monotonic:
            choice = clarification.pick(text)
            if choice is not None:
                arguments = {**clarification.arguments, **choice.get("arguments", {})}
                intent = {"name": clarification.tool, "slots": arguments, "source": "dialogue"}
                return await self._act(
                    intent, self.toolbox.call(clarification.tool, arguments, turn_id=turn_id)
                )
        match = self.rules.match(text)
        if match is not None:
            intent = {"name": match.tool, "slots": match.arguments, "source": "rules"}
            return await self._act(
                intent, self.toolbox.call(match.tool, match.arguments, turn_id=turn_id)
            )
        if self.model is None:
            return Understanding(intent=None, response=NOT_UNDERSTOOD)
        call = await self.model.propose(text)
        if call.tool is None or not grounded(call.tool, call.arguments, text):
            return Understanding(intent=None, response=NOT_UNDERSTOOD)
        intent = {"name": call.tool, "slots": call.arguments, "source": "model"}
        return await self._act(
            intent, self.toolbox.call(call.tool, call.arguments, turn_id=turn_id)
        )

    async def _act(self, intent: dict[str, Any], call: Awaitable[ToolResult]) -> Understanding:
        started = time.perf_counter()
        result = await call
        candidates = result.data.get("candidates")
        if result.error == "ambiguous" and isinstance(candidates, list) and candidates:
            self.clarification = Clarification(
                str(intent["name"]), dict(intent["slots"]), candidates,
                time.monotonic() + _CLARIFICATION_SECONDS,
            )  # fmt: skip
        return Understanding(
            intent=intent,
            response=result.speech,
            actions=[outcome.as_action() for outcome in result.outcomes],
            act_ms=(time.perf_counter() - started) * 1000,
            expects_answer=result.expects_answer,
        )
