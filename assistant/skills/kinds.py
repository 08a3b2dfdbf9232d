"""How a kind of device is said in a reply: "I don't know any blinds in the kitchen"."""

from __future__ import annotations

_PLURALS = {
    "light": "lights", "switch": "switches", "fan": "fans", "cover": "blinds", "lock": "locks",
    "binary_sensor": "sensors", "sensor": "sensors", "climate": "thermostats",
}  # fmt: skip


def kind_plural(kind: str | None) -> str:
    """The spoken plural of a device kind (an HA domain); "devices" for none or unknown."""
    return _PLURALS.get(kind or "", "devices")
