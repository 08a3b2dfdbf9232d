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
from typing import Any

from assistant.brain.normalize import PRONOUN, normalize_utterance
from assistant.devices.names import normalize_name

FOLLOW_UP_SECONDS = 120.0
CLARIFICATION_SECONDS = 30.0

_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}
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


@dataclass
class Clarification:
    """A "which one?" question: the call that was ambiguous, and the choices offered."""

    tool: str
    arguments: dict[str, Any]
    candidates: list[dict[str, Any]]
    expires_monotonic: float

    def pick(self, text: str) -> list[dict[str, Any]]:
        """The candidates the answer names: by their words, their room, their position ("the
        second one"), or all of them ("both"). Empty when the answer names none of them."""
        plain = normalize_name(text)  # not normalize_utterance: "the kitchen one" is no number
        if _ALL.match(plain):
            return list(self.candidates)
        words = set(plain.split()) - _FILLER
        for word, index in _ORDINALS.items():
            if word in words and -len(self.candidates) <= index < len(self.candidates):
                return [self.candidates[index]]
        if not words:
            return []

        def described(candidate: dict[str, Any]) -> set[str]:
            return set(
                normalize_name(
                    f"{candidate.get('label', '')} {candidate.get('area') or ''}"
                ).split()
            )

        labelled = [
            c
            for c in self.candidates
            if set(normalize_name(str(c.get("label", ""))).split()) == words
        ]
        if labelled:
            return labelled[
                :1
            ]  # "the bedroom lamp", though its words are in "bedroom reading lamp"
        fitting = [candidate for candidate in self.candidates if words <= described(candidate)]
        return fitting if len(fitting) == 1 else []


@dataclass
class LastRequest:
    """The last request that was understood, and what it was about."""

    tool: str
    arguments: dict[str, Any]
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

    def ask(self, tool: str, arguments: dict[str, Any], candidates: list[dict[str, Any]]) -> None:
        expires = time.monotonic() + CLARIFICATION_SECONDS
        self.clarification = Clarification(tool, dict(arguments), candidates, expires)

    def with_referent(self, text: str) -> str | None:
        """ "turn it off" → "turn the kitchen ceiling light off": *it* replaced by the last
        device's name; None when there is nothing to refer to."""
        last = self.recent()
        plain = normalize_utterance(text)
        if last is None or len(last.referents) != 1 or not PRONOUN.search(plain):
            return None
        return PRONOUN.sub(f"the {normalize_name(last.referents[0])}", plain, count=1)

    def carried_over(self, text: str) -> str | None:
        """The new place or device of "and the bedroom too", "what about the hallway"."""
        if self.recent() is None:
            return None
        found = _CARRY_OVER.match(normalize_utterance(text))
        if found is None:
            return None
        return found.group("target") or found.group("target2")

    def step(self, text: str) -> tuple[str, float] | None:
        """ "a bit warmer" → ("temperature", +1.0): which setting, and by how much."""
        found = _STEP.match(normalize_utterance(text))
        return _STEPS[found.group("word")] if found else None
