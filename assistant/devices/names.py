"""Names of entities: their ids and their friendly names, as Home Assistant makes them."""

from __future__ import annotations

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
