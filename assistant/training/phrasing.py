"""How people word things, and how a small speech recogniser garbles them.

Numbers as words or digits, fillers and politeness around a command, and the slips Whisper
tiny makes on short commands (dropped articles, homophones, split words, no punctuation).
"""

from __future__ import annotations

import random
import re

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(value: float) -> str:
    """21 → "twenty one", 22.5 → "twenty two and a half", 100 → "a hundred"."""
    whole = int(value)
    half = abs(value - whole - 0.5) < 1e-9
    if whole == 100:
        words = "a hundred"
    elif whole < 20:
        words = _ONES[whole]
    else:
        tens, ones = divmod(whole, 10)
        words = _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    return words + (" and a half" if half else "")


def say_number(value: float, rng: random.Random) -> str:
    if value == int(value) and value <= 100 and rng.random() < 0.45:
        return number_words(value)
    if value != int(value) and rng.random() < 0.3:
        return number_words(value)
    return f"{value:g}"


PREFIXES = [
    "", "", "", "", "", "please ", "could you ", "can you ", "would you ", "hey, ", "um ",
    "okay ", "ok so ", "right, ", "jarvis, ", "could you please ", "I want you to ",
    "I'd like you to ", "go ahead and ", "quickly ", "uh ", "hi, can you ", "will you ",
]  # fmt: skip
SUFFIXES = [
    "", "", "", "", "", " please", " thanks", " for me", " now", " thank you", " if you can",
    " right now", " please, thanks", " for me please", " straight away",
]  # fmt: skip


_IMPERATIVES = frozenset(
    [
        "turn",
        "switch",
        "set",
        "put",
        "dim",
        "open",
        "close",
        "lock",
        "unlock",
        "start",
        "stop",
        "make",
        "raise",
        "lower",
        "pull",
        "cancel",
        "pause",
        "resume",
        "add",
        "take",
        "give",
        "tell",
        "kill",
        "shut",
        "change",
        "move",
        "bring",
        "bump",
        "draw",
    ]
)


def polite(command: str, rng: random.Random) -> str:
    """Fillers and politeness; "could you" only in front of a verb ("could you turn …")."""
    words = command.split()
    prefix = rng.choice(PREFIXES) if words and words[0].lower() in _IMPERATIVES else ""
    return f"{prefix}{command}{rng.choice(SUFFIXES)}"


_SLIPS: list[tuple[str, list[str]]] = [
    (r"\bthe ", ["", "a ", "the the "]),
    (r"\blamp\b", ["lamb", "lamps", "lump"]),
    (r"\boff\b", ["of"]),
    (r"\bto\b", ["two", "too"]),
    (r"\bfor\b", ["four"]),
    (r"\blights\b", ["light", "lice"]),
    (r"\blight\b", ["lights", "like"]),
    (r"\bbedroom\b", ["bed room"]),
    (r"\bthermostat\b", ["thermo stat", "thermostats"]),
    (r"\bhallway\b", ["hall way"]),
    (r"\bblinds\b", ["blind", "blinks"]),
    (r"\bkitchen\b", ["kitchens", "kitten"]),
    (r"\bturn\b", ["turned", "term"]),
    (r"\bswitch\b", ["which"]),
    (r"\bheating\b", ["heating's", "eating"]),
    (r"\bplease\b", ["pleas"]),
    (r"\bfan\b", ["fun", "van"]),
    (r"\bpercent\b", ["per cent", "%"]),
    (r"\bdegrees\b", ["degree"]),
    (r"\bminutes\b", ["minute", "mins"]),
]


def garble(text: str, rng: random.Random) -> str:
    """One or two slips of the kind tiny.en makes, and its casing and punctuation habits."""
    for _ in range(rng.randint(1, 2)):
        pattern, options = rng.choice(_SLIPS)
        matches = list(re.finditer(pattern, text))
        if matches:
            match = rng.choice(matches)
            text = text[: match.start()] + rng.choice(options) + text[match.end() :]
    text = " ".join(text.split())
    roll = rng.random()
    if roll < 0.3:
        text = text[:1].upper() + text[1:] + "."
    elif roll < 0.45:
        text = text.capitalize() + "?"
    elif roll < 0.6:
        text = text.lower().replace(",", "")
    return text


def finish(text: str, rng: random.Random) -> str:
    """Casing and punctuation as typed or transcribed."""
    text = " ".join(text.split())
    roll = rng.random()
    if roll < 0.35:
        return text[:1].upper() + text[1:] + "."
    if roll < 0.45:
        return text[:1].upper() + text[1:]
    return text
