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


# How a device is called by what it is when the home has only one of its kind ("lock the door").
SOLE_WORDS = {
    "lock": ["door", "front door", "lock"], "climate": ["heating", "thermostat", "heat"],
    "fan": ["fan"], "cover": ["blinds", "curtains"],
}  # fmt: skip
# Kind words left off the end of a name ("the front door" for "Front door lock"), or said
# otherwise ("the hallway heating" for "Hallway thermostat").
_ENDINGS = {" lock": "", " plug": "", " socket": "", " thermostat": " heating"}


def pick(devices: list[HomeDevice], rng: random.Random) -> HomeDevice | None:
    return rng.choice(devices) if devices else None


def spoken_name(device: HomeDevice, home: Home, rng: random.Random) -> str:
    """The name as someone says it: whole, by an alias, without its room when that is clear,
    with the room in front of a name that lacks it, or by its kind when it is the only one."""
    roll = rng.random()
    if device.aliases and roll < 0.3:
        return rng.choice(device.aliases)
    name = device.name.lower()
    same_kind = home.of_kinds((device.kind,))
    if device.kind in SOLE_WORDS and len(same_kind) == 1 and roll > 0.8:
        return rng.choice(SOLE_WORDS[device.kind])
    if roll < 0.55:
        return name
    if device.area and name.startswith(device.area.lower() + " "):
        rest = name[len(device.area) + 1 :]
        if sum(1 for d in home.devices if d.name.lower().endswith(rest)) == 1:
            return rest
    elif device.area and roll < 0.7:
        return f"{device.area.lower()} {name}"
    for ending, said in _ENDINGS.items():
        other = name[: -len(ending)] + said
        if name.endswith(ending) and not any(d.name.lower() == other for d in home.devices):
            return other
    return name
