"""Several requests in one sentence, read by the rules: "turn off the kitchen light and the
fan", "lock the front door, then close the blinds".

Each part must be a whole request a template fits, or only a device or room that takes the
verb of the part before it ("… and the fan"). One part the rules cannot read in full, and the
sentence is not theirs: the model reads it, or nobody does. So "turn on the light and the fan
in five minutes" is never two switchings now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from assistant.skill_host.call import ToolCall
from assistant.understanding.rules import JOINERS
from assistant.understanding.utterance import Utterance


@dataclass(frozen=True)
class Part:
    text: str
    joined: bool
    """Said after "and", "then", … rather than only after a pause ("the fan, the lamp")."""


def parts(utterance: Utterance) -> list[Part]:
    """The pieces between joining words and pauses, in the order said."""
    found: list[Part] = []
    for clause in utterance.clauses:
        joined, words = False, []
        for word in [*clause.split(), "and"]:
            if word not in JOINERS:
                words.append(word)
                continue
            if words:
                found.append(Part(" ".join(words), joined))
            joined, words = True, []
    return found


_PARTICLES = frozenset({"on", "off", "up", "down"})


def sharing_the_particle(pieces: list[Part]) -> list[Part]:
    """ "turn the kitchen light and the fan off": the particle said last belongs to the first
    verb too, when that verb has none of its own."""
    first, last = pieces[0], pieces[-1].text.split()
    if len(pieces) < 2 or last[-1] not in _PARTICLES or _PARTICLES & set(first.text.split()):
        return pieces
    return [Part(f"{first.text} {last[-1]}", first.joined), *pieces[1:]]


def retarget(
    call: ToolCall, slot: Literal["name", "area"], value: str, parameters: Iterable[str],
    kinds: list[str],
) -> ToolCall | None:  # fmt: skip
    """The same request for another device or room: "… and the fan", "and the bedroom too".
    A room keeps the kind of the devices before ("the kitchen light … and the bedroom")."""
    taken = set(parameters)
    if slot not in taken:
        return None
    dropped = ("name", "area", "domain") if slot == "name" else ("name", "area")
    arguments = {k: v for k, v in call.arguments.items() if k not in dropped} | {slot: value}
    if slot == "area" and "domain" in taken and "domain" not in arguments and len(set(kinds)) == 1:
        arguments["domain"] = kinds[0]
    return ToolCall(call.tool, arguments)
