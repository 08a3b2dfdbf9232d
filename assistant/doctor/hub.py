"""The doctor's checks of the home's microphones: every one has a room, and the hub's listener
for satellites is one start-up will accept.

A microphone without a room still works, but "turn on the lights" heard there names no room,
and a call for help from it goes out without one: a warning, with the setting to add.
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.doctor.check import Check
from assistant.errors import ConfigError
from assistant.hub.hub import listener_for


def check_rooms(settings: Settings) -> Check:
    hub = settings.hub
    unplaced = hub.without_room()
    if unplaced:
        fixes = [
            f'set room = "…" in [hub] (its own microphone, {name})' if name == hub.name
            else f'set room = "…" for {name} in [[hub.satellites]]'
            for name in unplaced
        ]  # fmt: skip
        return Check("rooms", "warn", f"no room set for {', '.join(unplaced)}", "; ".join(fixes))
    placed = [f"{hub.name} in {hub.room}"] if hub.own_audio else []
    placed += [f"{s.name} in {s.room}" for s in hub.satellites]
    if not placed:
        return Check("rooms", "info", "no microphone here ([hub] own_audio is off)")
    return Check("rooms", "ok", ", ".join(placed))


def check_hub_listener(settings: Settings) -> Check:
    """The listener `assistant run` opens for its satellites, judged as start-up judges it."""
    hub = settings.hub
    if not hub.satellites:
        return Check("satellites", "info", "none configured ([[hub.satellites]])")
    try:
        if hub.calling():  # else no listener opens
            listener_for(hub)
    except ConfigError as error:
        return Check("satellites", "fail", error.message, "set what the message names in [hub]")
    # Dialed satellites are not tried here: a stock wyoming-satellite serves the last server
    # to connect, so the doctor would take it from the running hub.
    said = []
    if calling := hub.calling():
        said.append(f"{', '.join(s.name for s in calling)} may connect to {hub.uri}")
    said += [f"the hub connects to {s.name} at {s.uri}" for s in hub.satellites if s.dialed]
    return Check("satellites", "ok", "; ".join(said))
