"""Random homes for training data: 5 to 300 devices over rooms, with varied names and aliases.

Names follow how people and integrations name things ("Kitchen ceiling light", "Desk lamp",
"Kettle plug", "Lounge drapes"); a name used twice gets its room in front, as Home Assistant
does when two rooms have a "Lamp".
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

ROOMS = [
    "Kitchen", "Living room", "Lounge", "Bedroom", "Master bedroom", "Guest room", "Kids room",
    "Nursery", "Bathroom", "En suite", "Hallway", "Landing", "Porch", "Garage", "Office",
    "Study", "Dining room", "Utility room", "Conservatory", "Attic", "Basement", "Garden",
    "Patio", "Playroom", "Laundry", "Pantry", "Front room", "Back room", "Den", "Library",
    "Gym", "Workshop", "Consultation room", "Waiting room", "Ward 2", "Reception",
    "Treatment room", "Staff room", "Loft", "Cellar", "Shed", "Sun room", "Boot room",
    "Studio", "Entrance", "Stairs", "Upstairs hall", "Downstairs toilet", "Games room",
]  # fmt: skip

# (kind, name patterns, weight): "{room}" is the room's name; others are used as written.
_PATTERNS: list[tuple[str, list[str], float]] = [
    ("light", ["{room} light", "{room} ceiling light", "{room} lamp", "{room} lights",
               "{room} spotlights", "{room} pendant", "{room} downlights", "{room} strip"], 5.0),
    ("light", ["Desk lamp", "Floor lamp", "Reading lamp", "Bedside lamp", "Table lamp",
               "Night light", "Porch light", "Landing light", "Fairy lights", "Wall light",
               "Standard lamp", "Uplighter", "Mirror light", "Cabinet lights"], 3.0),
    ("switch", ["Kettle plug", "Kettle", "Coffee machine", "TV plug", "Heater plug",
                "Fan heater", "Lamp plug", "Dehumidifier", "Electric blanket", "Printer plug",
                "Christmas tree", "Towel rail", "Water heater", "Fountain pump",
                "{room} plug", "{room} socket", "Speaker plug", "Monitor plug"], 2.5),
    ("fan", ["{room} fan", "Ceiling fan", "Desk fan", "Extractor fan", "Tower fan",
             "Air purifier"], 1.5),
    ("cover", ["{room} blinds", "{room} curtains", "{room} drapes", "{room} shades",
               "{room} shutters", "Roller blind", "Skylight blind", "Garage door",
               "Patio awning"], 1.8),
    ("climate", ["{room} thermostat", "{room} heating", "{room} radiator",
                 "{room} air conditioner", "Heating"], 1.2),
    ("lock", ["Front door lock", "Back door lock", "Side gate lock", "{room} door lock",
              "Front door", "Back door", "Shed lock", "Patio door lock"], 0.7),
    ("sensor", ["{room} sensor", "{room} temperature sensor", "{room} humidity sensor",
                "Fridge thermometer", "Medicine fridge", "Outdoor sensor"], 1.0),
    ("binary_sensor", ["{room} window", "{room} door contact", "Front door contact",
                       "Back door contact", "{room} motion sensor", "Letterbox sensor"], 0.8),
]  # fmt: skip

_ALIASES = {
    "Kettle plug": ["kettle"], "Coffee machine": ["coffee maker"], "TV plug": ["telly", "tv"],
    "Ceiling fan": ["fan"], "Heating": ["boiler"], "Fairy lights": ["twinkly lights"],
    "Night light": ["nightlight"], "Dehumidifier": ["damp machine"],
}  # fmt: skip


@dataclass(frozen=True)
class HomeDevice:
    """A made-up device: what retrieval and the prompt read of a real entity."""

    name: str
    kind: str
    area: str | None
    aliases: tuple[str, ...] = ()
    device_class: str | None = None
    speed: bool = False
    """A fan with a speed setting."""


@dataclass
class Home:
    devices: list[HomeDevice]
    rooms: list[str]
    here: str | None = None
    by_name: dict[str, HomeDevice] = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {device.name: device for device in self.devices}

    def add(self, device: HomeDevice) -> HomeDevice:
        """A device the request needs (a kettle for "tea"), unless one of that name exists."""
        if device.name not in self.by_name:
            self.devices.append(device)
            self.by_name[device.name] = device
        return self.by_name[device.name]

    def of_kinds(self, kinds: tuple[str, ...]) -> list[HomeDevice]:
        return [d for d in self.devices if d.kind in kinds]

    def in_room(self, room: str, kinds: tuple[str, ...] = ()) -> list[HomeDevice]:
        return [d for d in self.devices if d.area == room and (not kinds or d.kind in kinds)]


def random_home(rng: random.Random, size: int | None = None) -> Home:
    """A home of `size` devices (5 to 300; small homes are the most common)."""
    if size is None:
        size = int(min(300, max(5, rng.lognormvariate(2.6, 0.8))))
    room_count = max(1, min(len(ROOMS), size // rng.randint(2, 5) + 1))
    rooms = rng.sample(ROOMS, room_count)
    weights = [weight for _, _, weight in _PATTERNS]
    devices: dict[str, HomeDevice] = {}
    attempts = 0
    while len(devices) < size and attempts < size * 20:
        attempts += 1
        kind, patterns, _ = rng.choices(_PATTERNS, weights)[0]
        pattern = rng.choice(patterns)
        room = rng.choice(rooms)
        name = pattern.format(room=room)
        if name in devices and "{room}" not in pattern:
            name = f"{room} {name[0].lower()}{name[1:]}"
        if name in devices or (kind == "climate" and pattern == "Heating" and size > 8):
            continue
        if "{room}" not in pattern and rng.random() < 0.15:
            room_of_device: str | None = None  # declared without a room
        else:
            room_of_device = room
        aliases = tuple(_ALIASES.get(name, [])) if rng.random() < 0.5 else ()
        device_class = "garage" if "Garage door" in name else None
        speed = kind == "fan" and rng.random() < 0.7
        devices[name] = HomeDevice(name, kind, room_of_device, aliases, device_class, speed)
    used_rooms = [room for room in rooms if any(d.area == room for d in devices.values())]
    ordered = sorted(devices.values(), key=lambda d: (d.area or "~", d.name))
    return Home(ordered, used_rooms)
