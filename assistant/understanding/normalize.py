"""Utterances as the rules compare them: lower case, no punctuation, digits for number words.

"Could you set the thermostat to twenty-one and a half °C, please?" →
"set the thermostat to 21.5 degrees c". Politeness and the wake word are dropped, because
they change nothing about what is asked.
"""

from __future__ import annotations

import re

from assistant.text import fold

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
# Politeness and the wake word change nothing about a request, but only where they frame it:
# "can you" opens "can you turn on the light" and is the question in "what can you do".
_LEADING = re.compile(
    r"^(?:(?:hey|ok|okay) )?(?:jarvis )?(?:would you mind |(?:could|can|would|will) you "
    r"(?:please )?|i want you to |i would like you to |i need you to |kindly |please )*"
)
_TRAILING = re.compile(r"(?: (?:please|for me|thanks|thank you|now|again|then))+$")
# Discourse markers that open a request without changing it: "actually just turn it off".
# Thanks for the last answer opens the next request: "thanks, set a timer for 10 minutes".
_OPENERS = re.compile(
    r"^(?:(?:actually|now|so|ok|okay|well|oh|alright|right|just|um|uh|thanks|thank you|cheers) )+"
)
# Hesitations as Whisper writes them; they are never part of a request.
_FILLERS = re.compile(r"\b(?:uh|um|umm|uhm|er|erm|hmm|mm)\b")
_GERUNDS = {
    "turning": "turn", "switching": "switch", "setting": "set", "putting": "put",
    "opening": "open", "closing": "close", "locking": "lock", "unlocking": "unlock",
    "dimming": "dim", "starting": "start", "stopping": "stop", "making": "make",
}  # fmt: skip
_GERUND = re.compile(r"^(" + "|".join(_GERUNDS) + r") ")
# Words that make a sentence about a device something other than a request to change it: a
# negation ("don't turn on the light"), a report ("I turned the lamp off earlier").
NOT_A_REQUEST = frozenset({
    "not", "never", "no", "nobody", "turned", "switched", "was", "were", "did", "had", "earlier",
    "yesterday", "already",
})  # fmt: skip
# Words that make a request wait on a condition or a time: "if it gets dark, turn on the
# light" is not "turn on the light" now. ("Before I forget, …" is no condition.)
CONDITIONS = frozenset({
    "if", "whether", "unless", "when", "until", "till", "tomorrow", "tonight", "later", "pm",
    "clock",
})  # fmt: skip
# A duration said puts a request off ("turn off the light in 5 minutes"), unless a call takes
# it ("… and set a timer for 5 minutes").
DURATIONS = frozenset({"second", "seconds", "minute", "minutes", "hour", "hours"})
# First words of a question: "is the kitchen light on" asks, it does not switch.
QUESTION_OPENERS = frozenset({
    "is", "are", "was", "were", "do", "does", "did", "have", "has", "what", "which", "why",
    "when", "where", "who", "how", "should", "shall",
})  # fmt: skip
PRONOUN = re.compile(r"\b(?:it|them|that|those|this)\b")
_CLAUSE_BREAK = re.compile(r"[.,;:!?]+(?:\s+|$)")


def _number_words(words: list[str]) -> list[str]:
    """Replace runs like "twenty one", "one hundred and five", "two point five" by digits."""
    out: list[str] = []
    index = 0
    while index < len(words):
        value, used = _read_number(words, index)
        if used:
            out.append(value)
            index += used
        else:
            out.append(words[index])
            index += 1
    return out


def _read_number(words: list[str], start: int) -> tuple[str, int]:
    """The number spelled out at `start` as digits, and how many words it took (0: none)."""
    value, index, last = 0, start, ""
    while index < len(words):
        word = words[index]
        if word in _UNITS:
            unit = _UNITS[word]
            # "five six" and "twenty twelve" are two numbers, not one.
            if last in ("unit", "teen") or (last == "tens" and (unit >= 10 or unit == 0)):
                break
            value += unit
            last = "teen" if unit >= 10 else "unit"
        elif word in _TENS:
            if last in ("unit", "teen", "tens"):
                break
            value += _TENS[word]
            last = "tens"
        elif word == "hundred" and last == "unit":
            value *= 100
            last = "hundred"
        elif (
            word == "and"
            and last == "hundred"
            and index + 1 < len(words)
            and (words[index + 1] in _UNITS or words[index + 1] in _TENS)
        ):
            last = "hundred"  # "one hundred and five"
        else:
            break
        index += 1
    if index == start:
        return "", 0
    text = str(value)
    if (
        words[index : index + 1] == ["point"]
        and index + 1 < len(words)
        and words[index + 1] in _UNITS
    ):
        text += "." + str(_UNITS[words[index + 1]])
        index += 2
    return text, index - start


_CONTRACTIONS = re.compile(
    r"\b(what|it|that|there|where|how|who|here)['’]s\b|\b(\w+)n['’]t\b|\b(i)['’]m\b"
    r"|\b(\w+)['’](re|ve|ll|d)\b",
    flags=re.IGNORECASE,
)
_EXPANSIONS = {"re": "are", "ve": "have", "ll": "will", "d": "would"}


def _expand(match: re.Match[str]) -> str:
    if match.group(1):
        return f"{match.group(1)} is"
    if match.group(2):
        stem = match.group(2).lower()
        return {"wo": "will not", "ca": "cannot", "sha": "shall not"}.get(stem, f"{stem} not")
    if match.group(3):
        return "i am"
    return f"{match.group(4)} {_EXPANSIONS[match.group(5).lower()]}"


def normalize_utterance(text: str) -> str:
    text = _CONTRACTIONS.sub(_expand, text)
    text = re.sub(r"\b(what|that|it)s\b", r"\1 is", text, flags=re.IGNORECASE)  # "whats"
    text = text.replace("%", " percent ").replace("°", " degrees ")
    text = re.sub(r"(\d),(\d)", r"\1.\2", text)  # "21,5" as some transcripts write decimals
    text = re.sub(r"(\d+)\.(\d+)", lambda m: f"{m.group(1)}point{m.group(2)}", text)
    tokens = [re.sub(r"^(\d+)point(\d+)$", r"\1.\2", word) for word in fold(text).split()]
    words = " ".join(_number_words(tokens))
    words = re.sub(r"\bper cent\b", "percent", _FILLERS.sub(" ", words))
    words = re.sub(r"\b(\w+)(?: \1\b)+", r"\1", words)  # "the the", a stutter
    # Whisper writes "to" as "2" before a number: "open the blinds 2 40 percent".
    words = re.sub(r"(?<=[a-z]) 2 (?=\d+ (?:percent|degrees)\b)", " to ", words)
    words = re.sub(r"\b(\d+) and a half\b", r"\1.5", words)
    words = re.sub(r"\b(\d+) point (\d)\b", r"\1.\2", words)
    # Whisper often hears "turn off" as "turn of"; "of" never follows these verbs otherwise.
    words = re.sub(r"\b(turn|switch|turned|switched) of\b", r"\1 off", words)
    words = re.sub(r"\s+", " ", words).strip()
    for _ in range(2):  # "ok so could you please ..." interleaves openers and politeness
        words = _LEADING.sub("", _OPENERS.sub("", words))
    words = _TRAILING.sub("", words)
    words = _GERUND.sub(lambda m: _GERUNDS[m.group(1)] + " ", words)  # "would you mind turning"
    # "turn the plug of": "of" never ends a request that starts by turning or switching.
    words = re.sub(r"^((?:turn|switch) .+) of$", r"\1 off", words)
    return re.sub(r"\s+", " ", re.sub(r"\bplease\b", " ", words)).strip()


def clauses(text: str) -> list[str]:
    """The normalised clauses of an utterance split at its punctuation, empty ones left out:
    "Thanks Jarvis. Now switch off the kitchen light." → ["thanks jarvis",
    "switch off the kitchen light"]. A negation or a past tense in one clause says nothing
    about a request in the next ("I don't feel well, I need someone here"). A last clause that
    points back with *it* or *them* also comes with the clause before put in its place."""
    parts = [normalize_utterance(part) for part in _CLAUSE_BREAK.split(text)]
    parts = [part for part in parts if part]
    if len(parts) >= 2 and PRONOUN.search(parts[-1]):
        # "The front door lock, unlock it": *it* is the clause before.
        parts.append(PRONOUN.sub(parts[-2], parts[-1], count=1))
    return parts
