"""Answers to a confirmation question: a plain yes (with the PIN when one is set), a no, or a
new request that happens to start with "yes"."""

from __future__ import annotations

import re
from typing import Literal

from assistant.understanding.utterance import Utterance

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
