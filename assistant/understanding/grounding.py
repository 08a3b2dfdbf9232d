"""Is a model's proposed device action grounded in what was said?

A small model sometimes answers with a plausible call that has nothing to do with the request
("tell me a joke" → turn on the bedroom lamp). Before anything is actuated on the model's word,
the device or room it names must be mentioned, and the direction must not contradict the
words ("lights off" is never a turn_on); nor may the sentence negate, report, question, defer
or make conditional the request, or say things already are so. Only the clauses that ask are
read for that: "I'm off to bed, lock up the front door" is a request to lock. Ungrounded
proposals are dropped: the person hears that they were not understood instead of a lamp
switching for no reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.skill_host.call import ToolCall
from assistant.text import fold
from assistant.understanding.needs import says_a_need
from assistant.understanding.normalize import (
    CONDITIONS,
    DURATIONS,
    NOT_A_REQUEST,
    QUESTION_OPENERS,
)
from assistant.understanding.retrieval import KIND_WORDS, serves
from assistant.understanding.utterance import Utterance

# Words that name kinds of things rather than a particular device or room.
_GENERIC = {
    "light", "lights", "lamp", "lamps", "room", "the", "ceiling", "sensor", "plug", "fan",
    "blinds", "thermostat", "lock", "door", "temperature", "humidity", "reading",
}  # fmt: skip
_ALL = {"all", "every", "everything", "each"}
_OFF_WORDS = {"off", "out", "kill", "shut", "close", "lower", "stop"}
_ON_WORDS = {"on", "open", "raise", "dark", "start"}
# A lock is "on" when locked: opening a door unlocks it, closing it locks it.
_LOCK_ON = {"lock", "bolt", "close", "shut", "secure"}
_LOCK_OFF = {"unlock", "unbolt", "open"}
_ALREADY = {
    "HassTurnOn": re.compile(r"\b(?:is|are) (?:still |already |now )?(?:on|open|locked)\b"),
    "HassTurnOff": re.compile(r"\b(?:is|are) (?:still |already |now )?(?:off|closed|unlocked)\b"),
}
# Words that make a clause a request of its own rather than the scene it is asked in.
_ACTION_WORDS = _OFF_WORDS | _ON_WORDS | _LOCK_ON | _LOCK_OFF | {
    "turn", "switch", "put", "set", "make", "dim", "go", "bring", "get",
    "pull", "draw", "let", "give", "brighten", "need", "want",
}  # fmt: skip
# A sentence asks for something when it has a verb of action or a word of asking.
_ASKING = _ACTION_WORDS | {"please", "can", "could", "would", "will", "let", "lets"}
# A clause that opens with its subject states rather than asks ("the kettle takes ages to
# boil"); a request opens with its verb ("crank the fan up").
_SUBJECTS = {
    "the", "a", "an", "my", "our", "your", "his", "her", "their", "this", "that", "these",
    "those", "it", "its", "there", "i", "we", "you", "he", "she", "they",
}  # fmt: skip
_ACTUATING = {
    "HassTurnOn",
    "HassFanSetSpeed",
    "AdjustTemperature",
    "HassTurnOff",
    "HassLightSet",
    "HassSetPosition",
    "HassClimateSetTemperature",
}
# The kind of device a tool acts on when it takes no domain: with no device named, each of these
# tools acts on the home's only device of that kind ("set the heating to 22").
_TOOL_KINDS = {
    "AdjustTemperature": "climate", "HassClimateSetTemperature": "climate",
    "HassFanSetSpeed": "fan", "HassLightSet": "light", "HassSetPosition": "cover",
}  # fmt: skip


def _mentioned(value: str, words: frozenset[str]) -> bool:
    if serves(value, words):
        return True  # "I fancy a cup of tea": the kettle plug, though nobody said "kettle"
    distinctive = [w for w in fold(value).split() if w not in _GENERIC]
    candidates = distinctive or fold(value).split()
    # A shared stem of 4+ letters tolerates transcription slips ("thermo stat", "kitchens").
    return any(w in words or any(len(w) >= 4 and s[:4] == w[:4] for s in words) for w in candidates)


def _kind_said(kind: str | None, words: frozenset[str]) -> bool:
    return bool(kind) and bool(words & KIND_WORDS.get(kind or "", frozenset()))


def grounded(
    call: ToolCall, utterance: Utterance, *, sole_of_kind: Mapping[str, str] | None = None,
    kind_of: Mapping[str, str] | None = None, here: str | None = None,
) -> bool:  # fmt: skip
    """`sole_of_kind` maps each device that is the only one of its kind in the home to that
    kind: "turn on the fan" may mean the one fan, though its name was not said. `kind_of` maps
    every device to its kind, for the words that mean opposite things for a lock. `here` is the
    room the request was heard in, which a request need not say ("it's too dark in here")."""
    tool, arguments, words = call.tool, call.arguments, utterance.words
    sole = sole_of_kind or {}
    name, area = arguments.get("name"), arguments.get("area")
    if name and not (_mentioned(str(name), words) or _kind_said(sole.get(str(name)), words)):
        return False  # a device the person never mentioned
    area_said = bool(area) and _mentioned(str(area), words)
    if area and not area_said and area != here:
        return False  # a room the person never mentioned, and not the one they are in
    if tool not in _ACTUATING:
        return True
    if not (name or area_said):
        # Only "all the lights", "every fan": a whole kind, said as such; that kind in the
        # room it was said in; or the home's one device of the kind that was said ("turn the
        # heating up a bit" with one thermostat).
        kind = str(arguments.get("domain") or _TOOL_KINDS.get(tool) or "")
        whole_kind, in_here = bool(words & _ALL), bool(area)  # an area unsaid is `here`
        if not ((whole_kind or in_here or kind in sole.values()) and _kind_said(kind, words)):
            return False
    if _states(utterance) and not says_a_need(utterance):
        return False  # "the curtains in the lounge are new" asks for nothing
    return _asks_now(call, utterance, kind_of=kind_of)


def _asks_now(
    call: ToolCall, utterance: Utterance, *, kind_of: Mapping[str, str] | None = None
) -> bool:
    """Whether the sentence asks for the call now and in its direction: it does not negate,
    report, question, defer or make it conditional, nor say things already are so."""
    tool, arguments = call.tool, call.arguments
    name, area = arguments.get("name"), arguments.get("area")
    plain = utterance.normalized.split()
    if _requesting(utterance) & NOT_A_REQUEST or (plain and plain[0] in QUESTION_OPENERS):
        return False
    if utterance.words & CONDITIONS:  # "if it gets dark, …": not now
        return False
    if _already(tool, utterance):
        return False
    said = _direction_words(str(name or area or ""), utterance)
    device_kind = (kind_of or {}).get(str(name)) if name else arguments.get("domain")
    on, off = (_LOCK_ON, _LOCK_OFF) if device_kind == "lock" else (_ON_WORDS, _OFF_WORDS)
    if tool == "HassTurnOn" and said & off and not said & on:
        return False
    return not (tool == "HassTurnOff" and said & on and not said & off)


def _states(utterance: Utterance) -> bool:
    """Whether every clause states something and none asks."""
    clauses = [clause.split() for clause in utterance.clauses]
    return all(
        words and words[0] in _SUBJECTS and not _ASKING.intersection(words) for words in clauses
    )


def _already(tool: str, utterance: Utterance) -> bool:
    """Whether the sentence says things already are as the call would make them: "the porch
    light is on" states, it does not ask to switch it on ("make sure it is on" still asks)."""
    state = _ALREADY.get(tool)
    if state is None or utterance.words & {"sure", "ensure"}:
        return False
    return state.search(utterance.normalized) is not None


def durations_taken(calls: Sequence[ToolCall], utterance: Utterance) -> bool:
    """Whether every duration said is some call's argument: "turn off the light in 5 minutes"
    is no "turn off the light" now, while "… and set a timer for 5 minutes" takes its minutes."""
    said = {word.rstrip("s") for word in utterance.words & DURATIONS}
    return not said - {name.rstrip("s") for call in calls for name in call.arguments}


def _clause_words(utterance: Utterance) -> list[frozenset[str]]:
    return [frozenset(clause.split()) for clause in utterance.clauses]


def _requesting(utterance: Utterance) -> frozenset[str]:
    """The words of the clauses that ask for something: "no one's in the living room any more,
    the fan can go off" is not negated, since "no" is in a clause that only sets the scene.
    Every clause, when none has a verb of action."""
    acting = [words for words in _clause_words(utterance) if words & _ACTION_WORDS]
    return frozenset().union(*acting) if acting else utterance.words


def _direction_words(target: str, utterance: Utterance) -> frozenset[str]:
    """The words that say which way a target goes: those of the one clause that names it and
    has a verb of its own ("I'm off to bed, lock up the front door" is no turn-off); otherwise
    the whole sentence's, since a verb is shared ("switch off the lamp, and the fan")."""
    naming = [w for w in _clause_words(utterance) if target and _mentioned(target, w)]
    if len(naming) == 1 and naming[0] & _ACTION_WORDS:
        return naming[0]
    return utterance.words
