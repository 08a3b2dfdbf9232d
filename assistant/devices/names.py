"""Names as people say them: normalised once, so later matching compares plain words."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[_\-./:]+")
_NOT_WORD = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """`"Kitchen_Ceiling-Light (2)"` → `"kitchen ceiling light 2"`; accents folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    spaced = _SEPARATORS.sub(" ", folded.casefold())
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", spaced)).strip()


def slugify(text: str) -> str:
    """An entity id part: `"Kitchen ceiling"` → `"kitchen_ceiling"`."""
    return normalize_name(text).replace(" ", "_") or "unnamed"


def display_name(entity_name: str | None, device_name: str | None, fallback: str) -> str:
    """Home Assistant's friendly name: device name, then entity name unless it repeats it."""
    if entity_name and device_name:
        if normalize_name(entity_name).startswith(normalize_name(device_name)):
            return entity_name
        return f"{device_name} {entity_name}"
    return entity_name or device_name or fallback.replace("_", " ")
