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


_IMPERATIVES = frozenset([
    "turn", "switch", "set", "put", "dim", "open", "close", "lock", "unlock", "start", "stop",
    "make", "raise", "lower", "pull", "cancel", "pause", "resume", "add", "take", "give", "tell",
    "kill", "shut", "change", "move", "bring", "bump", "draw", "warm", "cool", "heat", "let",
    "get", "power", "activate", "fire", "flick", "roll", "drop", "crank", "run", "check",
    "knock", "nudge", "brighten",
])  # fmt: skip


CONTEXTS = [
    "I'm off to bed, ", "before I forget, ", "while you're at it, ", "oh and ", "oh, ",
    "it's getting late, ", "we're about to watch a film, ", "I'm heading out, ", "right then, ",
    "guests are coming, ", "I'm back, ", "morning, ", "one more thing, ", "actually, ",
    "sorry to bother you, ", "when you get a sec, ", "the kids are asleep, ", "listen, ",
    "I'm going to read for a bit, ", "it's bedtime, ", "good evening, ", "so, ",
]  # fmt: skip
"""What people say before a command that changes nothing about it ("I'm off to bed, lock …")."""


def polite(command: str, rng: random.Random) -> str:
    """Fillers and politeness; "could you" only in front of a verb ("could you turn …"); now and
    then a clause of context in front that the command does not depend on."""
    words = command.split()
    imperative = bool(words) and words[0].lower() in _IMPERATIVES
    prefix = rng.choice(PREFIXES) if imperative else ""
    if rng.random() < 0.2:
        prefix = rng.choice(CONTEXTS) + prefix
    # "it's dark in here please" is not how anyone talks: statements get no "please".
    suffix = rng.choice(SUFFIXES) if imperative else rng.choice(["", "", " thanks"])
    return f"{prefix}{command}{suffix}"


_SLIPS: list[tuple[str, list[str]]] = [
    (r"\bthe ", ["", "a ", "the the ", "that "]),
    (r"\blamp\b", ["lamb", "lamps", "lump", "limp"]),
    (r"\boff\b", ["of", "orf"]),
    (r"\bon\b", ["in", "an", "own"]),
    (r"\bto\b", ["two", "too"]),
    (r"\bto (?=\d)", ["2 ", "two "]),
    (r"\bfor\b", ["four"]),
    (r"\blights\b", ["light", "lice", "lites"]),
    (r"\blight\b", ["lights", "like", "lite"]),
    (r"\bbedroom\b", ["bed room", "bedrooms"]),
    (r"\bliving room\b", ["livingroom", "living-room"]),
    (r"\bthermostat\b", ["thermo stat", "thermostats"]),
    (r"\bhallway\b", ["hall way", "hallways"]),
    (r"\bblinds\b", ["blind", "blinks", "blind's"]),
    (r"\bcurtains\b", ["curtain", "certain"]),
    (r"\bkitchen\b", ["kitchens", "kitten"]),
    (r"\bturn\b", ["turned", "term", "tern"]),
    (r"\bswitch\b", ["which", "switched"]),
    (r"\bheating\b", ["heating's", "eating", "heeting"]),
    (r"\bplease\b", ["pleas", "please please"]),
    (r"\bfan\b", ["fun", "van", "fine"]),
    (r"\bplug\b", ["plugs", "plug's", "blog"]),
    (r"\bkettle\b", ["kettles", "cattle"]),
    (r"\bpercent\b", ["per cent", "%", "percents"]),
    (r"\bdegrees\b", ["degree", "degrees'"]),
    (r"\bminutes\b", ["minute", "mins"]),
    (r"\bset\b", ["sit", "said"]),
    (r"\bdim\b", ["them", "dem"]),
    (r"\bclose\b", ["clothes", "closed"]),
    (r"\bopen\b", ["opened", "opening"]),
    (r"^", ["um ", "uh ", "so ", "and "]),
]
"""Each slip: a pattern and what the recogniser heard instead (split or merged words, homophones,
"to 40" heard as "2 40", a doubled or a dropped article, a stray filler in front)."""


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
