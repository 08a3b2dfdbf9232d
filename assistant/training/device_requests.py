"""How people ask for the built-in device tools, as generators of requests over a home.

Other verbs and word orders than the tools' templates, settings in percent and degrees,
questions, and compound requests that become several calls. Indirect requests are in
`indirect_requests`, and requests that must become "none" in `none_requests`.
"""

from __future__ import annotations

import random
from typing import Any

from assistant.training.homes import Home
from assistant.training.phrasing import say_number
from assistant.training.request import DOMAIN_WORDS, Request, pick, spoken_name

# --- how people ask for the device tools ----------------------------------------------------

ON = ["turn on the {n}", "switch on the {n}", "turn the {n} on", "switch the {n} on",
       "put the {n} on", "{n} on", "power up the {n}", "get the {n} on", "I need the {n} on",
       "can I have the {n} on", "activate the {n}", "the {n}, turn it on", "fire up the {n}",
       "put on the {n}", "I'd like the {n} on", "flick the {n} on", "give me the {n}",
       "can you turn the {n} on", "I want the {n} on", "let's have the {n} on",
       "turn the {n} back on", "switch the {n} back on", "start the {n}", "{n}, on",
       "could I get the {n} on", "bring the {n} on", "make the {n} come on"]  # fmt: skip
OFF = ["turn off the {n}", "switch off the {n}", "turn the {n} off", "switch the {n} off",
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
         " is locked", "lock the {n} please", "close the {n}", "shut the {n}"]  # fmt: skip
_UNLOCK = ["unlock the {n}", "let me in, unlock the {n}", "open the {n} lock", "unbolt the {n}",
           "unlock the {n} so {w} can come in", "let {w} in, unlock the {n}",
           "{w} is here, unlock the {n}", "can you unlock the {n} for {w}",
           "the {n}, unlock it", "I need the {n} unlocked"]  # fmt: skip
_WHO = ["the nurse", "the carer", "my daughter", "the kids", "the plumber", "my husband",
        "the doctor", "a friend", "the cleaner", "my son"]  # fmt: skip
ROOM_ON = ["turn on the {r} {d}", "turn on the {d} in the {r}", "{d} on in the {r}",
            "switch the {r} {d} on", "the {r} {d} on", "put the {d} on in the {r}"]  # fmt: skip
ROOM_OFF = ["turn off the {r} {d}", "turn off the {d} in the {r}", "{d} off in the {r}",
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


# Which kind of device a plain switching request is about: a home has few locks, but "unlock
# the door" must still be learned well.
_SWITCHED_KINDS = {"light": 3.0, "switch": 2.0, "fan": 1.0, "cover": 1.0, "lock": 1.0,
                   "climate": 0.5}  # fmt: skip


def switch_request(home: Home, rng: random.Random) -> Request | None:
    kind = rng.choices(list(_SWITCHED_KINDS), list(_SWITCHED_KINDS.values()))[0]
    device = pick(home.of_kinds((kind,)), rng)
    if device is None:
        return None
    on = rng.random() < 0.5
    if device.kind == "cover":
        phrases = _OPEN if on else _CLOSE
    elif device.kind == "lock":
        phrases = _LOCK if on else _UNLOCK
    else:
        phrases = ON if on else OFF
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
        text = rng.choice(ROOM_ON if on else ROOM_OFF).format(r=room.lower(), d=word)
    arguments = {"area": room, "domain": kind}
    return Request(text, (("HassTurnOn" if on else "HassTurnOff", arguments),), "room")


def _percent(rng: random.Random) -> int:
    return rng.choice([rng.randrange(10, 101, 10), rng.randrange(5, 100, 5), rng.randint(1, 100)])


def setting_request(home: Home, rng: random.Random) -> Request | None:
    """Brightness, fan speed, blind position, set point, or a step up or down."""
    choice = rng.choice(["dim", "dim", "speed", "position", "temperature", "adjust"])
    if choice == "dim":
        value = _percent(rng)
        light = pick(home.of_kinds(("light",)), rng)
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
        fan = pick([d for d in home.of_kinds(("fan",)) if d.speed], rng)
        if fan is None:
            return None
        value = _percent(rng)
        text = rng.choice(_SPEED).format(n=spoken_name(fan, home, rng), v=say_number(value, rng))
        return Request(text, (("HassFanSetSpeed", {"percentage": value, "name": fan.name}),),
                       "setting")  # fmt: skip
    if choice == "position":
        cover = pick(home.of_kinds(("cover",)), rng)
        if cover is None:
            return None
        value = _percent(rng)
        phrase = rng.choice(_POSITION) if rng.random() < 0.85 else rng.choice(_HALFWAY)
        value = value if "{v}" in phrase else 50
        text = phrase.format(n=spoken_name(cover, home, rng), v=say_number(value, rng))
        return Request(text, (("HassSetPosition", {"position": value, "name": cover.name}),),
                       "setting")  # fmt: skip
    thermostat = pick(home.of_kinds(("climate",)), rng)
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
    device = pick(home.devices, rng)
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


# --- several calls in one request ------------------------------------------------------------


def single_request(home: Home, rng: random.Random) -> Request | None:
    """One request about one device or room: a part of a compound."""
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
_ONE_VERB_KINDS = ("light", "fan", "switch")
"""Kinds that share "turn on/off" (a lock is unbolted, a blind drawn)."""
# One verb for a list of devices: "switch off the kitchen light, the fan and the lamp".
_LIST_ON = ["turn on {l}", "switch on {l}", "turn {l} on", "switch {l} on", "put {l} on",
            "turn on both {l}", "{l} on"]  # fmt: skip
_LIST_OFF = ["turn off {l}", "switch off {l}", "turn {l} off", "switch {l} off", "kill {l}",
             "turn off both {l}", "{l} off", "shut off {l}"]  # fmt: skip


def joined(parts: list[Request], rng: random.Random) -> Request | None:
    """Requests said one after another, each call once: the same device twice would have one
    call undo the other."""
    targets = [_target(arguments) for part in parts for _, arguments in part.calls]
    if len(set(targets)) < len(targets):
        return None
    text = parts[0].text
    for part in parts[1:]:
        text += rng.choice(_JOINERS) + part.text
    return Request(text, tuple(call for part in parts for call in part.calls), "compound")


def _listed(home: Home, rng: random.Random) -> Request | None:
    """Two or three devices after one verb; "both" only for two."""
    devices = home.of_kinds(_ONE_VERB_KINDS)
    count = 3 if rng.random() < 0.3 else 2
    if len(devices) < count:
        return None
    chosen = rng.sample(devices, count)
    names = [f"the {spoken_name(device, home, rng)}" for device in chosen]
    listing = ", ".join(names[:-1]) + rng.choice([" and ", ", and "]) + names[-1]
    on = rng.random() < 0.5
    phrases = [p for p in (_LIST_ON if on else _LIST_OFF) if count == 2 or "both" not in p]
    tool = "HassTurnOn" if on else "HassTurnOff"
    text = rng.choice(phrases).format(l=listing)
    return Request(text, tuple((tool, {"name": d.name}) for d in chosen), "compound")


def compound_request(home: Home, rng: random.Random) -> Request | None:
    if rng.random() < 0.3:
        return _listed(home, rng)
    first = single_request(home, rng)
    if first is None:
        return None
    switched = {d.name for d in home.of_kinds(_ONE_VERB_KINDS)}
    tool, arguments = first.calls[0]
    if (
        rng.random() < 0.25
        and tool in ("HassTurnOn", "HassTurnOff")
        and (arguments.get("name") in switched)
    ):
        # "turn off the kitchen light and the fan": the verb said once (not "unbolt … the fan").
        others = [d for d in home.of_kinds(_ONE_VERB_KINDS) if d.name != arguments["name"]]
        other = pick(others, rng)
        if other is None:
            return None
        text = f"{first.text} and the {spoken_name(other, home, rng)}"
        return Request(text, (*first.calls, (tool, {"name": other.name})), "compound")
    parts = [first]
    for _ in range(2 if rng.random() < 0.12 else 1):
        part = single_request(home, rng)
        if part is None:
            return None
        parts.append(part)
    return joined(parts, rng)
