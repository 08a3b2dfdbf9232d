"""How people ask for the built-in device tools, as generators of requests over a home.

Other verbs and word orders than the tools' templates, settings in percent and degrees,
questions, indirect requests with their intended effect (too dark → that room's lights on,
chilly → the heating up, glare → the blinds down or the lights dimmed, "I fancy a tea" → the
kettle plug), compound requests that become several calls, and requests that must become
"none" (out of scope, negations, reports of the past, conditions, devices this home lacks).
"""

from __future__ import annotations

import random
from typing import Any

from assistant.training.homes import Home, HomeDevice
from assistant.training.phrasing import say_number
from assistant.training.request import DOMAIN_WORDS, SWITCHABLE, Call, Request, spoken_name

# --- how people ask for the device tools ----------------------------------------------------

_ON = ["turn on the {n}", "switch on the {n}", "turn the {n} on", "switch the {n} on",
       "put the {n} on", "{n} on", "power up the {n}", "get the {n} on", "I need the {n} on",
       "can I have the {n} on", "activate the {n}", "the {n}, turn it on", "fire up the {n}",
       "put on the {n}", "I'd like the {n} on", "flick the {n} on", "give me the {n}",
       "can you turn the {n} on", "I want the {n} on", "let's have the {n} on",
       "turn the {n} back on", "switch the {n} back on", "start the {n}", "{n}, on",
       "could I get the {n} on", "bring the {n} on", "make the {n} come on"]  # fmt: skip
_OFF = ["turn off the {n}", "switch off the {n}", "turn the {n} off", "switch the {n} off",
        "{n} off", "kill the {n}", "shut off the {n}", "power down the {n}", "cut the {n}",
        "the {n} can go off", "switch the {n} back off", "turn the {n} back off",
        "I don't need the {n} any more", "put the {n} off", "the {n}, turn it off",
        "get the {n} off", "stop the {n}", "turn off the {n} again", "turn that {n} off",
        "{n}, off", "shut the {n} off", "switch off that {n}", "I'm done with the {n}, turn it off",
        "I've left the {n} on", "I think I left the {n} on, turn it off",
        "the {n} is still on, turn it off", "nobody's using the {n}, switch it off",
        "the {n} doesn't need to be on", "someone's left the {n} on again",
        "I've left the {n} on, could you sort that out"]  # fmt: skip
_OPEN = ["open the {n}", "raise the {n}", "pull up the {n}", "open up the {n}", "roll up the {n}",
         "draw back the {n}", "let some light in, open the {n}", "put the {n} up",
         "pull back the {n}", "lift the {n}", "{n} up", "{n} open", "get the {n} open",
         "open the {n} all the way"]  # fmt: skip
_CLOSE = ["close the {n}", "lower the {n}", "shut the {n}", "pull the {n}", "draw the {n}",
          "pull down the {n}", "roll down the {n}", "close up the {n}",
          "put the {n} down", "{n} down", "{n} closed", "get the {n} shut", "drop the {n}",
          "draw the {n} closed", "pull the {n} shut", "shut the {n} for the night",
          "close the {n} all the way"]  # fmt: skip
_LOCK = ["lock the {n}", "lock up the {n}", "secure the {n}", "bolt the {n}", "make sure the {n}"
         " is locked", "lock the {n} please"]  # fmt: skip
_UNLOCK = ["unlock the {n}", "let me in, unlock the {n}", "open the {n} lock", "unbolt the {n}",
           "unlock the {n} so {w} can come in", "let {w} in, unlock the {n}",
           "{w} is here, unlock the {n}", "can you unlock the {n} for {w}",
           "the {n}, unlock it", "I need the {n} unlocked"]  # fmt: skip
_WHO = ["the nurse", "the carer", "my daughter", "the kids", "the plumber", "my husband",
        "the doctor", "a friend", "the cleaner", "my son"]  # fmt: skip
_ROOM_ON = ["turn on the {r} {d}", "turn on the {d} in the {r}", "{d} on in the {r}",
            "switch the {r} {d} on", "the {r} {d} on", "put the {d} on in the {r}"]  # fmt: skip
_ROOM_OFF = ["turn off the {r} {d}", "turn off the {d} in the {r}", "{d} off in the {r}",
             "switch the {r} {d} off", "kill the {d} in the {r}", "the {r} {d} off",
             "the {d} in the {r} can go off", "no one's in the {r}, the {d} can go off",
             "nobody needs the {d} in the {r} now"]  # fmt: skip
_ALL_ON = ["turn on all the {d}", "switch all the {d} on", "all {d} on", "every {d} on please"]
_ALL_OFF = ["turn off all the {d}", "switch all the {d} off", "all {d} off", "kill all the {d}",
            "turn every {d} off"]  # fmt: skip
_HERE_ON = ["turn on the {d}", "{d} on", "turn the {d} on in here", "switch the {d} on",
            "{d} on please"]  # fmt: skip
_HERE_OFF = ["turn off the {d}", "{d} off", "turn the {d} off in here", "kill the {d}"]
_DIM = ["dim the {n} to {v} percent", "set the {n} to {v}%", "{n} to {v} percent",
        "change the {n}'s brightness to {v}%", "make the {n} {v} percent",
        "set the brightness of the {n} to {v}", "turn the {n} down to {v} percent",
        "turn the {n} up to {v} percent", "put the {n} at {v} percent",
        "bring the {n} down to {v}", "{n} brightness {v} percent",
        "brighten the {n} to {v} percent", "take the {n} down to {v}%", "{n} at {v} percent",
        "lower the {n} to {v} percent", "can you set the {n} brightness to {v}",
        "put the {n} on {v} percent", "{n} {v} percent",
        "I want the {n} at {v} percent"]  # fmt: skip
_DIM_ROOM = ["dim the {r} lights to {v} percent", "set the lights in the {r} to {v}%",
             "{r} lights to {v} percent", "turn the {r} lights down to {v}"]  # fmt: skip
_SPEED = ["set the {n} to {v} percent", "put the {n} on {v} percent", "{n} speed {v} percent",
          "turn the {n} up to {v}%", "change the {n} speed to {v} percent",
          "run the {n} at {v} percent", "turn the {n} down to {v} percent",
          "set the {n} speed to {v}", "speed the {n} up to {v} percent", "{n} at {v} percent",
          "slow the {n} down to {v} percent", "put the {n} speed on {v}"]  # fmt: skip
_POSITION = ["set the {n} to {v} percent", "open the {n} to {v} percent", "move the {n} to {v}%",
             "put the {n} at {v} percent", "close the {n} to {v} percent",
             "bring the {n} down to {v} percent", "raise the {n} to {v}%",
             "lower the {n} to {v} percent", "open the {n} {v} percent", "{n} to {v} percent",
             "can you put the {n} at {v}%"]  # fmt: skip
_HALFWAY = ["open the {n} halfway", "put the {n} halfway", "close the {n} halfway",
            "{n} half open", "open the {n} half way", "bring the {n} halfway down"]  # fmt: skip
_TEMPERATURE = ["set the {n} to {v} degrees", "change the {n} to {v}", "put the {n} on {v}",
                "{n} to {v} degrees", "make the {n} {v} degrees", "turn the {n} to {v}",
                "set the {n} at {v} degrees please", "turn the {n} up to {v}",
                "turn the {n} down to {v}", "bump the {n} up to {v}", "put the {n} on {v} degrees",
                "{n} up to {v} please", "drop the {n} to {v}", "I'd like the {n} at {v}",
                "knock the {n} down to {v}", "can you put the {n} to {v} degrees"]  # fmt: skip
_TEMPERATURE_ROOM = ["change the {r} temperature to {v}", "make it {v} degrees in the {r}",
                     "heat the {r} to {v} degrees", "set the {r} heating to {v}",
                     "I want the {r} at {v} degrees", "{r} temperature {v} degrees",
                     "turn the heating up to {v} in the {r}",
                     "I'd like it a bit warmer in the {r}, say {v} degrees",
                     "it's freezing in the {r}, turn the heating up to {v}",
                     "warm the {r} up to {v} degrees", "cool the {r} down to {v}",
                     "put the {r} heating on {v} degrees", "bring the {r} up to {v} degrees",
                     "it's chilly in the {r}, set it to {v}",
                     "a bit cooler in the {r}, {v} degrees please"]  # fmt: skip
_WARMER = ["turn the heating up in the {r}", "turn up the {n}", "bump the {n} up a bit",
           "a bit warmer in the {r} please", "turn the {r} heating up", "nudge the {n} up",
           "can you put the heating up in the {r}", "raise the temperature in the {r}",
           "I'd like it warmer in the {r}", "warm up the {r} a bit", "turn the {n} up a notch",
           "could the {r} be a bit warmer", "make it warmer in the {r}", "heat the {r} up a bit",
           "give the {n} a nudge up", "turn the {n} up a bit"]  # fmt: skip
_COOLER = ["turn the heating down in the {r}", "turn down the {n}", "knock the {n} down a bit",
           "a bit cooler in the {r} please", "turn the {r} heating down",
           "lower the temperature in the {r}", "make it cooler in the {r}",
           "cool the {r} down a bit", "turn the {n} down a notch", "turn the {n} down a bit",
           "the {n} down a degree please"]  # fmt: skip
_ASK_STATE = ["is the {n} on", "is the {n} off", "did I leave the {n} on",
              "is the {n} still on", "what's the {n} doing", "check the {n} for me",
              "tell me if the {n} is on", "is the {n} on or off", "are the {n} on",
              "what's the status of the {n}", "has the {n} been switched off",
              "check whether the {n} is on"]  # fmt: skip
_ASK_OPEN = ["is the {n} open", "is the {n} closed", "is the {n} shut", "are the {n} open",
             "are the {n} closed", "how far open are the {n}", "is the {n} up"]  # fmt: skip
_ASK_LOCK = ["is the {n} locked", "did I lock the {n}", "is the {n} unlocked",
             "have I locked the {n}", "is the {n} locked or unlocked",
             "I wonder if I locked the {n}", "did someone lock the {n}"]  # fmt: skip
_ASK_TEMPERATURE = ["what's the temperature in the {r}", "how warm is the {r}",
                    "how cold is it in the {r}", "what's the {r} temperature",
                    "what temperature is it in the {r}", "is it warm in the {r}",
                    "how hot is it in the {r}", "how many degrees is it in the {r}",
                    "what's the reading in the {r}",
                    "tell me the temperature in the {r}"]  # fmt: skip


def _pick(devices: list[HomeDevice], rng: random.Random) -> HomeDevice | None:
    return rng.choice(devices) if devices else None


# Which kind of device a plain switching request is about: a home has few locks, but "unlock
# the door" must still be learned well.
_SWITCHED_KINDS = {"light": 3.0, "switch": 2.0, "fan": 1.0, "cover": 1.0, "lock": 1.0,
                   "climate": 0.5}  # fmt: skip


def switch_request(home: Home, rng: random.Random) -> Request | None:
    kind = rng.choices(list(_SWITCHED_KINDS), list(_SWITCHED_KINDS.values()))[0]
    device = _pick(home.of_kinds((kind,)), rng)
    if device is None:
        return None
    on = rng.random() < 0.5
    if device.kind == "cover":
        phrases = _OPEN if on else _CLOSE
    elif device.kind == "lock":
        phrases = _LOCK if on else _UNLOCK
    else:
        phrases = _ON if on else _OFF
    text = rng.choice(phrases).format(n=spoken_name(device, home, rng), w=rng.choice(_WHO))
    return Request(
        text, (("HassTurnOn" if on else "HassTurnOff", {"name": device.name}),), "switch"
    )


def room_request(home: Home, rng: random.Random) -> Request | None:
    """A kind of device in a room, or here when the room goes unsaid."""
    kind = rng.choice(["light", "light", "light", "fan", "switch", "cover"])
    rooms = [r for r in home.rooms if len(home.in_room(r, (kind,))) >= 1]
    if not rooms:
        return None
    on = rng.random() < 0.5
    word = rng.choice(DOMAIN_WORDS[kind][:2])
    if rng.random() < 0.12:
        # "turn off all the lights": the whole kind, everywhere.
        text = rng.choice(_ALL_ON if on else _ALL_OFF).format(d=DOMAIN_WORDS[kind][0])
        return Request(text, (("HassTurnOn" if on else "HassTurnOff", {"domain": kind}),), "room")
    if home.here and home.here in rooms and rng.random() < 0.5:
        text = rng.choice(_HERE_ON if on else _HERE_OFF).format(d=word)
        room = home.here
    else:
        room = rng.choice(rooms)
        text = rng.choice(_ROOM_ON if on else _ROOM_OFF).format(r=room.lower(), d=word)
    arguments = {"area": room, "domain": kind}
    return Request(text, (("HassTurnOn" if on else "HassTurnOff", arguments),), "room")


def _percent(rng: random.Random) -> int:
    return rng.choice([rng.randrange(10, 101, 10), rng.randrange(5, 100, 5), rng.randint(1, 100)])


def setting_request(home: Home, rng: random.Random) -> Request | None:
    """Brightness, fan speed, blind position, set point, or a step up or down."""
    choice = rng.choice(["dim", "dim", "speed", "position", "temperature", "adjust"])
    if choice == "dim":
        value = _percent(rng)
        light = _pick(home.of_kinds(("light",)), rng)
        if light is None:
            return None
        if light.area and rng.random() < 0.25:
            text = rng.choice(_DIM_ROOM).format(r=light.area.lower(), v=say_number(value, rng))
            return Request(text, (("HassLightSet", {"brightness": value, "area": light.area}),),
                           "setting")  # fmt: skip
        text = rng.choice(_DIM).format(n=spoken_name(light, home, rng), v=say_number(value, rng))
        return Request(text, (("HassLightSet", {"brightness": value, "name": light.name}),),
                       "setting")  # fmt: skip
    if choice == "speed":
        fan = _pick([d for d in home.of_kinds(("fan",)) if d.speed], rng)
        if fan is None:
            return None
        value = _percent(rng)
        text = rng.choice(_SPEED).format(n=spoken_name(fan, home, rng), v=say_number(value, rng))
        return Request(text, (("HassFanSetSpeed", {"percentage": value, "name": fan.name}),),
                       "setting")  # fmt: skip
    if choice == "position":
        cover = _pick(home.of_kinds(("cover",)), rng)
        if cover is None:
            return None
        value = _percent(rng)
        phrase = rng.choice(_POSITION) if rng.random() < 0.85 else rng.choice(_HALFWAY)
        value = value if "{v}" in phrase else 50
        text = phrase.format(n=spoken_name(cover, home, rng), v=say_number(value, rng))
        return Request(text, (("HassSetPosition", {"position": value, "name": cover.name}),),
                       "setting")  # fmt: skip
    thermostat = _pick(home.of_kinds(("climate",)), rng)
    if thermostat is None:
        return None
    if choice == "temperature":
        degrees = rng.choice([17.0, 18, 19, 20, 21, 22, 23, 24, 18.5, 20.5, 21.5, 22.5])
        said = say_number(degrees, rng)
        if thermostat.area and rng.random() < 0.4:
            text = rng.choice(_TEMPERATURE_ROOM).format(r=thermostat.area.lower(), v=said)
            arguments: dict[str, Any] = {"temperature": degrees, "area": thermostat.area}
        else:
            text = rng.choice(_TEMPERATURE).format(n=spoken_name(thermostat, home, rng), v=said)
            arguments = {"temperature": degrees, "name": thermostat.name}
        return Request(text, (("HassClimateSetTemperature", arguments),), "setting")
    warmer = rng.random() < 0.6
    phrases = _WARMER if warmer else _COOLER
    phrase = rng.choice(phrases)
    if "{r}" in phrase and not thermostat.area:
        return None
    text = phrase.format(r=(thermostat.area or "").lower(), n=spoken_name(thermostat, home, rng))
    where = {"area": thermostat.area} if "{r}" in phrase else {"name": thermostat.name}
    step = 1.0 if warmer else -1.0
    return Request(text, (("AdjustTemperature", {"change_degrees": step, **where}),), "setting")


def question_request(home: Home, rng: random.Random) -> Request | None:
    device = _pick(home.devices, rng)
    if device is None:
        return None
    if device.kind in ("sensor", "climate") and device.area and rng.random() < 0.6:
        text = rng.choice(_ASK_TEMPERATURE).format(r=device.area.lower())
        return Request(text, (("HassClimateGetTemperature", {"area": device.area}),), "question")
    if device.kind == "lock":
        phrases = _ASK_LOCK
    elif device.kind in ("cover", "binary_sensor"):
        phrases = _ASK_OPEN
    elif device.kind in ("light", "switch", "fan"):
        phrases = _ASK_STATE
    else:
        return None
    text = rng.choice(phrases).format(n=spoken_name(device, home, rng))
    return Request(text, (("HassGetState", {"name": device.name}),), "question")


# --- indirect requests: the effect that was meant ---------------------------------------------

_DARK = ["it's too dark in the {r}", "I can't see a thing in the {r}", "the {r} is so gloomy",
         "it's pitch black in the {r}", "I need more light in the {r}", "it's a bit dim in the {r}",
         "it's getting dark in the {r}", "I can't see what I'm doing in the {r}",
         "it's like a cave in the {r}", "I can't read in the {r}, it's too dark",
         "could do with some light in the {r}", "the {r} is really dark"]  # fmt: skip
_DARK_HERE = ["it's too dark in here", "I can't see anything", "it's so dark", "I need some light",
              "I can't read in here", "it's getting dark", "it's gloomy in here",
              "I can't see what I'm doing"]  # fmt: skip
_COLD = ["it's chilly in the {r}", "I'm cold in the {r}", "the {r} is freezing",
         "it's a bit cold in the {r}", "brr, the {r} is chilly", "it's a bit nippy in the {r}",
         "the {r} is like a fridge", "I'm shivering in the {r}", "it's cold in the {r}",
         "the {r} could be warmer", "the {r} feels cold"]  # fmt: skip
_COLD_HERE = ["I'm freezing", "it's chilly in here", "I'm a bit cold", "it's cold in here",
              "I'm shivering", "my hands are freezing", "it's nippy in here",
              "brr, it's cold"]  # fmt: skip
_HOT = ["it's boiling in the {r}", "the {r} is too hot", "it's stuffy in the {r}",
        "I'm roasting in the {r}", "it's like a sauna in the {r}", "I'm sweating in the {r}",
        "the {r} is stifling", "it's muggy in the {r}", "it's really stuffy in the {r}",
        "I could do with some air in the {r}", "it's far too warm in the {r}",
        "the {r} is like an oven", "it's sweltering in the {r}"]  # fmt: skip
_HOT_HERE = ["I'm too hot", "it's stuffy in here", "it's boiling in here", "I'm sweating",
             "it's far too warm in here", "I need some air",
             "it's like an oven in here"]  # fmt: skip
_BRIGHT = ["it's too bright in the {r}", "the sun is in my eyes in the {r}",
           "there's a glare in the {r}", "the {r} is far too bright",
           "the sun is glaring into the {r}",
           "it's far too bright in the {r}, the sun's in my eyes",
           "I can't see the telly for the sun in the {r}", "it's dazzling in the {r}",
           "the sun's blinding me in the {r}"]  # fmt: skip
_BRIGHT_HERE = ["it's too bright in here", "the sun's in my eyes", "this glare is awful",
                "the sun is blinding me",
                "it's so bright in here I can't see the screen"]  # fmt: skip
_LEAVING = ["I'm leaving the {r}", "I'm done in the {r}, lights out", "nobody's in the {r} now",
            "no one's in the {r} any more, the lights can go off", "the {r} is empty now",
            "we've finished in the {r}", "everyone's left the {r}",
            "no need for lights in the {r} now"]  # fmt: skip
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
        fan = _pick(home.of_kinds(("fan",)), rng)
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


# --- several calls in one request ------------------------------------------------------------


def _single(home: Home, rng: random.Random) -> Request | None:
    roll = rng.random()
    if roll < 0.55:
        return switch_request(home, rng)
    if roll < 0.75:
        return room_request(home, rng)
    return setting_request(home, rng)


def _target(arguments: dict[str, Any]) -> tuple[Any, ...]:
    return (arguments.get("name"), arguments.get("area"), arguments.get("domain"))


_JOINERS = [" and ", ", and ", " and also ", ", then ", " then ", " and then ", ", ", " plus ",
            ", oh and ", " and after that "]  # fmt: skip


def compound_request(home: Home, rng: random.Random) -> Request | None:
    first = _single(home, rng)
    if first is None:
        return None
    if rng.random() < 0.35 and first.calls[0][0] in ("HassTurnOn", "HassTurnOff"):
        # "turn off the kitchen light and the fan": the verb said once.
        tool = first.calls[0][0]
        others = [d for d in home.of_kinds(SWITCHABLE) if d.name != first.calls[0][1].get("name")]
        other = _pick(others, rng)
        if other is None:
            return None
        text = f"{first.text} and the {spoken_name(other, home, rng)}"
        return Request(text, (*first.calls, (tool, {"name": other.name})), "compound")
    parts = [first]
    for _ in range(2 if rng.random() < 0.12 else 1):
        part = _single(home, rng)
        said = {_target(args) for p in parts for _, args in p.calls}
        if part is None or any(_target(args) in said for _, args in part.calls):
            return None  # the same device twice: one call would undo the other
        parts.append(part)
    text = parts[0].text
    for part in parts[1:]:
        text += rng.choice(_JOINERS) + part.text
    return Request(text, tuple(call for part in parts for call in part.calls), "compound")


# --- requests that must become "none" ----------------------------------------------------------

_OUT_OF_SCOPE = [
    "what's the weather like tomorrow", "will it rain today", "tell me a joke",
    "play some music", "play the radio", "who won the football last night", "order more milk",
    "add eggs to the shopping list", "what's on my calendar today", "read me my emails",
    "send a message to my sister", "call my mum", "how do I make pancakes",
    "what's the capital of France", "how far away is the moon", "what's twelve times eight",
    "translate good morning into Spanish", "book a taxi for six", "what's the news",
    "who are you", "how old are you", "do you love me", "sing me a song",
    "what's the time in Tokyo",
    "find me a recipe for soup", "how many calories in a banana", "set an alarm for tomorrow",
    "remind me to call the bank", "what's my name", "buy a new kettle", "turn the page",
    "what's the meaning of life", "recommend a film", "spell necessary", "flip a coin",
    "how do you spell thermostat", "what's the traffic like", "thank you", "good morning",
    "how are you today", "I love you", "you're useless", "open the fridge and get me a beer",
    "wash the dishes", "walk the dog", "feed the cat", "mow the lawn", "pay the gas bill",
    "what's the score in the match", "turn on the car", "switch off my phone",
    "open the bottle", "close the deal", "turn the volume up", "skip this song",
    "put the bins out", "water the plants", "how long do I boil an egg",
    "is it going to be sunny", "what's the temperature outside in London", "wake me up at seven",
    "what should I have for dinner", "open the app", "lock my phone", "shut up", "stop talking",
    "that's all, thanks", "cheers", "goodnight", "see you later", "nice one", "ok", "hmm",
    "what did you say", "I wasn't talking to you", "sorry, wrong person",
    "tell my wife I'll be late", "how do I change a light bulb",
    "which lamp is best for reading", "are smart plugs safe", "how does a thermostat work",
    "the weather is lovely today", "I had a long day", "my back hurts", "I'm bored",
    "where are my keys", "have you seen my glasses", "what's for tea tonight",
]  # fmt: skip
_NEGATED = ["don't turn on the {n}", "do not switch off the {n}", "never turn the {n} on",
            "don't touch the {n}", "leave the {n} alone", "no, don't turn off the {n}",
            "please don't switch the {n} on", "I don't want the {n} on",
            "the {n} is fine as it is", "no need to turn on the {n}", "leave the {n} on",
            "don't bother with the {n}", "forget about the {n}", "keep the {n} as it is",
            "not the {n}", "don't you dare turn off the {n}"]  # fmt: skip
_REPORTS = ["I turned off the {n} earlier", "I switched the {n} on an hour ago",
            "the {n} was on all night", "my son turned the {n} off", "I already turned on the {n}",
            "yesterday I left the {n} on", "someone switched off the {n}",
            "the {n} was off when I came in", "I turned the {n} off myself",
            "the {n} broke last week", "I bought a new {n}", "the {n} is a bit old",
            "I love the {n}", "the {n} was really bright last night", "mum switched the {n} on",
            "the {n} came on by itself yesterday", "I remember turning off the {n}",
            "we had the {n} on all evening", "the {n} needs a new bulb",
            "my neighbour has the same {n}", "I'm thinking of moving the {n}"]  # fmt: skip
_CONDITIONS = ["if it gets dark, turn on the {n}", "when I get home turn on the {n}",
               "turn on the {n} if it gets cold later", "maybe turn the {n} off later",
               "should I turn off the {n}", "what would happen if I turned off the {n}",
               "can the {n} be dimmed", "does the {n} use much power",
               "I wonder whether to switch the {n} on", "how do I turn on the {n}",
               "why is the {n} on", "who turned off the {n}", "when did the {n} go off",
               "can you turn the {n} on at sunset", "turn on the {n} tomorrow morning",
               "what if the {n} stays on all night", "is it safe to leave the {n} on",
               "tell me how to dim the {n}"]  # fmt: skip
_ABSENT_ROOMS = ["swimming pool", "wine cellar", "cinema room", "tower", "barn", "caravan",
                 "boathouse", "greenhouse", "ballroom", "annex"]  # fmt: skip
_ABSENT = ["sprinkler", "hot tub", "sauna heater", "pool pump", "doorbell camera", "robot vacuum",
           "dishwasher", "projector", "aquarium light", "sunroof", "oven", "washing machine",
           "tumble dryer", "microwave", "alarm system", "router", "jacuzzi", "electric gate",
           "hob", "freezer", "lawn mower", "bread maker"]  # fmt: skip


def none_request(home: Home, rng: random.Random) -> Request | None:
    kind = rng.choice(["scope", "scope", "negated", "report", "report", "condition", "absent",
                       "absent_room"])  # fmt: skip
    if kind == "scope":
        return Request(rng.choice(_OUT_OF_SCOPE), (), "none")
    if kind == "absent_room":
        room = rng.choice(_ABSENT_ROOMS)
        if room in " ".join(home.rooms).lower():
            return None
        word = rng.choice(["lights", "heating", "fan", "blinds"])
        return Request(rng.choice(_ROOM_ON + _ROOM_OFF).format(r=room, d=word), (), "none")
    if kind == "absent":
        thing = rng.choice(_ABSENT)
        if any(thing in d.name.lower() for d in home.devices):
            return None
        text = rng.choice(_ON + _OFF).format(n=thing)
        return Request(text, (), "none")
    device = _pick(home.of_kinds(("light", "switch", "fan", "climate")), rng)
    if device is None:
        return None
    phrases = {"negated": _NEGATED, "report": _REPORTS, "condition": _CONDITIONS}[kind]
    return Request(rng.choice(phrases).format(n=spoken_name(device, home, rng)), (), "none")
