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
       "put on the {n}", "I'd like the {n} on", "flick the {n} on", "give me the {n}"]  # fmt: skip
_OFF = ["turn off the {n}", "switch off the {n}", "turn the {n} off", "switch the {n} off",
        "{n} off", "kill the {n}", "shut off the {n}", "power down the {n}", "cut the {n}",
        "the {n} can go off", "switch the {n} back off", "turn the {n} back off",
        "I don't need the {n} any more", "put the {n} off", "the {n}, turn it off",
        "get the {n} off", "stop the {n}", "turn off the {n} again"]  # fmt: skip
_OPEN = ["open the {n}", "raise the {n}", "pull up the {n}", "open up the {n}", "roll up the {n}",
         "draw back the {n}", "let some light in, open the {n}", "put the {n} up"]  # fmt: skip
_CLOSE = ["close the {n}", "lower the {n}", "shut the {n}", "pull the {n}", "draw the {n}",
          "pull down the {n}", "roll down the {n}", "close up the {n}",
          "put the {n} down"]  # fmt: skip
_LOCK = ["lock the {n}", "lock up the {n}", "secure the {n}", "bolt the {n}", "make sure the {n}"
         " is locked", "lock the {n} please"]  # fmt: skip
_UNLOCK = ["unlock the {n}", "let me in, unlock the {n}", "open the {n} lock", "unbolt the {n}"]
_ROOM_ON = ["turn on the {r} {d}", "turn on the {d} in the {r}", "{d} on in the {r}",
            "switch the {r} {d} on", "the {r} {d} on", "put the {d} on in the {r}"]  # fmt: skip
_ROOM_OFF = ["turn off the {r} {d}", "turn off the {d} in the {r}", "{d} off in the {r}",
             "switch the {r} {d} off", "kill the {d} in the {r}", "the {r} {d} off"]  # fmt: skip
_HERE_ON = ["turn on the {d}", "{d} on", "turn the {d} on in here", "switch the {d} on",
            "{d} on please"]  # fmt: skip
_HERE_OFF = ["turn off the {d}", "{d} off", "turn the {d} off in here", "kill the {d}"]
_DIM = ["dim the {n} to {v} percent", "set the {n} to {v}%", "{n} to {v} percent",
        "change the {n}'s brightness to {v}%", "make the {n} {v} percent",
        "set the brightness of the {n} to {v}", "turn the {n} down to {v} percent",
        "turn the {n} up to {v} percent", "put the {n} at {v} percent",
        "bring the {n} down to {v}", "{n} brightness {v} percent"]  # fmt: skip
_DIM_ROOM = ["dim the {r} lights to {v} percent", "set the lights in the {r} to {v}%",
             "{r} lights to {v} percent", "turn the {r} lights down to {v}"]  # fmt: skip
_SPEED = ["set the {n} to {v} percent", "put the {n} on {v} percent", "{n} speed {v} percent",
          "turn the {n} up to {v}%", "change the {n} speed to {v} percent",
          "run the {n} at {v} percent", "turn the {n} down to {v} percent",
          "set the {n} speed to {v}"]  # fmt: skip
_POSITION = ["set the {n} to {v} percent", "open the {n} to {v} percent", "move the {n} to {v}%",
             "put the {n} at {v} percent", "close the {n} to {v} percent",
             "bring the {n} down to {v} percent", "raise the {n} to {v}%"]  # fmt: skip
_TEMPERATURE = ["set the {n} to {v} degrees", "change the {n} to {v}", "put the {n} on {v}",
                "{n} to {v} degrees", "make the {n} {v} degrees", "turn the {n} to {v}",
                "set the {n} at {v} degrees please"]  # fmt: skip
_TEMPERATURE_ROOM = ["change the {r} temperature to {v}", "make it {v} degrees in the {r}",
                     "heat the {r} to {v} degrees", "set the {r} heating to {v}",
                     "I want the {r} at {v} degrees", "{r} temperature {v} degrees"]  # fmt: skip
_WARMER = ["turn the heating up in the {r}", "turn up the {n}", "bump the {n} up a bit",
           "a bit warmer in the {r} please", "turn the {r} heating up", "nudge the {n} up",
           "can you put the heating up in the {r}", "raise the temperature in the {r}"]  # fmt: skip
_COOLER = ["turn the heating down in the {r}", "turn down the {n}", "knock the {n} down a bit",
           "a bit cooler in the {r} please", "turn the {r} heating down",
           "lower the temperature in the {r}"]  # fmt: skip
_ASK_STATE = ["is the {n} on", "is the {n} off", "did I leave the {n} on",
              "is the {n} still on", "what's the {n} doing", "check the {n} for me",
              "tell me if the {n} is on"]  # fmt: skip
_ASK_OPEN = ["is the {n} open", "is the {n} closed", "is the {n} shut"]
_ASK_LOCK = ["is the {n} locked", "did I lock the {n}", "is the {n} unlocked"]
_ASK_TEMPERATURE = ["what's the temperature in the {r}", "how warm is the {r}",
                    "how cold is it in the {r}", "what's the {r} temperature",
                    "what temperature is it in the {r}", "is it warm in the {r}"]  # fmt: skip


def _pick(devices: list[HomeDevice], rng: random.Random) -> HomeDevice | None:
    return rng.choice(devices) if devices else None


def switch_request(home: Home, rng: random.Random) -> Request | None:
    device = _pick(home.of_kinds(("light", "switch", "fan", "cover", "lock", "climate")), rng)
    if device is None:
        return None
    on = rng.random() < 0.5
    if device.kind == "cover":
        phrases = _OPEN if on else _CLOSE
    elif device.kind == "lock":
        phrases = _LOCK if on else _UNLOCK
    else:
        phrases = _ON if on else _OFF
    text = rng.choice(phrases).format(n=spoken_name(device, home, rng))
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
        text = rng.choice(_POSITION).format(
            n=spoken_name(cover, home, rng), v=say_number(value, rng)
        )
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

_DARK = [
    "it's too dark in the {r}",
    "I can't see a thing in the {r}",
    "the {r} is so gloomy",
    "it's pitch black in the {r}",
    "I need more light in the {r}",
    "it's a bit dim in the {r}",
]
_DARK_HERE = ["it's too dark in here", "I can't see anything", "it's so dark", "I need some light"]
_COLD = ["it's chilly in the {r}", "I'm cold in the {r}", "the {r} is freezing",
         "it's a bit cold in the {r}", "brr, the {r} is chilly"]  # fmt: skip
_COLD_HERE = ["I'm freezing", "it's chilly in here", "I'm a bit cold", "it's cold in here"]
_HOT = ["it's boiling in the {r}", "the {r} is too hot", "it's stuffy in the {r}",
        "I'm roasting in the {r}", "it's like a sauna in the {r}"]  # fmt: skip
_HOT_HERE = ["I'm too hot", "it's stuffy in here", "it's boiling in here"]
_BRIGHT = ["it's too bright in the {r}", "the sun is in my eyes in the {r}",
           "there's a glare in the {r}", "the {r} is far too bright"]  # fmt: skip
_BRIGHT_HERE = ["it's too bright in here", "the sun's in my eyes", "this glare is awful"]
_LEAVING = ["I'm leaving the {r}", "I'm done in the {r}, lights out", "nobody's in the {r} now"]
_TEA = ["I fancy a cup of tea", "I'd love a cuppa", "time for a brew", "I could murder a tea",
        "let's have some tea"]  # fmt: skip
_COFFEE = ["I need a coffee", "I fancy a coffee", "coffee time", "make me a coffee"]


_ADDED_NAMES = {"light": "light", "climate": "thermostat", "fan": "fan", "cover": "blinds"}


def indirect_request(home: Home, rng: random.Random) -> Request | None:
    feeling = rng.choice(["dark", "dark", "cold", "hot", "bright", "leaving", "tea", "coffee"])
    if feeling in ("tea", "coffee"):
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
    # Mostly a room that has what the feeling calls for; sometimes one that has not ("none").
    needed = {"dark": ("light",), "leaving": ("light",), "cold": ("climate",),
              "hot": ("fan", "climate"), "bright": ("cover", "light")}[feeling]  # fmt: skip
    fitting = [r for r in home.rooms if home.in_room(r, needed)]
    if not fitting and home.rooms and rng.random() < 0.85:
        place = rng.choice(home.rooms)
        home.add(HomeDevice(f"{place} {_ADDED_NAMES[needed[0]]}", needed[0], place))
        fitting = [place]
    rooms = fitting if fitting and rng.random() < 0.85 else home.rooms
    use_here = home.here is not None and (home.here in rooms) and rng.random() < 0.6
    room = home.here if use_here else (rng.choice(rooms) if rooms else None)
    if room is None:
        return None
    here_phrases = {"dark": _DARK_HERE, "cold": _COLD_HERE, "hot": _HOT_HERE,
                    "bright": _BRIGHT_HERE, "leaving": _LEAVING}  # fmt: skip
    room_phrases = {"dark": _DARK, "cold": _COLD, "hot": _HOT, "bright": _BRIGHT,
                    "leaving": _LEAVING}  # fmt: skip
    phrases = here_phrases[feeling] if use_here and feeling != "leaving" else room_phrases[feeling]
    text = rng.choice(phrases).format(r=room.lower())
    lights, fans = home.in_room(room, ("light",)), home.in_room(room, ("fan",))
    covers, thermostats = home.in_room(room, ("cover",)), home.in_room(room, ("climate",))
    calls: tuple[Call, ...] = ()
    if feeling == "dark" and lights:
        calls = (("HassTurnOn", {"area": room, "domain": "light"}),)
    elif feeling == "leaving" and lights:
        calls = (("HassTurnOff", {"area": room, "domain": "light"}),)
    elif feeling == "cold" and thermostats:
        calls = (("AdjustTemperature", {"change_degrees": 1.0, "area": room}),)
    elif feeling == "hot" and fans:
        calls = (("HassTurnOn", {"area": room, "domain": "fan"}),)
    elif feeling == "hot" and thermostats:
        calls = (("AdjustTemperature", {"change_degrees": -1.0, "area": room}),)
    elif feeling == "bright" and covers:
        calls = (("HassTurnOff", {"area": room, "domain": "cover"}),)
    elif feeling == "bright" and lights:
        calls = (("HassLightSet", {"brightness": 30, "area": room}),)
    return Request(text, calls, "indirect")


# --- several calls in one request ------------------------------------------------------------


def compound_request(home: Home, rng: random.Random) -> Request | None:
    first = switch_request(home, rng) if rng.random() < 0.7 else setting_request(home, rng)
    if first is None:
        return None
    if rng.random() < 0.4 and first.calls[0][0] in ("HassTurnOn", "HassTurnOff"):
        # "turn off the kitchen light and the fan": the verb said once.
        tool = first.calls[0][0]
        kinds = (*SWITCHABLE, "cover", "lock") if rng.random() < 0.2 else SWITCHABLE
        others = [d for d in home.of_kinds(kinds) if d.name != first.calls[0][1].get("name")]
        other = _pick(others, rng)
        if other is None:
            return None
        text = f"{first.text} and the {spoken_name(other, home, rng)}"
        if other.kind in ("cover", "lock"):
            return None
        return Request(text, (*first.calls, (tool, {"name": other.name})), "compound")
    second = switch_request(home, rng) if rng.random() < 0.6 else setting_request(home, rng)
    if second is None or second.calls == first.calls:
        return None
    joiner = rng.choice([" and ", ", and ", " and also ", ", then ", " then ", " and then "])
    return Request(first.text + joiner + second.text, first.calls + second.calls, "compound")


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
]  # fmt: skip
_NEGATED = ["don't turn on the {n}", "do not switch off the {n}", "never turn the {n} on",
            "don't touch the {n}", "leave the {n} alone", "no, don't turn off the {n}",
            "please don't switch the {n} on"]  # fmt: skip
_REPORTS = ["I turned off the {n} earlier", "I switched the {n} on an hour ago",
            "the {n} was on all night", "my son turned the {n} off", "I already turned on the {n}",
            "yesterday I left the {n} on", "someone switched off the {n}",
            "the {n} was off when I came in"]  # fmt: skip
_CONDITIONS = ["if it gets dark, turn on the {n}", "when I get home turn on the {n}",
               "turn on the {n} if it gets cold later", "maybe turn the {n} off later",
               "should I turn off the {n}", "what would happen if I turned off the {n}",
               "can the {n} be dimmed", "does the {n} use much power",
               "I wonder whether to switch the {n} on"]  # fmt: skip
_ABSENT = ["sprinkler", "hot tub", "sauna heater", "pool pump", "doorbell camera", "robot vacuum",
           "dishwasher", "projector", "aquarium light", "sunroof"]  # fmt: skip


def none_request(home: Home, rng: random.Random) -> Request | None:
    kind = rng.choice(["scope", "scope", "negated", "report", "condition", "absent"])
    if kind == "scope":
        return Request(rng.choice(_OUT_OF_SCOPE), (), "none")
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
