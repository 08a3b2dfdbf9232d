"""One generated request: its words, the calls it means, and how a device's name is said."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from assistant.training.homes import Home, HomeDevice

Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Request:
    text: str
    calls: tuple[Call, ...]
    category: str


DOMAIN_WORDS = {
    "light": ["lights", "light", "lamps"], "switch": ["plugs", "switches", "sockets"],
    "fan": ["fan", "fans"], "cover": ["blinds", "curtains", "shades"], "lock": ["locks", "doors"],
    "climate": ["heating", "thermostat"], "binary_sensor": ["sensors", "windows"],
}  # fmt: skip
SWITCHABLE = ("light", "switch", "fan", "climate")
TIMER_NAMES = ["pasta", "eggs", "laundry", "pizza", "tea", "bath", "homework", "oven", "rice"]


def spoken_name(device: HomeDevice, home: Home, rng: random.Random) -> str:
    """The name as someone says it: whole, by an alias, or without its room when that is clear."""
    if device.aliases and rng.random() < 0.35:
        return rng.choice(device.aliases)
    name = device.name.lower()
    if device.area and name.startswith(device.area.lower() + " ") and rng.random() < 0.2:
        rest = name[len(device.area) + 1 :]
        if sum(1 for d in home.devices if d.name.lower().endswith(rest)) == 1:
            return rest
    return name
