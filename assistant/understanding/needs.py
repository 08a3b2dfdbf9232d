"""The words of an indirect request: a feeling about a room ("it's freezing in the study"), a
wish ("I fancy a cuppa") or a complaint about a noisy fan. Said as a statement, such a sentence
still asks for something; a statement that says none of them ("the kettle takes ages to boil")
asks for nothing, and `grounding` vetoes any call made from it.

What a feeling calls for in a given home is the model's to judge (trained on
`assistant.training.indirect_requests`); a rule-based reader of the plain cases was measured
and dropped, since its fixed choices disagreed with people's more often than the model did.
"""

from __future__ import annotations

import re

from assistant.understanding.utterance import Utterance

# Said of a room, on the normalised text (contractions spelled out: "cannot", "it is").
_FEELINGS: dict[str, re.Pattern[str]] = {
    "dark": re.compile(
        r"\b(?:dark|darker|gloomy|pitch black|like a cave|cannot (?:see|read)"
        r"|can (?:hardly|barely) (?:see|read)|(?:need|needs|want) (?:more |some )?light)\b"
    ),
    "cold": re.compile(
        r"\b(?:cold|chilly|freezing|frozen|nippy|shivering|perishing|like a fridge)\b"
    ),
    "hot": re.compile(
        r"\b(?:hot|boiling|roasting|stuffy|sweltering|sweating|muggy|stifling|overheating"
        r"|like an? (?:oven|sauna)|(?:too|so|very|really|bit) warm)\b"
    ),
    "steamy": re.compile(r"\b(?:steamy|steamed up|condensation|smells|smelly|stinks|airing)\b"),
    "bright": re.compile(
        r"\b(?:(?:too|so|very|really) bright|glare|glaring|dazzling|blinding"
        r"|sun is in my eyes|sun in my eyes)\b"
    ),
    "morning": re.compile(r"\blet (?:some |the )?(?:day|sun)?light in"),
}
_WISH = re.compile(
    r"\b(?:fancy|want|wants|need|love|like|murder|dying for|time for|make me|have|do with)"
    r"(?: a| some| cup of| a cup of| mug of| a mug of)? (?:tea|cuppa|brew|coffee)\b"
    r"|^(?:tea|coffee) time\b"
)
_NOISY = re.compile(r"\b(?:noisy|racket|so loud|too loud|rattling|droning)\b")


def says_a_need(utterance: Utterance) -> bool:
    """Whether the text says a feeling or a wish this module knows: a statement that says
    none ("the kettle takes ages to boil") asks for nothing."""
    text = utterance.normalized
    patterns = [_WISH, _NOISY, *_FEELINGS.values()]
    return any(pattern.search(text) for pattern in patterns)
