"""Names of entities: their ids and their friendly names, as Home Assistant makes them."""

from __future__ import annotations

import unicodedata

from assistant.text import fold


def slugify(text: str) -> str:
    """An entity id part: `"Kitchen ceiling"` → `"kitchen_ceiling"`."""
    return fold(text).replace(" ", "_") or "unnamed"


def display_name(entity_name: str | None, device_name: str | None, fallback: str) -> str:
    """Home Assistant's friendly name: device name, then entity name unless it repeats it."""
    if entity_name and device_name:
        if fold(entity_name).startswith(fold(device_name)):
            return entity_name
        return f"{device_name} {entity_name}"
    return entity_name or device_name or fallback.replace("_", " ")


def clean_name(text: str) -> str:
    """A name without invisible characters: `"Kitchen\u202e light"` → `"Kitchen light"`.

    Bidi controls, zero-width and other format or control characters change how a name looks
    and whether it matches, never what it says; compatibility forms (full-width letters) are
    folded by NFKC. A device must not look like another, or unlike it, by such characters.
    """
    normal = unicodedata.normalize("NFKC", text)
    visible = "".join(" " if char.isspace() else char for char in normal if _visible(char))
    return " ".join(visible.split())


def _visible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) not in ("Cf", "Cc", "Co", "Cn", "Cs")
