"""Indirect requests, with the effect that was meant: too dark → that room's lights on, chilly
→ the heating up, glare → the blinds down (or the lights dimmed where there are none), a noisy
fan → off, "I fancy a tea" → the kettle plug. Nothing, when the room has nothing that helps.
"""

from __future__ import annotations

import random

from assistant.training.homes import Home, HomeDevice
from assistant.training.request import Call, Request, pick, spoken_name

_DARK = ["it's too dark in the {r}", "I can't see a thing in the {r}", "the {r} is so gloomy",
         "it's pitch black in the {r}", "I need more light in the {r}", "it's a bit dim in the {r}",
         "it's getting dark in the {r}", "I can't see what I'm doing in the {r}",
         "it's like a cave in the {r}", "I can't read in the {r}, it's too dark",
         "could do with some light in the {r}", "the {r} is really dark",
         "I can barely see in the {r}", "the {r} needs more light", "brighten up the {r}",
         "it's too dark to read in the {r}", "I want to read in the {r}",
         "it's dark as night in the {r}"]  # fmt: skip
_DARK_HERE = ["it's too dark in here", "I can't see anything", "it's so dark", "I need some light",
              "I can't read in here", "it's getting dark", "it's gloomy in here",
              "I can't see what I'm doing"]  # fmt: skip
_COLD = ["it's chilly in the {r}", "I'm cold in the {r}", "the {r} is freezing",
         "it's a bit cold in the {r}", "brr, the {r} is chilly", "it's a bit nippy in the {r}",
         "the {r} is like a fridge", "I'm shivering in the {r}", "it's cold in the {r}",
         "the {r} could be warmer", "the {r} feels cold", "I'm frozen in the {r}",
         "the {r} is a bit cool", "warm the {r} up a bit", "the {r} needs warming up",
         "there's a draught in the {r}, I'm cold", "it's perishing in the {r}"]  # fmt: skip
_COLD_HERE = ["I'm freezing", "it's chilly in here", "I'm a bit cold", "it's cold in here",
              "I'm shivering", "my hands are freezing", "it's nippy in here",
              "brr, it's cold"]  # fmt: skip
_HOT = ["it's boiling in the {r}", "the {r} is too hot", "it's stuffy in the {r}",
        "I'm roasting in the {r}", "it's like a sauna in the {r}", "I'm sweating in the {r}",
        "the {r} is stifling", "it's muggy in the {r}", "it's really stuffy in the {r}",
        "I could do with some air in the {r}", "it's far too warm in the {r}",
        "the {r} is like an oven", "it's sweltering in the {r}", "it's hot in the {r}",
        "the {r} is too warm", "it's humid in the {r}", "I'm overheating in the {r}",
        "it's a bit warm in the {r}", "cool the {r} down a bit"]  # fmt: skip
_HOT_HERE = ["I'm too hot", "it's stuffy in here", "it's boiling in here", "I'm sweating",
             "it's far too warm in here", "I need some air",
             "it's like an oven in here"]  # fmt: skip
_BRIGHT = ["it's too bright in the {r}", "the sun is in my eyes in the {r}",
           "there's a glare in the {r}", "the {r} is far too bright",
           "the sun is glaring into the {r}",
           "it's far too bright in the {r}, the sun's in my eyes",
           "I can't see the telly for the sun in the {r}", "it's dazzling in the {r}",
           "the sun's blinding me in the {r}", "the sun's too strong in the {r}",
           "too much sun in the {r}", "block out the sun in the {r}",
           "I can't see my screen in the {r}, it's too bright"]  # fmt: skip
_BRIGHT_HERE = ["it's too bright in here", "the sun's in my eyes", "this glare is awful",
                "the sun is blinding me",
                "it's so bright in here I can't see the screen"]  # fmt: skip
_LEAVING = ["I'm leaving the {r}", "I'm done in the {r}, lights out", "nobody's in the {r} now",
            "no one's in the {r} any more, the lights can go off", "the {r} is empty now",
            "we've finished in the {r}", "everyone's left the {r}",
            "no need for lights in the {r} now", "we're done with the {r} for tonight",
            "I'm out of the {r} now"]  # fmt: skip
_MORNING = ["let some light into the {r}", "let the daylight into the {r}",
            "it's morning, let the light in the {r}", "I want some daylight in the {r}",
            "the {r} needs some sunlight"]  # fmt: skip
_NOISY = ["the {n} is too noisy", "that {n} is driving me mad", "the {n} is making a racket",
          "I can't hear myself think with the {n} going", "the {n} is so loud"]  # fmt: skip
_STEAMY = ["it's all steamed up in the {r}", "the {r} is steamy", "it smells in the {r}",
           "the {r} needs airing", "there's a lot of condensation in the {r}"]  # fmt: skip
_TEA = ["I fancy a cup of tea", "I'd love a cuppa", "time for a brew", "I could murder a tea",
        "let's have some tea", "I'm dying for a cup of tea", "put the kettle on",
        "who wants a tea", "I need a tea"]  # fmt: skip
_COFFEE = ["I need a coffee", "I fancy a coffee", "coffee time", "make me a coffee",
           "I could do with a coffee", "let's get the coffee going"]  # fmt: skip


_ADDED_NAMES = {"light": "light", "climate": "thermostat", "fan": "fan", "cover": "blinds"}
_NEEDED = {"dark": ("light",), "leaving": ("light",), "cold": ("climate",),
           "hot": ("fan", "climate"), "bright": ("cover", "light"), "morning": ("cover",),
           "steamy": ("fan",)}  # fmt: skip
_HERE_PHRASES = {"dark": _DARK_HERE, "cold": _COLD_HERE, "hot": _HOT_HERE,
                 "bright": _BRIGHT_HERE}  # fmt: skip
_ROOM_PHRASES = {"dark": _DARK, "cold": _COLD, "hot": _HOT, "bright": _BRIGHT,
                 "leaving": _LEAVING, "morning": _MORNING, "steamy": _STEAMY}  # fmt: skip


def _drink(feeling: str, home: Home, rng: random.Random) -> Request:
    marker = "kettle" if feeling == "tea" else "coffee"
    plugs = [d for d in home.of_kinds(("switch",)) if marker in d.name.lower()]
    text = rng.choice(_TEA if feeling == "tea" else _COFFEE)
    if not plugs and home.rooms and rng.random() < 0.85:
        # Mostly a home that has one: otherwise "tea" is learned as "none".
        name = "Kettle plug" if feeling == "tea" else "Coffee machine"
        plugs = [home.add(HomeDevice(name, "switch", rng.choice(home.rooms)))]
    if not plugs:
        return Request(text, (), "indirect")  # nothing here can do it
    return Request(text, (("HassTurnOn", {"name": plugs[0].name}),), "indirect")


def _effect(feeling: str, room: str, home: Home) -> tuple[Call, ...]:
    """What a feeling in a room calls for, given what the room has; nothing if it has none."""
    lights, fans = home.in_room(room, ("light",)), home.in_room(room, ("fan",))
    covers, thermostats = home.in_room(room, ("cover",)), home.in_room(room, ("climate",))
    if feeling == "dark" and lights:
        return (("HassTurnOn", {"area": room, "domain": "light"}),)
    if feeling == "leaving" and lights:
        return (("HassTurnOff", {"area": room, "domain": "light"}),)
    if feeling == "cold" and thermostats:
        return (("AdjustTemperature", {"change_degrees": 1.0, "area": room}),)
    if feeling in ("hot", "steamy") and fans:
        return (("HassTurnOn", {"area": room, "domain": "fan"}),)
    if feeling == "hot" and thermostats:
        return (("AdjustTemperature", {"change_degrees": -1.0, "area": room}),)
    # Glare: the blinds first, since dimming lamps does nothing against the sun.
    if feeling == "bright" and covers:
        return (("HassTurnOff", {"area": room, "domain": "cover"}),)
    if feeling == "bright" and lights:
        return (("HassLightSet", {"brightness": 30, "area": room}),)
    if feeling == "morning" and covers:
        return (("HassTurnOn", {"area": room, "domain": "cover"}),)
    return ()


def indirect_request(home: Home, rng: random.Random) -> Request | None:
    feeling = rng.choice(["dark", "dark", "cold", "cold", "hot", "bright", "bright", "leaving",
                          "morning", "steamy", "noisy", "tea", "coffee"])  # fmt: skip
    if feeling in ("tea", "coffee"):
        return _drink(feeling, home, rng)
    if feeling == "noisy":
        fan = pick(home.of_kinds(("fan",)), rng)
        if fan is None:
            return None
        text = rng.choice(_NOISY).format(n=spoken_name(fan, home, rng))
        return Request(text, (("HassTurnOff", {"name": fan.name}),), "indirect")
    # Mostly a room that has what the feeling calls for; sometimes one that has not ("none").
    needed = _NEEDED[feeling]
    if feeling == "bright" and rng.random() < 0.7:
        needed = ("cover",)  # mostly a room with blinds: what glare calls for first
    fitting = [r for r in home.rooms if home.in_room(r, needed)]
    if not fitting and home.rooms and rng.random() < 0.85:
        place = rng.choice(home.rooms)
        home.add(HomeDevice(f"{place} {_ADDED_NAMES[needed[0]]}", needed[0], place))
        fitting = [place]
    rooms = fitting if fitting and rng.random() < 0.85 else home.rooms
    use_here = (
        feeling in _HERE_PHRASES and home.here is not None and home.here in rooms
        and rng.random() < 0.6
    )  # fmt: skip
    room = home.here if use_here else (rng.choice(rooms) if rooms else None)
    if room is None:
        return None
    phrases = _HERE_PHRASES[feeling] if use_here else _ROOM_PHRASES[feeling]
    text = rng.choice(phrases).format(r=room.lower())
    return Request(text, _effect(feeling, room, home), "indirect")
