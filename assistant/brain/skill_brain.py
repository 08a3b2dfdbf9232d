"""Understanding through the skills, in order: a question waiting for its answer, the rules,
a follow-up to the last request, and the language model last.

A high-risk action waits for the person's answer; "yes" (with the PIN when one is set) carries
it out, "no" drops it, and any other request drops it too, so a stale question can never be
answered by accident later. "Which one?" is answered by naming one, or "both". Replies are the
tools' own words, built from confirmed outcomes.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Literal

from assistant.brain.dialogue import Dialogue, LastRequest
from assistant.brain.grounding import grounded
from assistant.brain.model_stage import ModelStage
from assistant.brain.normalize import normalize_utterance
from assistant.brain.rules import RuleMatcher
from assistant.brain.understanding import Understanding
from assistant.devices.names import normalize_name
from assistant.devices.registry import Entity
from assistant.skills.result import ToolResult
from assistant.skills.toolbox import Toolbox

_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|correct|confirm(?:ed)?|do it|go ahead|please do)\b"
)
_NO = re.compile(r"^(?:no|nope|nah|don t|do not|cancel|never mind|stop|abort)\b")

NOT_UNDERSTOOD = "Sorry, I didn't understand that."


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
        self,
        toolbox: Toolbox,
        rules: RuleMatcher,
        model: ModelStage | None = None,
        *,
        use_rules: bool = True,
    ) -> None:
        self.toolbox = toolbox
        self.rules = rules
        self.use_rules = use_rules
        """False only to measure the model alone: templates and follow-ups are skipped."""
        self.model = model
        self.dialogue = Dialogue()

    @property
    def clarification(self) -> object | None:
        """The open "which one?" question, if any."""
        return self.dialogue.clarification

    def reset(self) -> None:
        """Forget the conversation: no question waiting, no last request."""
        self.dialogue.reset()
        self.toolbox.pending = None

    async def understand(self, text: str) -> Understanding:
        turn_id = uuid.uuid4().hex[:12]
        self.toolbox.drop_expired()
        pending = self.toolbox.pending
        if pending is not None:
            answer, pin = classify_answer(text)
            if answer is not None:
                result = await self.toolbox.answer(answer, pin=pin, turn_id=turn_id)
                return self._understood(pending.tool, pending.arguments, "dialogue", result, 0.0)
            self.toolbox.pending = None  # a new request replaces an unanswered question
        clarification = self.dialogue.take_clarification()
        if clarification is not None and (chosen := clarification.pick(text)):
            calls = [
                {**clarification.arguments, **choice.get("arguments", {})} for choice in chosen
            ]
            return await self._act(clarification.tool, calls, "dialogue", turn_id)
        match = self.rules.match(text) if self.use_rules else None
        if match is not None:
            return await self._act(match.tool, [match.arguments], "rules", turn_id)
        follow_up = self._follow_up(text) if self.use_rules else None
        if follow_up is not None:
            tool, arguments = follow_up
            return await self._act(tool, [arguments], "dialogue", turn_id)
        if self.model is None:
            return Understanding(intent=None, response=NOT_UNDERSTOOD)
        call = await self.model.propose(text)
        if call.tool is None or not grounded(call.tool, call.arguments, text):
            return Understanding(intent=None, response=NOT_UNDERSTOOD)
        if not self.rules.shares_words_with(call.tool, text):
            return Understanding(intent=None, response=NOT_UNDERSTOOD)  # unrelated to that tool
        named = self.rules.names_in(text)
        if named and call.arguments.get("name") not in named:
            # The person named a device and the model chose something else (a whole room,
            # another device): a garbled sentence, not a request to trust.
            return Understanding(intent=None, response=NOT_UNDERSTOOD)
        return await self._act(call.tool, [call.arguments], "model", turn_id)

    def _follow_up(self, text: str) -> tuple[str, dict[str, Any]] | None:
        """The call a follow-up means: "turn it off", "and the bedroom too", "a bit warmer"."""
        rewritten = self.dialogue.with_referent(text)
        if rewritten is not None and (match := self.rules.match(rewritten)) is not None:
            return match.tool, match.arguments
        last = self.dialogue.recent()
        if last is None:
            return None
        step = self.dialogue.step(text)
        if step is not None:
            return self._stepped(last, *step)
        phrase = self.dialogue.carried_over(text)
        target = self.rules.target(phrase) if phrase else None
        if target is None:
            return None
        slot, value = target
        tool = self.toolbox.tools.get(last.tool)
        parameters = {info.name for info in tool.parameters} if tool else set()
        if slot not in parameters:
            return None
        kept = ("name", "area", "domain") if slot == "name" else ("name", "area")
        arguments = {k: v for k, v in last.arguments.items() if k not in kept} | {slot: value}
        one_kind = len(set(last.kinds)) == 1
        if slot == "area" and "domain" in parameters and "domain" not in arguments and one_kind:
            arguments["domain"] = last.kinds[0]  # "the kitchen light … and the bedroom"
        return last.tool, arguments

    def _stepped(
        self, last: LastRequest, setting: str, delta: float
    ) -> tuple[str, dict[str, Any]] | None:
        """One step from the last device's current value: +1 degree, +20 percent brightness."""
        entities = [self._entity(name) for name in last.referents]
        if len(entities) != 1 or entities[0] is None:
            return None
        entity = entities[0]
        attributes = entity.state.attributes
        if setting == "temperature" and entity.kind == "climate":
            current = attributes.get("target_temperature")
            if isinstance(current, int | float):
                return "HassClimateSetTemperature", {
                    "name": entity.name,
                    "temperature": current + delta,
                }
        if setting == "brightness" and entity.kind == "light":
            current = attributes.get("brightness_percent", 100 if entity.state.state == "on" else 0)
            if isinstance(current, int | float):
                level = int(min(100, max(1, current + delta)))
                return "HassLightSet", {"name": entity.name, "brightness": level}
        return None

    def _entity(self, name: str) -> Entity | None:
        found = self.toolbox.devices.find(name=name)
        return found[0] if len(found) == 1 else None

    async def _act(
        self, tool: str, calls: list[dict[str, Any]], source: str, turn_id: str
    ) -> Understanding:
        """Call the tool once per argument set ("both of them" makes two calls)."""
        started = time.perf_counter()
        results = [await self.toolbox.call(tool, arguments, turn_id=turn_id) for arguments in calls]
        result = results[0]
        if len(results) > 1:
            result = ToolResult(
                speech=" ".join(r.speech for r in results),
                success=all(r.success for r in results),
                error=next((r.error for r in results if r.error), None),
                outcomes=[o for r in results for o in r.outcomes],
                expects_answer=any(r.expects_answer for r in results),
            )
        elapsed_ms = (time.perf_counter() - started) * 1000
        candidates = result.data.get("candidates")
        if result.error == "ambiguous" and isinstance(candidates, list) and candidates:
            self.dialogue.ask(tool, calls[0], candidates)
        return self._understood(tool, calls[0], source, result, elapsed_ms)

    def _understood(
        self, tool: str, arguments: dict[str, Any], source: str, result: ToolResult,
        act_ms: float,
    ) -> Understanding:  # fmt: skip
        referents = self._referents(result)
        if referents:
            kinds = [entity.kind for name in referents if (entity := self._entity(name))]
            self.dialogue.last = LastRequest(tool, dict(arguments), referents, kinds)
        return Understanding(
            intent={"name": tool, "slots": arguments, "source": source},
            response=result.speech,
            actions=[outcome.as_action() for outcome in result.outcomes],
            act_ms=act_ms,
            expects_answer=result.expects_answer,
        )

    def _referents(self, result: ToolResult) -> list[str]:
        """Names of the devices a result is about: those commanded, or those asked about."""
        ids = [outcome.entity_id for outcome in result.outcomes]
        if not ids:
            entity = result.data.get("entity")
            listed = result.data.get("entities")
            ids = [entity] if isinstance(entity, str) else list(listed or [])
        registry = self.toolbox.devices.registry
        return [found.name for entity_id in ids if (found := registry.get(entity_id)) is not None]
