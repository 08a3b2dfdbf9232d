"""`assistant bench --satellite`: a satellite of this runtime, over loopback, in this process.

The satellite is the real one (`assistant.satellite`): its own wake word and voice detector
models, its own virtual sound card, and a Wyoming connection to a hub (`assistant.hub`) that
runs on the bench's own assembled runtime, the same models and skills the single board uses.
The hub has no microphone of its own and this is its only satellite, so each wake word is
decided as soon as the satellite reports it: what is measured is the satellite's path, not an
arbitration window.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from assistant.config import Settings
from assistant.config.hub import HubSettings, SatelliteEntry, SatelliteSettings
from assistant.engines import EngineName, Engines
from assistant.hub.hub import Hub
from assistant.live.virtual_card import VirtualSoundCard
from assistant.pipeline.assembly import Assembled
from assistant.satellite.satellite import Satellite

NAME = "bench"
_CONNECT_SECONDS = 30.0


@dataclass
class SatelliteUnderTest:
    hub: Hub
    satellite: Satellite
    card: VirtualSoundCard

    def turns(self) -> int:
        return self.hub.answered.get(NAME, 0)


@contextlib.asynccontextmanager
async def satellite_on_loopback(
    assembled: Assembled, settings: Settings
) -> AsyncIterator[SatelliteUnderTest]:
    """A hub on a free loopback port with one satellite connected to it and listening."""
    hub_settings = HubSettings(
        uri="tcp://127.0.0.1:0", own_audio=False,
        satellites=[SatelliteEntry(name=NAME, room="Kitchen")],
    )  # fmt: skip
    engines = Engines(settings)
    models: tuple[EngineName, ...] = ("wake", "vad")
    try:
        for model in models:
            await engines.run(model, engines.load, model)
        async with Hub(assembled, settings, hub_settings) as hub:
            assert hub.address is not None  # it listens: it has a satellite
            host, port = hub.address
            link = SatelliteSettings(hub_uri=f"tcp://{host}:{port}", name=NAME)
            card = VirtualSoundCard()
            satellite = Satellite(engines, settings, link, card)
            stop = asyncio.Event()
            task = asyncio.create_task(satellite.run(stop))
            try:
                deadline = time.monotonic() + _CONNECT_SECONDS
                while not (satellite.hub.connected.is_set()
                           and satellite.listening_for_wake.is_set()):  # fmt: skip
                    if time.monotonic() > deadline:
                        raise TimeoutError("the bench's satellite did not connect to its hub")
                    await asyncio.sleep(0.05)
                yield SatelliteUnderTest(hub, satellite, card)
            finally:
                hub.closing = True
                stop.set()
                await task
    finally:
        engines.close()
