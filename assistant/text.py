"""Text folded for comparison: case, accents, punctuation and separators never change what a
name means, so "Kitchen_Ceiling-Light (2)" and "kitchen ceiling light 2" are the same words.

Shared by the device registry (names as lookup keys) and understanding, which builds its
utterance normaliser (numbers, politeness, contractions) on top of it.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[_\-./:]+")
_NOT_WORD = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """`"Kitchen_Ceiling-Light (2)"` → `"kitchen ceiling light 2"`; accents folded, and
    invisible format characters (bidi overrides, zero-width joiners) dropped rather than read
    as spaces, so a name cannot hide a word break or an extra word in them."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(
        char
        for char in decomposed
        if not unicodedata.combining(char) and unicodedata.category(char) != "Cf"
    )
    spaced = _SEPARATORS.sub(" ", folded.casefold())
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", spaced)).strip()
