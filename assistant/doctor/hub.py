"""The doctor's checks of the home's microphones: every one has a room, the hub's listener for
satellites is one start-up will accept, and, on a satellite, its hub can be reached.

A microphone without a room still works, but "turn on the lights" heard there names no room,
and a call for help from it goes out without one: a warning, with the setting to add.
"""

from __future__ import annotations

import asyncio
import socket

from assistant.config import Settings
from assistant.config.wyoming import tcp_address
from assistant.doctor.check import Check
from assistant.errors import ConfigError
from assistant.hub.hub import listener_for
from assistant.wyoming.mdns import HUB_SERVICE, find


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


_REACH_SECONDS = 3.0
_FIND_SECONDS = 5.0


def check_hub_reachable(settings: Settings) -> Check:
    """A satellite's hub accepts connections where it is configured (or is found on the
    network). Only connected to, never introduced to: a satellite of this name already
    connected would be replaced."""
    satellite = settings.satellite
    if satellite.finds_hub:
        try:
            found = asyncio.run(find(HUB_SERVICE, _FIND_SECONDS))
        except OSError as error:
            found, reason = None, f"cannot look on the network: {error}"
        else:
            reason = f"no hub announced itself within {_FIND_SECONDS:.0f} s"
        if found is None:
            fix = "set [hub] zeroconf = true on the hub, or [satellite] hub_uri to its address"
            return Check("hub", "fail", reason, fix)
        host, port, name = found
        where = f"{name!r} found on the network at {host} port {port}"
    else:
        host, port = tcp_address(satellite.hub_uri)
        where = satellite.hub_uri
    try:
        socket.create_connection((host, port), timeout=_REACH_SECONDS).close()
    except OSError as error:
        fix = "start `assistant run` with [[hub.satellites]] there, or correct [satellite] hub_uri"
        return Check("hub", "fail", f"the hub {where} cannot be reached: {error}", fix)
    return Check("hub", "ok", f"the hub {where} accepts connections ({satellite.name} is this one)")
