"""The few devices and rooms a request can be about: the model's prompt never grows with the home.

A home of 500 entities would need thousands of prompt tokens to list; a request names at most a
handful of things. Each device is scored on what was said: the words of its name or aliases, its
room, words for its kind ("lamp", "blinds", "heating") and words for what it is for ("tea" for
a kettle plug, "chilly" for a thermostat). The best few go into the prompt, listed in the home's
own order so that the same request in the same home gives the same prompt (and llama.cpp can
reuse it). A home small enough to list whole is always listed whole.

The training data is built with this same function, so the model learns from exactly the
candidate lists it will see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from assistant.text import fold

MAX_DEVICES = 10
MAX_ROOMS = 5


def words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that point at a kind of device without naming one.
KIND_WORDS: dict[str, frozenset[str]] = {
    "light": words_of(
        "light lights lamp lamps bulb bulbs dark darker dim dimmer bright brighter brightness "
        "see glare reading pitch black gloomy"
    ),
    "switch": words_of("plug plugs socket sockets switch power kettle tea coffee tv telly"),
    "fan": words_of("fan fans stuffy hot air muggy breeze speed sweltering oven sauna"),
    "cover": words_of(
        "blind blinds curtain curtains drape drapes shade shades shutter shutters sun glare "
        "bright privacy garage gate open close"
    ),
    "climate": words_of(
        "heating heat heater thermostat temperature degrees cold colder chilly freezing warm "
        "warmer cool cooler hot radiator"
    ),
    "lock": words_of("lock locked unlock unlocked door doors bolt"),
    "sensor": words_of("temperature humidity humid reading degrees sensor"),
    "binary_sensor": words_of("open closed shut door window contact"),
}

# What people want from a device whose name does not say it ("I fancy a cup of tea").
_PURPOSES: dict[str, frozenset[str]] = {
    "kettle": words_of("tea cuppa brew kettle"),
    "coffee": words_of("coffee espresso latte cappuccino"),
    "tv": words_of("tv telly television news"),
    "heater": words_of("cold chilly freezing heater"),
    "dehumidifier": words_of("damp humid"),
}


class Describable(Protocol):
    """What retrieval reads of a device: the runtime's entities and training's made-up ones."""

    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def area(self) -> str | None: ...
    @property
    def kind(self) -> str: ...


D = TypeVar("D", bound=Describable)


@dataclass(frozen=True)
class Candidates(Generic[D]):
    devices: tuple[D, ...]
    rooms: tuple[str, ...]


def _stem_match(word: str, spoken: frozenset[str]) -> bool:
    # A shared stem of 4+ letters tolerates transcription slips ("kitchens", "thermo").
    return word in spoken or (len(word) >= 4 and any(s[:4] == word[:4] for s in spoken))


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(text).split())


_FILLER = words_of("the a an of in on to my room")


def _room_mentioned(room: str, spoken: frozenset[str]) -> bool:
    words = [w for w in fold(room).split() if w not in _FILLER] or fold(room).split()
    return all(_stem_match(w, spoken) for w in words)


def _score(
    device: Describable, spoken: frozenset[str], rooms_said: set[str], here: str | None
) -> float:
    score = 0.0
    for name in (device.name, *device.aliases):
        words = [w for w in fold(name).split() if w not in _FILLER]
        hits = sum(1 for w in words if _stem_match(w, spoken))
        score = max(score, 3.0 * hits + (2.0 if words and hits == len(words) else 0.0))
    if device.area and fold(device.area) in rooms_said:
        score += 2.0
    elif here and device.area == here:
        score += 1.0
    if spoken & KIND_WORDS.get(device.kind, frozenset()):
        score += 1.5
    if serves(device.name, spoken):
        score += 4.0
    return score


def serves(name: str, spoken: frozenset[str]) -> bool:
    """Whether a device named `name` is for what was asked ("tea" and the kettle plug)."""
    folded = fold(name)
    return any(marker in folded and spoken & wishes for marker, wishes in _PURPOSES.items())


def retrieve(
    text: str, devices: Sequence[D], rooms: Iterable[str], *, here: str | None = None
) -> Candidates[D]:
    """The devices and rooms to show the model for `text`, at most MAX_DEVICES and MAX_ROOMS."""
    all_rooms = list(dict.fromkeys(rooms))
    spoken = _words(text)
    rooms_said = {fold(room) for room in all_rooms if _room_mentioned(room, spoken)}
    if len(devices) <= MAX_DEVICES:
        chosen = list(devices)
    else:
        scored = [(_score(d, spoken, rooms_said, here), index) for index, d in enumerate(devices)]
        best = sorted((s for s in scored if s[0] > 0), key=lambda s: -s[0])[:MAX_DEVICES]
        chosen = [devices[index] for index in sorted(index for _, index in best)]
    if len(all_rooms) <= MAX_ROOMS:
        shown_rooms = all_rooms
    else:
        wanted = {fold(room) for room in rooms_said}
        if here:
            wanted.add(fold(here))
        for device in chosen:
            if len(wanted) >= MAX_ROOMS:
                break
            if device.area:
                wanted.add(fold(device.area))
        shown_rooms = [room for room in all_rooms if fold(room) in wanted][:MAX_ROOMS]
    return Candidates(tuple(chosen), tuple(shown_rooms))
