"""The understanding cascade, in order: a question waiting for its answer, the rules (several
requests in one sentence too), a follow-up to the last request, and the language model last.

A high-risk action waits for the person's answer; "yes" (with the PIN when one is set) carries
it out, "no" drops it, and any other request drops it too, so a stale question can never be
answered by accident later. "Which one?" is answered by naming one, or "both". Replies are the
tools' own words, built from confirmed outcomes.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from typing import Literal

from assistant.devices.registry import Entity
from assistant.errors import BrokerUnavailable
from assistant.skill_host.call import ToolCall
from assistant.skill_host.safety import needs_care
from assistant.skill_host.toolbox import Toolbox
from assistant.skills.result import ToolResult
from assistant.understanding.compound import Part, parts, retarget, sharing_the_particle
from assistant.understanding.dialogue import Dialogue, LastRequest
from assistant.understanding.grounding import durations_taken, grounded
from assistant.understanding.model_stage import ModelStage
from assistant.understanding.result import Intent, IntentSource, Understanding
from assistant.understanding.rules import JOINERS, RuleMatcher
from assistant.understanding.utterance import Utterance

log = logging.getLogger(__name__)

_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|correct|confirm(?:ed)?|do it|go ahead|please do)\b"
)
# What may follow a yes and still be a plain yes ("yes please, I'm sure, my PIN is 4 3 2 1");
# anything else is a new request, which drops the question instead of answering it.
_PLAIN_YES = re.compile(
    r"^(?:(?:yes|yeah|yep|yup|sure|ok|okay|correct|confirm|confirmed|do it|go ahead|please"
    r"|do|i am sure|i m sure|i said|of course|definitely|absolutely|right|that is right"
    r"|that s right|thanks|thank you|thing|(?:my |the )?(?:pin|code)(?: is)?|it is|\d+)"
    r"(?: |$))+$"
)
_NO = re.compile(r"^(?:no|nope|nah|don t|do not|cancel|never mind|stop|abort)\b")

NOT_UNDERSTOOD = "Sorry, I didn't understand that."
# Never acted on at a short pause: the words after it may matter ("I've fallen … in the
# bathroom"), or may extend the request ("set a timer for five minutes … and thirty seconds").
_WAITS_FOR_THE_END = {"CallForAssistance", "HassStartTimer"}
# Asking how a device is changes nothing, so it may be answered early even about a lock.
_ONLY_READS = {"HassGetState", "HassClimateGetTemperature"}
# A skill's answer when no device fits: with the broker unreachable, none can.
_NO_SUCH_DEVICE = {"not-found", "missing-target"}


def classify_answer(answer: Utterance) -> tuple[Literal["yes", "no"] | None, str | None]:
    """("yes"/"no"/None, digits spoken) for a reply to a confirmation question. Only a plain
    yes (or the PIN) confirms: "yes, open the garage" is a new request, not an answer."""
    digits = "".join(re.findall(r"\d", answer.normalized))
    if _NO.match(answer.plain):
        return "no", None
    if _YES.match(answer.plain):
        plain = any(_PLAIN_YES.match(said) for said in (answer.plain, answer.normalized))
        return ("yes", digits or None) if plain else (None, None)
    if digits and re.fullmatch(r"[\d ]+", answer.normalized):
        return "yes", digits  # a PIN alone answers the question
    return None, None


def after_the_yes(utterance: Utterance) -> Utterance:
    """The request that follows a yes ("yes, open the garage" → "open the garage")."""
    found = _YES.match(utterance.plain)
    if found is None:
        return utterance
    rest = re.sub(r"^(?:and|then|also|but)\b", "", utterance.plain[found.end() :]).strip()
    return Utterance.of(rest) if rest else utterance


class Cascade:
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
        self.model_answers = 0
        """Requests the model answered with calls or "none" (for `assistant eval`)."""
        self.model_vetoes = 0
        """Of those, the ones whose calls the grounding checks refused."""

    @property
    def asking(self) -> bool:
        """A question is waiting for its answer: a confirmation, or "which one?"."""
        return self.toolbox.pending is not None or self.dialogue.clarification is not None

    def reset(self) -> None:
        """Forget the conversation: no question waiting, no last request."""
        self.dialogue.reset()
        self.toolbox.drop_pending()

    def settled(self, utterance: Utterance) -> bool:
        """Whether the request heard so far may be acted on at a short pause (see
        `pipeline.listen`): nothing waits for an answer, the rules read the whole sentence as
        one request, nothing in it asks for more ("… and the fan"), and it changes no device
        that needs care (locks, alarms, garage doors, a switch that drives one: `needs_care`)."""
        if not self.use_rules or self.asking or utterance.words & JOINERS:
            return False
        match = self.rules.match(utterance)
        if match is None or match.confidence < 1.0 or match.call.tool in _WAITS_FOR_THE_END:
            return False
        arguments = match.call.arguments
        name, area, domain = arguments.get("name"), arguments.get("area"), arguments.get("domain")
        if name is None and area is None:
            return domain is None  # the clock, a timer's status; "all the lights" waits
        targets = self.toolbox.devices.find(
            name=name, area=area, kinds=(domain,) if isinstance(domain, str) else ()
        )
        if match.call.tool in _ONLY_READS:
            return bool(targets)
        return bool(targets) and not any(needs_care(entity) for entity in targets)

    async def understand(self, utterance: Utterance, *, turn_id: str) -> Understanding:
        pending = self.toolbox.pending
        if pending is not None:
            answer, pin = classify_answer(utterance)
            if answer is not None:
                result = await self.toolbox.answer(answer, pin=pin, turn_id=turn_id)
                return self._understood(pending.call, "dialogue", result, 0.0)
            # A new request replaces an unanswered question, even one that starts with "yes".
            self.toolbox.drop_pending(turn_id=turn_id)
            utterance = after_the_yes(utterance)
        clarification = self.dialogue.take_clarification()
        if clarification is not None and (chosen := clarification.pick(utterance)):
            return await self._act(clarification.calls(chosen), "dialogue", turn_id)
        pieces = parts(utterance) if self.use_rules else []
        if len(pieces) > 1 and (calls := self._compound(pieces)):
            return await self._act(calls, "rules", turn_id)
        match = self.rules.match(utterance) if self.use_rules else None
        if match is not None and self.model is not None and utterance.words & JOINERS:
            # "close the drapes and put the lamp on": a rule reads one of the requests; the
            # model, which reads them all, answers if it finds more than one.
            several = await self._from_model(utterance, turn_id, at_least=2)
            if several is not None:
                return several
        if match is not None:
            return await self._act([match.call], "rules", turn_id)
        follow_up = self._follow_up(utterance) if self.use_rules else None
        if follow_up is not None:
            return await self._act([follow_up], "dialogue", turn_id)
        understood = await self._from_model(utterance, turn_id) if self.model else None
        if understood is None and self.toolbox.devices.unreachable:
            # Without the broker no device is known, so no device's name can be matched: say
            # why, rather than that the request made no sense.
            raise self._unreachable()
        return understood or Understanding(intent=None, response=NOT_UNDERSTOOD)

    def _unreachable(self) -> BrokerUnavailable:
        address = self.toolbox.devices.broker_address
        return BrokerUnavailable(f"cannot reach the MQTT broker at {address}")

    async def _from_model(
        self, utterance: Utterance, turn_id: str, *, at_least: int = 1
    ) -> Understanding | None:
        """The model's calls, carried out if there are `at_least` and all are trusted."""
        assert self.model is not None
        proposal = await self.model.propose(utterance)
        calls = proposal.calls
        self.model_answers += proposal.error is None
        if len(calls) < at_least:
            return None
        kind_of = {entity.name: entity.kind for entity in self.toolbox.devices.entities()}
        counts = Counter(kind_of.values())
        sole = {name: kind for name, kind in kind_of.items() if counts[kind] == 1}
        untrusted = [c for c in calls if not self._trusted(c, utterance, calls, sole, kind_of)]
        if not durations_taken(calls, utterance):
            untrusted = list(calls)
        if untrusted:
            self.model_vetoes += 1
            log.info("the model's %s vetoed for %r", untrusted[0], utterance.text)
            return None
        return await self._act(list(calls), "model", turn_id)

    def _trusted(
        self, call: ToolCall, utterance: Utterance, calls: tuple[ToolCall, ...],
        sole_of_kind: dict[str, str], kind_of: dict[str, str],
    ) -> bool:  # fmt: skip
        """Whether a call the model proposed is about what was said."""
        if not grounded(call, utterance, sole_of_kind=sole_of_kind, kind_of=kind_of):
            return False
        targeted = call.arguments.get("name") or call.arguments.get("area")
        if not targeted and not self.rules.shares_words_with(call.tool, utterance):
            return False  # "order a pizza" has nothing to do with "cancel the timer"
        named = self.rules.names_in(utterance)
        if not named:
            return True
        # The person named a device and the model chose something else (a whole room, another
        # device): a garbled sentence, not a request to trust. With several calls, every named
        # device must be among them ("the kitchen light and the fan").
        if len(calls) == 1:
            return bool(self._devices_of(call) & named)
        return named <= {name for c in calls for name in self._devices_of(c)}

    def _devices_of(self, call: ToolCall) -> set[str]:
        """The device a call names, or, for a room and a kind, the room's only device of that
        kind ("the kitchen light" as the kitchen's lights when it has just one)."""
        if name := call.arguments.get("name"):
            return {str(name)}
        area, domain = call.arguments.get("area"), call.arguments.get("domain")
        if not (area and domain):
            return set()
        there = [e.name for e in self.toolbox.devices.entities()
                 if e.area == area and e.kind == domain]  # fmt: skip
        return set(there) if len(there) == 1 else set()

    def _follow_up(self, utterance: Utterance) -> ToolCall | None:
        """The call a follow-up means: "turn it off", "and the bedroom too", "a bit warmer"."""
        rewritten = self.dialogue.with_referent(utterance)
        if rewritten is not None and (match := self.rules.match(rewritten)) is not None:
            return match.call
        last = self.dialogue.recent()
        if last is None:
            return None
        step = self.dialogue.step(utterance)
        if step is not None:
            return self._stepped(last, *step)
        phrase = self.dialogue.carried_over(utterance)
        target = self.rules.target(phrase) if phrase else None
        if target is None:
            return None
        return retarget(last.call, *target, self._parameters(last.call), last.kinds)

    def _compound(self, pieces: list[Part]) -> list[ToolCall] | None:
        """The calls of several requests the rules read in full (see `compound`), as said or
        with the last particle shared ("switch the lamp and the fan off")."""
        shared = sharing_the_particle(pieces)
        return self._calls_of(pieces) or (self._calls_of(shared) if shared != pieces else None)

    def _calls_of(self, pieces: list[Part]) -> list[ToolCall] | None:
        calls: list[ToolCall] = []
        listing = pieces[-1].joined  # "the lamp, the fan and the plug": pauses list devices too
        for piece in pieces:
            match = self.rules.match(Utterance.of(piece.text))
            if match is not None and match.confidence == 1.0:
                calls.append(match.call)
                continue
            target = self.rules.target(piece.text) if piece.joined or listing else None
            if not calls or target is None:
                return None
            last = calls[-1]
            call = retarget(last, *target, self._parameters(last), self._kinds_of(last))
            if call is None:
                return None
            calls.append(call)
        targets = [tuple(map(call.arguments.get, ("name", "area", "domain"))) for call in calls]
        if len(set(targets)) < len(targets):
            return None  # one thing said twice ("it's too warm in here, bring it down to 18")
        return calls if len(calls) > 1 else None

    def _parameters(self, call: ToolCall) -> list[str]:
        tool = self.toolbox.tools.get(call.tool)
        return [info.name for info in tool.parameters] if tool else []

    def _kinds_of(self, call: ToolCall) -> list[str]:
        if (name := call.arguments.get("name")) and (entity := self._entity(str(name))):
            return [entity.kind]
        domain = call.arguments.get("domain")
        return [str(domain)] if domain else []

    def _stepped(self, last: LastRequest, setting: str, delta: float) -> ToolCall | None:
        """One step from the last device's current value: +1 degree, +20 percent brightness."""
        entities = [self._entity(name) for name in last.referents]
        if len(entities) != 1 or entities[0] is None:
            return None
        entity = entities[0]
        attributes = entity.state.attributes
        if setting == "temperature" and entity.kind == "climate":
            current = attributes.get("target_temperature")
            if isinstance(current, int | float):
                arguments = {"name": entity.name, "temperature": current + delta}
                return ToolCall("HassClimateSetTemperature", arguments)
        if setting == "brightness" and entity.kind == "light":
            current = attributes.get("brightness_percent", 100 if entity.state.state == "on" else 0)
            if isinstance(current, int | float):
                level = int(min(100, max(1, current + delta)))
                return ToolCall("HassLightSet", {"name": entity.name, "brightness": level})
        return None

    def _entity(self, name: str) -> Entity | None:
        found = self.toolbox.devices.find(name=name)
        return found[0] if len(found) == 1 else None

    async def _act(
        self, calls: list[ToolCall], source: IntentSource, turn_id: str
    ) -> Understanding:
        """Carry the calls out, one after another ("both of them" makes two)."""
        started = time.perf_counter()
        results = [await self.toolbox.call(call, turn_id=turn_id) for call in calls]
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
        if result.error in _NO_SUCH_DEVICE and self.toolbox.devices.unreachable:
            raise self._unreachable()  # "I don't know any lights": none are known without it
        if result.error == "ambiguous" and result.choices:
            self.dialogue.ask(calls[0], result.choices)
        return self._understood(calls[0], source, result, elapsed_ms)

    def _understood(
        self, call: ToolCall, source: IntentSource, result: ToolResult, act_ms: float
    ) -> Understanding:
        referents = self._referents(result)
        if referents:
            kinds = [entity.kind for name in referents if (entity := self._entity(name))]
            self.dialogue.last = LastRequest(call, referents, kinds)
        return Understanding(
            intent=Intent(call, source),
            response=result.speech,
            actions=tuple(result.outcomes),
            act_ms=act_ms,
            expects_answer=result.expects_answer,
        )

    def _referents(self, result: ToolResult) -> list[str]:
        """Names of the devices a result is about: those commanded, or those asked about."""
        ids = [outcome.entity_id for outcome in result.outcomes] or result.about
        registry = self.toolbox.devices.registry
        return [found.name for entity_id in ids if (found := registry.get(entity_id)) is not None]
