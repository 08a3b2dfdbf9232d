"""Who may be a satellite of the hub: its listener on real TCP, a satellite's own connection to
it (TLS with the shared secret where configured), and the refusals, each logged. The runtime
behind the hub has no models: nothing here listens or speaks."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from wyoming.event import Event

from assistant.config.hub import HubSettings, SatelliteSettings
from assistant.hub.hub import Hub
from assistant.pipeline.assembly import Assembled
from assistant.satellite.connection import HubConnection
from assistant.skill_testing import assembled_in

SECRET = "a-shared-secret-of-thirty-two-ch"
DEADLINE_SECONDS = 20.0


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE_SECONDS} s: {what}")
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
async def runtime(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Assembled]:
    async with assembled_in(None, tmp_path_factory.mktemp("hub")) as assembled:
        yield assembled


class Connecting:
    """A satellite's connection to the hub, running until the test ends."""

    def __init__(self, hub: Hub, name: str, **settings: Any) -> None:
        assert hub.address is not None
        host, port = hub.address
        link = SatelliteSettings(hub_uri=f"tcp://{host}:{port}", name=name,
                                 reconnect_min_seconds=0.05, reconnect_max_seconds=0.2,
                                 **settings)  # fmt: skip
        self.events: list[Event] = []
        self.connection = HubConnection(link, name, ["hey_jarvis"], self._on_event)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.connection.run(self.stop))

    async def _on_event(self, event: Event) -> None:
        self.events.append(event)

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, DEADLINE_SECONDS)


def hub_settings(**values: Any) -> HubSettings:
    return HubSettings.model_validate({"uri": "tcp://127.0.0.1:0", "own_audio": False, **values})


async def test_a_configured_satellite_is_accepted_with_its_room(runtime: Assembled) -> None:
    settings = hub_settings(satellites=[{"name": "kitchen", "room": "Kitchen"}])
    async with Hub(runtime, runtime.engines.settings, settings) as hub:
        kitchen = Connecting(hub, "kitchen")
        await until(kitchen.connection.connected.is_set, "accepted")
        link = hub.links["kitchen"]
        assert link.place is not None and (link.place.satellite, link.place.room) == (
            "kitchen", "Kitchen")  # fmt: skip
        await kitchen.close()
        await until(lambda: "kitchen" not in hub.links, "gone from the hub")


async def test_a_satellite_the_hub_does_not_know_is_refused_and_logged(
    runtime: Assembled, caplog: pytest.LogCaptureFixture
) -> None:
    settings = hub_settings(satellites=[{"name": "kitchen", "room": "Kitchen"}])

    def logged(text: str) -> bool:
        return any(text in record.getMessage() for record in caplog.records)

    with caplog.at_level(logging.INFO):
        async with Hub(runtime, runtime.engines.settings, settings) as hub:
            stranger = Connecting(hub, "garage")
            await until(lambda: logged("refused a satellite named 'garage'"), "refused")
            await until(lambda: logged("the hub refused this satellite: no satellite 'garage'"),
                        "the satellite told so")  # fmt: skip
            assert not stranger.connection.connected.is_set() and hub.links == {}
            await stranger.close()


async def test_a_satellite_must_connect_from_its_own_address(
    runtime: Assembled, caplog: pytest.LogCaptureFixture
) -> None:
    settings = hub_settings(satellites=[
        {"name": "kitchen", "room": "Kitchen", "address": "127.0.0.1"},
        {"name": "bedroom", "room": "Bedroom", "address": "127.0.0.2"},
    ])  # fmt: skip
    with caplog.at_level(logging.INFO):
        async with Hub(runtime, runtime.engines.settings, settings) as hub:
            impostor = Connecting(hub, "bedroom")  # from 127.0.0.1: the kitchen's address
            await until(lambda: any("refused bedroom from 127.0.0.1" in r.getMessage()
                                    for r in caplog.records), "refused")  # fmt: skip
            kitchen = Connecting(hub, "kitchen")
            await until(kitchen.connection.connected.is_set, "the kitchen accepted")
            assert set(hub.links) == {"kitchen"}
            await impostor.close()
            await kitchen.close()


async def test_over_tls_only_the_satellite_with_the_secret_is_accepted(
    runtime: Assembled, certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = certificate
    settings = hub_settings(
        satellites=[{"name": "kitchen", "room": "Kitchen"}, {"name": "bedroom", "room": "Bedroom"}],
        tls_cert=cert, tls_key=key, secret=SECRET,
    )  # fmt: skip
    with caplog.at_level(logging.INFO):
        async with Hub(runtime, runtime.engines.settings, settings) as hub:
            kitchen = Connecting(hub, "kitchen", secret=SECRET, tls_ca=cert)
            guesser = Connecting(hub, "bedroom", secret=SECRET[:-1] + "x", tls_ca=cert)
            await until(kitchen.connection.connected.is_set, "the kitchen accepted")
            await until(lambda: any("wrong secret" in r.getMessage() for r in caplog.records),
                        "the wrong secret refused")  # fmt: skip
            assert set(hub.links) == {"kitchen"}
            await kitchen.close()
            await guesser.close()
