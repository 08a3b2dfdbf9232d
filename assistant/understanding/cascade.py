"""The understanding cascade, in order: a question waiting for its answer, the rules (several
requests in one sentence too), a follow-up to the last request, and the language model last.

A high-risk action waits for the person's answer; "yes" (with the PIN when one is set) carries
it out, "no" drops it, and any other request drops it too, so a stale question can never be
answered by accident later. "Which one?" is answered by naming one, or "both". Replies are the
tools' own words, built from confirmed outcomes.

Each place keeps its own conversation (its question waiting, its last request), so two rooms
talking at once never answer or continue each other; and a request heard in a room is for that
room unless it says otherwise (`here`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, replace

from assistant.devices.registry import Entity
from assistant.errors import BrokerUnavailable
from assistant.skill_host.call import ToolCall
from assistant.skill_host.safety import needs_care
from assistant.skill_host.toolbox import Toolbox
from assistant.skills.request import Place, Request
from assistant.skills.result import ToolResult
from assistant.understanding.answers import after_the_yes, classify_answer
from assistant.understanding.compound import Part, parts, retarget, sharing_the_particle
from assistant.understanding.dialogue import Dialogue, LastRequest
from assistant.understanding.grounding import durations_taken, grounded
from assistant.understanding.here import Here
from assistant.understanding.model_stage import ModelStage
from assistant.understanding.result import Intent, IntentSource, Understanding
from assistant.understanding.rules import JOINERS, RuleMatcher
from assistant.understanding.utterance import Utterance

log = logging.getLogger(__name__)

NOT_UNDERSTOOD = "Sorry, I didn't understand that."
# Never acted on at a short pause: the words after it may matter ("I've fallen … in the
# bathroom"), or may extend the request ("set a timer for five minutes … and thirty seconds").
_WAITS_FOR_THE_END = {"CallForAssistance", "HassStartTimer"}
# Asking how a device is changes nothing, so it may be answered early even about a lock.
_ONLY_READS = {"HassGetState", "HassClimateGetTemperature"}
# A skill's answer when no device fits: with the broker unreachable, none can.
_NO_SUCH_DEVICE = {"not-found", "missing-target"}


@dataclass(frozen=True)
class _Heard:
    """One request under way: what was said, at which place, and that place's conversation."""

    utterance: Utterance
    turn_id: str
    place: Place | None
    here: Here
    talk: Dialogue
    words: str
    """As said in full (a "yes, …" included): what a skill reads as the request's words."""

    @property
    def request(self) -> Request:
        return Request(self.words, self.place)

    def saying(self, utterance: Utterance) -> _Heard:
        return replace(self, utterance=utterance, here=replace(self.here, utterance=utterance))


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
        self._dialogues: dict[Place | None, Dialogue] = {}
        """Each place's conversation; as many as the home has satellites (None: no place)."""
        self.model_answers = 0
        """Requests the model answered with calls or "none" (for `assistant eval`)."""
        self.model_vetoes = 0
        """Of those, the ones whose calls the grounding checks refused."""

    def dialogue_at(self, place: Place | None) -> Dialogue:
        return self._dialogues.setdefault(place, Dialogue())

    @property
    def dialogue(self) -> Dialogue:
        """The conversation of requests from no place (typed text, files)."""
        return self.dialogue_at(None)

    def asking_at(self, place: Place | None) -> bool:
        """A question asked at `place` is waiting for its answer: a confirmation, or "which
        one?"."""
        waiting = self.toolbox.pending_at(place)
        return waiting is not None or self.dialogue_at(place).clarification is not None

    @property
    def asking(self) -> bool:
        """A question is waiting for its answer from no place (typed text, files)."""
        return self.asking_at(None)

    def reset(self) -> None:
        """Forget every conversation: no question waiting, no last request, anywhere."""
        self._dialogues.clear()
        self.toolbox.drop_every_pending()

    def _heard(self, utterance: Utterance, turn_id: str, place: Place | None) -> _Heard:
        room = place.room if place else None
        here = Here.at(room, utterance, self.toolbox.devices, self.toolbox.tools)
        talk = self.dialogue_at(place)
        return _Heard(utterance, turn_id, place, here, talk, utterance.text)

    def settled(self, utterance: Utterance, *, place: Place | None = None) -> bool:
        """Whether the request heard so far may be acted on at a short pause (see
        `pipeline.listen`): nothing waits for an answer, the rules read the whole sentence as
        one request, nothing in it asks for more ("… and the fan"), and it changes no device
        that needs care (locks, alarms, garage doors, a switch that drives one: `needs_care`)."""
        if not self.use_rules or self.asking_at(place) or utterance.words & JOINERS:
            return False
        match = self.rules.match(utterance)
        if match is None or match.confidence < 1.0 or match.call.tool in _WAITS_FOR_THE_END:
            return False
        arguments = self._heard(utterance, "", place).here.place(match.call).arguments
        name, area, domain = arguments.get("name"), arguments.get("area"), arguments.get("domain")
        if name is None and area is None:
            return domain is None  # the clock, a timer's status; "all the lights" waits
        targets = self.toolbox.devices.find(
            name=name, area=area, kinds=(domain,) if isinstance(domain, str) else ()
        )
        if match.call.tool in _ONLY_READS:
            return bool(targets)
        return bool(targets) and not any(needs_care(entity) for entity in targets)

    async def understand(
        self, utterance: Utterance, *, turn_id: str, place: Place | None = None
    ) -> Understanding:
        """Understand and act on what was said at `place` (None: typed text, a file)."""
        heard = self._heard(utterance, turn_id, place)
        pending = self.toolbox.pending_at(place)
        if pending is not None:
            answer, pin = classify_answer(utterance)
            if answer is not None:
                result = await self.toolbox.answer(answer, pin=pin, turn_id=turn_id, place=place)
                return self._understood(pending.call, "dialogue", result, 0.0, heard)
            # A new request replaces an unanswered question, even one that starts with "yes".
            self.toolbox.drop_pending(turn_id=turn_id, place=place)
            heard = heard.saying(after_the_yes(utterance))
            utterance = heard.utterance
        clarification = heard.talk.take_clarification()
        if clarification is not None and (chosen := clarification.pick(utterance)):
            # The devices chosen, by name: wherever they are.
            return await self._carry_out(clarification.calls(chosen), "dialogue", heard)
        pieces = parts(utterance) if self.use_rules else []
        if len(pieces) > 1 and (calls := self._compound(pieces)):
            return await self._act(calls, "rules", heard)
        match = self.rules.match(utterance) if self.use_rules else None
        if match is not None and self.model is not None and utterance.words & JOINERS:
            # "close the drapes and put the lamp on": a rule reads one of the requests; the
            # model, which reads them all, answers if it finds more than one.
            several = await self._from_model(heard, at_least=2)
            if several is not None:
                return several
        if match is not None:
            return await self._act([match.call], "rules", heard)
        follow_up = self._follow_up(heard) if self.use_rules else None
        if follow_up is not None:
            return await self._carry_out([follow_up], "dialogue", heard)
        understood = await self._from_model(heard) if self.model else None
        if understood is None and self.toolbox.devices.unreachable:
            # Without the broker no device is known, so no device's name can be matched: say
            # why, rather than that the request made no sense.
            raise self._unreachable()
        return understood or Understanding(intent=None, response=NOT_UNDERSTOOD)

    def _unreachable(self) -> BrokerUnavailable:
        address = self.toolbox.devices.broker_address
        return BrokerUnavailable(f"cannot reach the MQTT broker at {address}")

    async def _from_model(self, heard: _Heard, *, at_least: int = 1) -> Understanding | None:
        """The model's calls, carried out if there are `at_least` and all are trusted."""
        assert self.model is not None
        utterance, here = heard.utterance, heard.here
        proposal = await self.model.propose(utterance, here=here.room)
        calls = tuple(here.place(call) for call in proposal.calls)
        self.model_answers += proposal.error is None
        if len(calls) < at_least:
            return None
        kind_of = {entity.name: entity.kind for entity in self.toolbox.devices.entities()}
        counts = Counter(kind_of.values())
        sole = {name: kind for name, kind in kind_of.items() if counts[kind] == 1}
        untrusted = [
            c
            for c in calls
            if not self._trusted(c, utterance, calls, sole, kind_of, here=here.room)
        ]
        if not durations_taken(calls, utterance):
            untrusted = list(calls)
        if untrusted:
            self.model_vetoes += 1
            log.info("the model's %s vetoed for %r", untrusted[0], utterance.text)
            return None
        return await self._carry_out(list(calls), "model", heard)

    def _trusted(
        self, call: ToolCall, utterance: Utterance, calls: tuple[ToolCall, ...],
        sole_of_kind: dict[str, str], kind_of: dict[str, str], *, here: str | None = None,
    ) -> bool:  # fmt: skip
        """Whether a call the model proposed is about what was said (in the room `here`)."""
        if not grounded(call, utterance, sole_of_kind=sole_of_kind, kind_of=kind_of, here=here):
            return False
        # The room it was heard in targets nothing: "order a pizza" is no request for it.
        area = call.arguments.get("area")
        targeted = call.arguments.get("name") or (area if area != here else None)
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

    def _follow_up(self, heard: _Heard) -> ToolCall | None:
        """The call a follow-up means: "turn it off", "and the bedroom too", "a bit warmer".
        *It* and a step are about the last device, wherever it is; the rest is placed."""
        utterance, talk, here = heard.utterance, heard.talk, heard.here
        rewritten = talk.with_referent(utterance)
        if rewritten is not None and (match := self.rules.match(rewritten)) is not None:
            return match.call
        last = talk.recent()
        step = talk.step(utterance)
        if step is not None:
            stepped = self._stepped(last, *step) if last is not None else None
            # "Make it warmer" about no thermostat before it: the room's own, where there is one.
            if stepped is None and step[0] == "temperature" and here.room:
                stepped = here.place(ToolCall("AdjustTemperature", {"change_degrees": step[1]}))
            return stepped
        if last is None:
            return None
        phrase = talk.carried_over(utterance)
        target = self.rules.target(phrase) if phrase else None
        if target is None:
            return None
        call = retarget(last.call, *target, self._parameters(last.call), last.kinds)
        return here.place(call) if call is not None else None

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
        self, calls: list[ToolCall], source: IntentSource, heard: _Heard
    ) -> Understanding:
        """Carry out the calls the words proposed, as meant where they were said."""
        return await self._carry_out([heard.here.place(call) for call in calls], source, heard)

    async def _carry_out(
        self, calls: list[ToolCall], source: IntentSource, heard: _Heard
    ) -> Understanding:
        """Carry the calls out, one after another ("both of them" makes two)."""
        started = time.perf_counter()
        turn_id, request = heard.turn_id, heard.request
        results = [await self.toolbox.call(c, turn_id=turn_id, request=request) for c in calls]
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
            heard.talk.ask(calls[0], result.choices)
        return self._understood(calls[0], source, result, elapsed_ms, heard)

    def _understood(
        self, call: ToolCall, source: IntentSource, result: ToolResult, act_ms: float,
        heard: _Heard,
    ) -> Understanding:  # fmt: skip
        referents = self._referents(result)
        if referents:
            kinds = [entity.kind for name in referents if (entity := self._entity(name))]
            heard.talk.last = LastRequest(call, referents, kinds)
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
