"""The sentences people use for devices, as the device-control skill's example templates.

Kept apart from the skill so that the skill reads as what it does; the loader skips this
module (its name starts with "_"), which holds no skill.
"""

from __future__ import annotations


def _switched(state: str) -> list[str]:
    """The ways of asking for a device, or a kind of device in a room, to be on (or off)."""
    return [
        f"(turn|switch|put) {state} [the] {{name}}",
        f"(turn|switch|put) [the] {{name}} {state}",
        f"(turn|switch) {state} [the] {{area}} {{domain}}",
        f"(turn|switch) {state} [all] [the] {{domain}}",
        f"(turn|switch) {state} [all] [the] {{domain}} in [the] {{area}}",
        f"(turn|switch) [the] {{domain}} in [the] {{area}} {state}",
        f"[the] {{name}} {state}",
        f"[the] {{area}} {{domain}} {state}",
        f"{{domain}} {state} in [the] {{area}}",
    ]


# Opening a lock unlocks it: the verbs of covers are said of covers only.
_COVERS = "(blind|blinds|shade|shades|curtain|curtains|drapes|shutter|shutters|covers)"


def _moved(verbs: str) -> list[str]:
    """Opening (or closing) a cover by name, every cover, or a room's covers."""
    return [
        f"{verbs} [the] {{name}}{{domain=cover}}",
        f"{verbs} [all] [the] {_COVERS}{{domain=cover}} [in [the] {{area}}]",
        f"{verbs} [the] {{area}} {_COVERS}{{domain=cover}}",
    ]


TURN_ON = [
    *_switched("on"),
    "(power up|start|start up|fire up|activate) [the] {name}",
    "start [the] {domain} in [the] {area}",
    *_moved("(open|raise|pull up)"),
    "(lock|bolt) [up] [the] {name}{domain=lock}",
    "(close|shut) [the] {name}{domain=lock}",  # never the opposite of what was said
    "lock [all] [the] (locks|doors){domain=lock}",
    # Indirect requests: the room says where, the complaint says which kind of device.
    "it is [(too|very|really|so|quite|pitch|far too|way too)] (dark|dim|black) "
    "in [the] {area}{domain=light}",
    "[the] {area} is [(too|very|really|so)] dark{domain=light}",
    "i (cannot|can not) see [(a thing|anything)] in [the] {area}{domain=light}",
    "[i need] more light in [the] {area}{domain=light}",
    "it is [(too|very|really|so|quite)] (stuffy|hot|warm|muggy) in [the] {area}{domain=fan}",
    "[the] {area} is [(too|very|really|so)] (stuffy|hot) {domain=fan}",
    "[the] {area} is like (an oven|a sauna){domain=fan}",
    "[i would like] [some] air (moving|flowing) in [the] {area}{domain=fan}",
]

TURN_OFF = [
    *_switched("off"),
    "(turn|switch) (everything|all) off in [the] {area}",
    "(turn|switch) off everything in [the] {area}",
    "[the] {name} (can|should|may) go off",
    "i [have] left [the] {name} on",
    "(kill|cut|cut the power to|power down|power off|stop|shut off|shut down|deactivate) "
    "[the] {name}",
    "stop [the] {domain} in [the] {area}",
    *_moved("(close|lower|shut|pull down)"),
    "(unlock|disengage|open|unbolt) [the] {name}{domain=lock}",
    "i need [the] {name} unlocked{domain=lock}",
    "unlock [the] {area} [door]{domain=lock}",
    "unlock [all] [the] (locks|doors){domain=lock}",
    # Indirect: sun and glare mean the blinds, leaving means the lights.
    "the sun is [(glaring|shining|beating)] (into|in) [the] {area}{domain=cover}",
    "it is [(far|way|much)] too bright in [the] {area}{domain=cover}",
    "[i want] [some] privacy in [the] {area}{domain=cover}",
]

LIGHT_SET = [
    "(set|dim|turn) [the] {name} [down|up] to {brightness} [percent]",
    "(set|dim) [the] {area} (light|lights) to {brightness} [percent]",
    "{name} [at] {brightness} percent",
    "(set|dim|turn|make|brighten|bring|put) [the] {name} [(down|up)] (to|at) {brightness} "
    "[percent]",
    "(set|dim|turn|make|brighten|bring|put) [the] (light|lights) in [the] {area} "
    "[(down|up)] (to|at) {brightness} [percent]",
    "[the] {name} (at|to) {brightness} percent",
    "make [the] {name} {brightness} percent",
    "make [the] {name} [(a bit|a little|slightly)] (dimmer|brighter) [(to|at)] "
    "{brightness} [percent]",
    "(set|turn|put) [the] {name} to half brightness{brightness=50}",
    "(set|turn|put) [the] {name} [up] to full [brightness]{brightness=100}",
]

SET_POSITION = [
    "(set|open|close|move) [the] {name} to {position} [percent]",
    "(set|open|close|move) [the] {area} (blind|blinds|shades){domain=cover} "
    "to {position} [percent]",
    "(set|open|close|move|bring|lower|raise|put) [the] {name} [(down|up)] to {position} [percent]",
    "(set|open|close|move|bring|lower|raise|put) [the] {domain} [in [the] {area}] "
    "[(down|up)] to {position} [percent]",
    "open [the] {name} halfway{position=50}",
    "open [the] {domain} [in [the] {area}] halfway{position=50}",
]

SET_TEMPERATURE = [
    "set [the] {name} to {temperature} [degrees]",
    "set [the] (heating|temperature|thermostat) [in [the] {area}] to {temperature} [degrees]",
    "make it {temperature} degrees [in [the] {area}]",
    "(set|bump|turn|bring|put|make) [the] {name} [(up|down)] [(to|on|at)] {temperature} [degrees]",
    "(set|bump|turn|bring|put) [the] (heating|heat|temperature|thermostat) "
    "[in [the] {area}] [(up|down)] (to|on|at) {temperature} [degrees]",
    "(warm|heat|cool) [the] {area} [(up|down)] to {temperature} [degrees]",
    "(bring|turn|put) it (up|down) to {temperature} degrees",
    "[(i would like|i want|make)] it [(a bit|a little)] (warmer|cooler) [in [the] {area}] "
    "[(say|to|at)] {temperature} [degrees]",
]

FAN_SPEED = [
    "(set|turn|put) [the] {name} [(up|down)] (to|on|at) {percentage} [percent]",
    "(set|turn|put) [the] fan [in [the] {area}] [(up|down)] (to|on|at) {percentage} [percent]",
    "[set] [the] {name} speed to {percentage} [percent]",
    "(set|turn|put) [the] {name} [up] to full [speed]{percentage=100}",
]

ADJUST_TEMPERATURE = [
    "(turn|bump|put) [the] (heating|heat|thermostat|temperature) up [a (bit|little)] "
    "[in [the] {area}]{change_degrees=1}",
    "(turn|put) [the] (heating|heat|thermostat|temperature) down [a (bit|little)] "
    "[in [the] {area}]{change_degrees=-1}",
    # A feeling said without a room: the room's thermostat, where it was said (said with a
    # room, "too warm in the kitchen" asks for the fan there, in TURN_ON).
    "it is [(too|very|really|so|quite|a bit|a little|far too|way too)] (warm|hot) [in here]"
    "{change_degrees=-1}",
    "it is [(too|very|really|so|quite|a bit|a little|far too|way too)] (cold|chilly|cool) "
    "[in here]{change_degrees=1}",
]
