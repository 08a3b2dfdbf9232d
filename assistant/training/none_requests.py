"""Requests that must become "none": out of scope, negations, reports of the past, conditions,
and devices or rooms this home lacks."""

from __future__ import annotations

import random

from assistant.training.device_requests import OFF, ON, ROOM_OFF, ROOM_ON
from assistant.training.homes import Home
from assistant.training.request import Request, pick, spoken_name

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
               "tell me how to dim the {n}", "turn off the {n} in ten minutes",
               "switch the {n} off in half an hour", "in five minutes turn the {n} on",
               "turn the {n} on at seven", "switch on the {n} at 6 pm",
               "turn off the {n} in an hour", "later on, switch the {n} off"]  # fmt: skip
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
        return Request(rng.choice(ROOM_ON + ROOM_OFF).format(r=room, d=word), (), "none")
    if kind == "absent":
        thing = rng.choice(_ABSENT)
        if any(thing in d.name.lower() for d in home.devices):
            return None
        text = rng.choice(ON + OFF).format(n=thing)
        return Request(text, (), "none")
    device = pick(home.of_kinds(("light", "switch", "fan", "climate")), rng)
    if device is None:
        return None
    phrases = {"negated": _NEGATED, "report": _REPORTS, "condition": _CONDITIONS}[kind]
    return Request(rng.choice(phrases).format(n=spoken_name(device, home, rng)), (), "none")
