"""The rules: every tool's example templates, compiled against the live home.

Device names and aliases (and the parts of them people say: "the reading lamp", "the front
door"), areas, the allowed values of a parameter (`Literal`), numbers and free text become
slot patterns. The compiled set is rebuilt when devices are added, changed or removed (not on
state changes), so a newly paired lamp is understood at once.

Matching goes from strict to lenient and stops at the first level that finds something:
1. a template fits the whole utterance, or one of its clauses ("Thanks. Now switch it off");
2. the same after mending slips toward known words ("tern on the bed room lamp");
3. a template fits a run of words inside a clause, the words around it ignored ("I'm off to
   bed, lock up the front door"), unless those words negate or report it ("don't turn on the
   light", "I turned the lamp off earlier") or make it a question.
Each level has a lower confidence than the one before.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Literal

from assistant.devices.registry import Change, Entity
from assistant.skill_host.call import ToolCall
from assistant.skill_host.device_gate import DeviceGate
from assistant.skill_host.loader import Tool
from assistant.skill_host.schema import ParameterInfo
from assistant.skills.parameters import Areas, Entities
from assistant.text import fold
from assistant.understanding.normalize import (
    CONDITIONS,
    DURATIONS,
    NOT_A_REQUEST,
    QUESTION_OPENERS,
    normalize_utterance,
)
from assistant.understanding.repair import Vocabulary
from assistant.understanding.slot_types import allowed_values, is_number
from assistant.understanding.templates import (
    CompiledTemplate,
    SlotPattern,
    TemplateSyntaxError,
    compile_template,
)
from assistant.understanding.utterance import Utterance

log = logging.getLogger(__name__)

_NUMBER = r"\d+(?:\.\d+)?"
_MAX_PARTIAL_NAME_WORDS = 6
# Words that cannot on their own pick out a device from its name.
_NOT_DISTINCTIVE = {"the", "of", "and", "room", "s"}
_DEFERRING = CONDITIONS | DURATIONS
# Words left out around a contained match that change what it means: a negation, a report of
# the past, a condition. "If the light is on, turn it off" is not "turn it off".
_BLOCKERS = NOT_A_REQUEST | _DEFERRING | {"should", "myself", "after", "before"}
# Words that join a second request on ("… and the fan", "… then lock the door").
JOINERS = frozenset({"and", "then", "also", "plus"})
_MIN_SPAN_WORDS = 3
# Words too common to tie a sentence to a tool.
_COMMON_WORDS = {
    "a", "an", "the", "my", "me", "i", "you", "it", "is", "are", "to", "for", "of", "in", "on",
    "at", "and", "or", "what", "how", "do", "can", "please", "this", "that", "with",
}  # fmt: skip
_KIND_WORDS = {
    "light": ("lamps",),
    "switch": ("plug", "plugs", "socket", "sockets", "outlet", "outlets"),
    "cover": ("blind", "blinds", "shade", "shades", "curtain", "curtains", "shutter", "shutters"),
    "climate": ("heating", "heater", "thermostat", "thermostats"),
    "binary_sensor": ("sensor", "sensors"),
}
_CONFIDENCE = {"whole": 1.0, "repaired": 0.85, "contained": 0.7}


@dataclass(frozen=True)
class RuleMatch:
    call: ToolCall
    template: str
    """The example template that matched."""
    confidence: float
    """1.0 for the whole utterance, lower for a mended one or a run of words inside it."""


Compiled = list[tuple[Tool, CompiledTemplate, dict[str, SlotPattern]]]


def _partial_phrases(words: list[str]) -> list[str]:
    """Every in-order selection of a name's words, shortest first, the name itself excluded:
    "bedroom reading lamp" → "bedroom", "reading", "lamp", "bedroom reading", …"""
    words = words[:_MAX_PARTIAL_NAME_WORDS]
    phrases = []
    for mask in range(1, (1 << len(words)) - 1):
        phrases.append(" ".join(w for i, w in enumerate(words) if mask >> i & 1))
    return sorted(phrases, key=len)


class RuleMatcher:
    def __init__(self, tools: dict[str, Tool], devices: DeviceGate) -> None:
        self.tools = tools
        self.devices = devices
        self._compiled: Compiled | None = None
        self._templates: dict[tuple[str, str], CompiledTemplate | None] = {}
        self._vocabulary = Vocabulary(())
        self._tool_words: dict[str, set[str]] = {}
        """Per tool: the words of its templates and of the values its slots take."""
        self._names = SlotPattern(values={})
        self._areas = SlotPattern(values={})
        self._room_words: set[str] = set()
        """The words of this home's rooms: a run of words that leaves one out is not the
        request ("I'm done in the kitchen" is no "I'm done")."""
        self.compile_ms = 0.0
        devices.registry.subscribe_changes(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.kind != "state":
            self._compiled = None

    def _entity_pattern(self, kinds: tuple[str, ...]) -> SlotPattern:
        """Whole names and aliases, then the parts of them that are said alone ("the lamp").
        A part that fits one device stands for that device; a part that fits several is kept
        as said, and the skill asks which one was meant."""
        entities = self.devices.entities(kinds)
        values = {spoken: entity.name for entity in entities for spoken in _said(entity)}
        area_words = {word for area in self.devices.areas() for word in fold(area).split()}
        owners: dict[str, set[str]] = {}
        for entity in entities:
            for spoken in _said(entity):
                for phrase in _partial_phrases(spoken.split()):
                    if set(phrase.split()) <= area_words | _NOT_DISTINCTIVE:
                        continue  # "living room" alone is the room, not its plug
                    owners.setdefault(phrase, set()).add(entity.name)
        partial = set()
        for phrase, names in owners.items():
            if phrase not in values:
                values[phrase] = next(iter(names)) if len(names) == 1 else phrase
                partial.add(phrase)
        return SlotPattern(values=values, partial=frozenset(partial), looked_up=True)

    def _area_pattern(self) -> SlotPattern:
        areas = {fold(area): area for area in self.devices.areas()}
        return SlotPattern(values=areas, looked_up=True)

    def slot_pattern(self, info: ParameterInfo) -> SlotPattern:
        marker = info.home_choice
        if isinstance(marker, Entities):
            return self._entity_pattern(marker.kinds)
        if isinstance(marker, Areas):
            return self._area_pattern()
        allowed = allowed_values(info.annotation)
        if allowed is not None:
            values = {fold(value): value for value in allowed}
            values |= {
                f"{spoken}s": value for spoken, value in values.items() if not spoken.endswith("s")
            }
            # A parameter whose values are kinds of device also takes the words people use
            # for them: "blinds" for cover, "plugs" for switch, "heating" for climate.
            values |= {word: kind for kind in allowed for word in _KIND_WORDS.get(kind, ())}
            return SlotPattern(values=values)
        if is_number(info.annotation):
            return SlotPattern(pattern=_NUMBER)
        return SlotPattern()

    def compiled(self) -> Compiled:
        """Every template with this home's slot values. The regular expressions do not depend
        on the home (names and areas are looked up after matching), so a device change only
        rebuilds the value lists; templates are compiled once."""
        if self._compiled is None:
            started = time.perf_counter()
            compiled: Compiled = []
            known: set[str] = set()
            tool_words: dict[str, set[str]] = {}
            by_kinds: dict[tuple[str, ...], SlotPattern] = {}
            for tool in self.tools.values():
                patterns = {}
                for info in tool.parameters:
                    if isinstance(info.home_choice, Entities):
                        kinds = info.home_choice.kinds  # one list per kinds, shared by tools
                        if kinds not in by_kinds:
                            by_kinds[kinds] = self.slot_pattern(info)
                        patterns[info.name] = by_kinds[kinds]
                    else:
                        patterns[info.name] = self.slot_pattern(info)
                words = tool_words.setdefault(tool.name, set())
                for pattern in patterns.values():
                    words.update(word for phrase in pattern.values or () for word in phrase.split())
                for template in tool.info.examples:
                    key = (tool.name, template)
                    if key not in self._templates:
                        try:
                            self._templates[key] = compile_template(template, patterns.get)
                        except TemplateSyntaxError as error:
                            log.error("tool %s: skipping example: %s", tool.name, error)
                            self._templates[key] = None
                    if (regex := self._templates[key]) is not None:
                        compiled.append((tool, regex, patterns))
                        words.update(regex.words)
                known.update(words)
            self._compiled = compiled
            self._tool_words = tool_words
            self._vocabulary = Vocabulary(known)
            self._names = self._entity_pattern(())
            self._areas = self._area_pattern()
            self._room_words = {
                word for area in self._areas.values or () for word in area.split()
            } - _NOT_DISTINCTIVE
            self.compile_ms = (time.perf_counter() - started) * 1000
        return self._compiled

    def match(self, utterance: Utterance) -> RuleMatch | None:
        """The best-fitting template at the strictest level where any fits (see the module
        docstring); within a level, the one that recognises the most, with whole device names
        above parts of names and known values above free text; ties go to the earlier example.
        A part of several names is narrowed by a room said elsewhere in the sentence.
        """
        found = self._match(utterance)
        if found is None:
            return None
        narrowed = self._in_room_said(found.call, utterance)
        return found if narrowed is None else RuleMatch(narrowed, found.template, found.confidence)

    def _in_room_said(self, call: ToolCall, utterance: Utterance) -> ToolCall | None:
        """ "The bathroom smells, get the fan on": of the fans, the one in the room said."""
        name = call.arguments.get("name")
        if name is None or "area" in call.arguments or name not in (self._names.partial or ()):
            return None
        spoken = f" {utterance.normalized} "
        rooms = [room for said, room in (self._areas.values or {}).items() if f" {said} " in spoken]
        if len(rooms) != 1:
            return None
        there = [e for e in self.devices.find(name=name) if e.area == rooms[0]]
        if len(there) != 1:
            return None
        return ToolCall(call.tool, {**call.arguments, "name": there[0].name})

    def _match(self, utterance: Utterance) -> RuleMatch | None:
        compiled = self.compiled()
        whole = utterance.normalized
        clauses = [part for part in utterance.clauses if part != whole]
        # A clause is read alone only when no other clause defers it ("if it gets dark, …").
        parts = [
            part for part in clauses
            if not any(_DEFERRING.intersection(other.split()) for other in clauses if other != part)
        ]  # fmt: skip
        found = self._best(compiled, [whole], contained=False) or self._best(
            compiled, parts, contained=False
        )
        if found is not None:
            return self._result(found, "whole")
        mended = {reading: self._vocabulary.repair(reading) for reading in [whole, *parts]}
        fixed_whole, count = mended[whole]
        fixed_parts = [fixed for part in parts for fixed, n in [mended[part]] if n]
        found = (self._best(compiled, [fixed_whole], contained=False) if count else None) or (
            self._best(compiled, fixed_parts, contained=False)
        )
        if found is not None:
            return self._result(found, "repaired")
        # Inside clauses only: words from another clause are never the ones that change this one.
        readings = []
        for part in parts or [whole]:
            fixed, n = mended[part]
            readings += [part, fixed] if n else [part]
        found = self._best(compiled, readings, contained=True)
        return self._result(found, "contained") if found is not None else None

    def target(self, phrase: str) -> tuple[Literal["name", "area"], str] | None:
        """What a bare phrase names in this home: ("area", "Bedroom"), ("name", "Bedroom lamp"),
        or ("name", "lamp") for a part of several names; None when it names nothing."""
        self.compiled()
        spoken = re.sub(r"^(?:the|my|a) ", "", normalize_utterance(phrase))
        for reading in dict.fromkeys([spoken, self._vocabulary.repair(spoken)[0]]):
            if self._areas.values and reading in self._areas.values:
                return "area", self._areas.values[reading]
            if self._names.values and reading in self._names.values:
                return "name", self._names.values[reading]
        return None

    def shares_words_with(self, tool: str, utterance: Utterance) -> bool:
        """Whether the text uses any word of the tool's own sentences or of the names it takes,
        beyond the most common words: "order a pizza" has nothing in common with "cancel the
        timer"."""
        self.compiled()
        spoken = utterance.words - _COMMON_WORDS
        return bool(spoken & self._tool_words.get(tool, set()))

    def names_in(self, utterance: Utterance) -> set[str]:
        """The devices whose whole name (or alias) is said somewhere in the text."""
        self.compiled()
        spoken = f" {utterance.normalized} "
        whole = (self._names.values or {}).items()
        return {name for phrase, name in whole
                if phrase not in self._names.partial and f" {phrase} " in spoken}  # fmt: skip

    def _of_fitting_kind(
        self, arguments: dict[str, str], template: CompiledTemplate
    ) -> dict[str, str] | None:
        """The call's arguments, or None when the template does not fit the device. Beside a
        device's name, a kind the template fixes is a requirement, not an argument: "open [the]
        {name}{domain=cover}" fits blinds, never a lock ("open the front door lock" is no
        locking). The name says the kind, so the call carries the name alone."""
        kind = template.fixed.get("domain")
        if kind is None or "name" not in arguments:
            return arguments
        found = self.devices.find(name=arguments["name"])
        if not found or any(entity.kind != kind for entity in found):
            return None
        return {slot: value for slot, value in arguments.items() if slot != "domain"}

    @staticmethod
    def _result(found: tuple[tuple[float, ...], RuleMatch], level: str) -> RuleMatch:
        match = found[1]
        skipped = -found[0][2] if level == "contained" else 0
        confidence = max(0.5, _CONFIDENCE[level] - 0.02 * skipped)
        return RuleMatch(match.call, match.template, round(confidence, 2))

    def _best(
        self, compiled: Compiled, readings: list[str], *, contained: bool
    ) -> tuple[tuple[float, ...], RuleMatch] | None:
        best: tuple[tuple[float, ...], RuleMatch] | None = None
        # A later clause wins over an earlier one: people set the scene first and ask last
        # ("it's too warm in here, bring it down to eighteen").
        for position, reading in enumerate(readings):
            spans = _spans(reading, self._room_words) if contained else [(reading, 0)]
            for span, skipped in spans:
                for tool, template, patterns in compiled:
                    found = template.match_spoken(span, patterns)
                    if found is None:
                        continue
                    fitting, spoken = found
                    arguments = self._of_fitting_kind(fitting, template)
                    if arguments is None:
                        continue
                    score = (position, _score(tool, arguments, spoken, patterns), -skipped)
                    if best is None or score > best[0]:
                        call = ToolCall(tool.name, arguments)
                        best = (score, RuleMatch(call, template.template, 1.0))
        return best


def _spans(reading: str, room_words: set[str]) -> list[tuple[str, int]]:
    """Runs of three or more words inside a clause, with how many words each leaves out; runs
    whose left-out words negate, report or condition them, or name one of the home's rooms
    (`room_words`), are not offered. Two words are too little to stand for the clause: "help
    me" is not "help me with my homework". A question keeps
    its opening word: only words after it may be left out ("is the nursery warm enough for
    the baby"), never the question itself ("is it ok to turn on the light")."""
    words = reading.split()
    last_start = 0 if words and words[0] in QUESTION_OPENERS else len(words)
    spans = []
    for start in range(last_start + 1):
        if _BLOCKERS.intersection(words[:start]):
            break  # every later start leaves this blocker out too
        for end in range(len(words), start + _MIN_SPAN_WORDS - 1, -1):
            if (start, end) == (0, len(words)) or _BLOCKERS.intersection(words[end:]):
                continue
            if room_words.intersection(words[:start] + words[end:]):
                continue
            if len(words) - end >= _MIN_SPAN_WORDS - 1 and words[end] in JOINERS:
                continue  # "… and the living room fan": a second request, the model's to read
            if start >= _MIN_SPAN_WORDS - 1 and words[start - 1] in JOINERS:
                continue  # "close the drapes and …": likewise
            spans.append((" ".join(words[start:end]), len(words) - (end - start)))
    return spans


def _score(
    tool: Tool, arguments: dict[str, str], spoken: dict[str, str],
    patterns: dict[str, SlotPattern],
) -> float:  # fmt: skip
    """Recognised arguments count 1 each; a device's whole name counts 2, because it says which
    device and what kind at once ("the living room blinds" as a name beats area "living room"
    + kind "blinds"), a part of a name 1.5; free text counts against, by its length."""
    score = 0.0
    for slot, value in arguments.items():
        pattern = patterns.get(slot)
        if pattern is None:
            score += 1  # a fixed argument the template supplies
        elif pattern.is_free_text:
            score -= len(value) / 100
        elif any(isinstance(i.home_choice, Entities) and i.name == slot for i in tool.parameters):
            score += 1.5 if spoken.get(slot) in pattern.partial else 2
        else:
            score += 1
    return score


def _said(entity: Entity) -> list[str]:
    """The names people say: not the entity id a look-alike is also found by (`choice_name`)."""
    entity_id = fold(entity.entity_id)
    return [name for name in entity.match_names if name != entity_id]
