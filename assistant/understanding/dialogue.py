"""A short memory of the conversation, for what people say next without repeating themselves.

- "Which one do you mean?" is answered by a part of a name, a room, a position or "both".
- "Turn it off", "make it 60 percent", "lock it": *it* is what the last request was about.
- "And the bedroom too", "what about the hallway": the last request again, somewhere else.
- "A bit warmer", "brighter": the last device, one step further.

The memory lasts `FOLLOW_UP_SECONDS`; after that "turn it off" is not understood rather than
applied to something from long ago.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from assistant.skill_host.call import ToolCall
from assistant.skills.result import Choice
from assistant.text import fold
from assistant.understanding.normalize import PRONOUN
from assistant.understanding.utterance import Utterance

FOLLOW_UP_SECONDS = 120.0
CLARIFICATION_SECONDS = 30.0

_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4, "last": -1,
}  # fmt: skip
# Words in an answer to "which one?" that do not help pick.
_FILLER = {
    "the", "one", "ones", "a", "an", "my", "please", "that", "this", "in", "on", "at", "of",
    "i", "mean", "meant", "want", "it", "is", "thing", "device", "yes", "no",
}  # fmt: skip
_ALL = re.compile(r"^(?:both|all|each|every one)(?: of (?:them|those|the \w+))?(?: please)?$")
_CARRY_OVER = re.compile(
    r"^(?:(?:and|also|what about|how about|same for|same in|now|then)\b ?)+"
    r"(?:(?:in|for|with) )?(?:the )?(?P<target>.+?)(?: (?:too|as well|also))?$"
    r"|^(?:(?:in|for) )?(?:the )?(?P<target2>.+?) (?:too|as well|also)$"
)
_STEPS = {
    "warmer": ("temperature", 1.0), "hotter": ("temperature", 1.0),
    "cooler": ("temperature", -1.0), "colder": ("temperature", -1.0),
    "brighter": ("brightness", 20.0), "dimmer": ("brightness", -20.0),
    "darker": ("brightness", -20.0),
}  # fmt: skip
_STEP = re.compile(
    r"^(?:(?:make it|turn it|a|just|slightly|much|way|little|bit|lot) )*(?P<word>"
    + "|".join(_STEPS)
    + r")(?: (?:please|still))?$"
)


@dataclass(frozen=True)
class Clarification:
    """A "which one?" question: the call that was ambiguous, and the choices offered."""

    call: ToolCall
    choices: tuple[Choice, ...]
    expires_monotonic: float

    def pick(self, answer: Utterance) -> list[Choice]:
        """The choices the answer names: by their words, their room, their position ("the
        second one"), or all of them ("both"). Empty when the answer names none of them."""
        plain = answer.plain  # not the normalised words: "the kitchen one" is no number
        if _ALL.match(plain):
            return list(self.choices)
        words = set(plain.split()) - _FILLER
        for word, index in _ORDINALS.items():
            if word in words and -len(self.choices) <= index < len(self.choices):
                return [self.choices[index]]
        if not words:
            return []
        # "the bedroom lamp", though its words are also in "bedroom reading lamp"
        labelled = [c for c in self.choices if set(fold(c.label).split()) == words]
        if labelled:
            return labelled[:1]
        fitting = [
            c for c in self.choices if words <= set(fold(f"{c.label} {c.area or ''}").split())
        ]
        return fitting if len(fitting) == 1 else []

    def calls(self, chosen: list[Choice]) -> list[ToolCall]:
        """The ambiguous call once per choice, with the choice's arguments added."""
        return [
            ToolCall(self.call.tool, {**self.call.arguments, **choice.arguments})
            for choice in chosen
        ]


@dataclass
class LastRequest:
    """The last request that was understood, and what it was about."""

    call: ToolCall
    referents: list[str]
    """Names of the devices it acted on or asked about."""
    kinds: list[str]
    at_monotonic: float = field(default_factory=time.monotonic)


@dataclass
class Dialogue:
    last: LastRequest | None = None
    clarification: Clarification | None = None

    def reset(self) -> None:
        self.last = None
        self.clarification = None

    def recent(self) -> LastRequest | None:
        if self.last is None or time.monotonic() - self.last.at_monotonic > FOLLOW_UP_SECONDS:
            return None
        return self.last

    def take_clarification(self) -> Clarification | None:
        """The open "which one?" question, if still fresh; it is asked once only."""
        clarification, self.clarification = self.clarification, None
        if clarification is None or time.monotonic() > clarification.expires_monotonic:
            return None
        return clarification

    def ask(self, call: ToolCall, choices: list[Choice]) -> None:
        expires = time.monotonic() + CLARIFICATION_SECONDS
        self.clarification = Clarification(call, tuple(choices), expires)

    def with_referent(self, utterance: Utterance) -> Utterance | None:
        """ "turn it off" → "turn the kitchen ceiling light off": *it* replaced by the last
        device's name; None when there is nothing to refer to."""
        last = self.recent()
        said = utterance.normalized
        if last is None or len(last.referents) != 1 or not PRONOUN.search(said):
            return None
        return Utterance.of(PRONOUN.sub(f"the {fold(last.referents[0])}", said, count=1))

    def carried_over(self, utterance: Utterance) -> str | None:
        """The new place or device of "and the bedroom too", "what about the hallway"."""
        if self.recent() is None:
            return None
        found = _CARRY_OVER.match(utterance.normalized)
        if found is None:
            return None
        return found.group("target") or found.group("target2")

    def step(self, utterance: Utterance) -> tuple[str, float] | None:
        """ "a bit warmer" → ("temperature", +1.0): which setting, and by how much."""
        found = _STEP.match(utterance.normalized)
        return _STEPS[found.group("word")] if found else None
