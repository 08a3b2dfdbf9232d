"""Who may be a satellite of the hub: its listener on real TCP, a satellite's own connection to
it (TLS with the shared secret where configured), and the refusals, each logged. The runtime
behind the hub has no models: nothing here listens or speaks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from wyoming.audio import AudioChunk
from wyoming.event import Event, async_write_event

from assistant.config.hub import HubSettings, SatelliteSettings
from assistant.hub.hub import Hub
from assistant.pipeline.assembly import Assembled
from assistant.satellite.connection import HubConnection
from assistant.satellite.protocol import satellite_info
from assistant.skill_testing import assembled_in
from tests.conftest import until

SECRET = "a-shared-secret-of-thirty-two-ch"
DEADLINE_SECONDS = 20.0


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
            await until(lambda: any("named 'bedroom' from 127.0.0.1: it connects from 127.0.0.2"
                                    in r.getMessage()
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


def logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in record.getMessage() for record in caplog.records)


async def test_a_client_taking_the_name_of_a_satellite_the_hub_connects_to_is_refused(
    runtime: Assembled, caplog: pytest.LogCaptureFixture
) -> None:
    # The stock satellite's port is closed: the hub keeps trying it in the background.
    settings = hub_settings(satellites=[
        {"name": "kitchen", "room": "Kitchen"},
        {"name": "stock", "room": "Hall", "uri": "tcp://127.0.0.1:9"},
    ])  # fmt: skip
    with caplog.at_level(logging.INFO):
        async with Hub(runtime, runtime.engines.settings, settings) as hub:
            impostor = Connecting(hub, "stock")
            await until(lambda: logged(caplog, "the hub connects to it, at tcp://127.0.0.1:9"),
                        "refused")  # fmt: skip
            await until(lambda: logged(caplog, "stock is not admitted this way"), "told")
            assert "stock" not in hub.links
            await impostor.close()


async def test_a_malformed_event_is_dropped_and_the_satellite_stays(
    runtime: Assembled, caplog: pytest.LogCaptureFixture
) -> None:
    settings = hub_settings(satellites=[{"name": "kitchen", "room": "Kitchen"}])
    with caplog.at_level(logging.INFO):
        async with Hub(runtime, runtime.engines.settings, settings) as hub:
            kitchen = Connecting(hub, "kitchen")
            await until(kitchen.connection.connected.is_set, "accepted")
            link = hub.links["kitchen"]
            stream = link.expect_audio()
            no_width = Event(type="audio-chunk", data={"rate": 16000, "channels": 1},
                             payload=b"\0" * 2560)  # fmt: skip
            assert await kitchen.connection.send(no_width, no_width)
            await until(lambda: logged(caplog, "kitchen sent a malformed audio-chunk"), "said")
            good = AudioChunk(16000, 2, 1, b"\0" * 2560).event()
            assert await kitchen.connection.send(good)
            frame = await asyncio.wait_for(stream.get(), DEADLINE_SECONDS)
            assert frame is not None and len(frame) == 1280  # 80 ms at 16 kHz
            assert hub.links.get("kitchen") is link and not link.closed.is_set()
            warned = [r for r in caplog.records if "malformed" in r.getMessage()]
            assert len(warned) == 1  # once for the kind, not for each chunk
            await kitchen.close()


async def test_a_newer_stream_ends_the_older_which_then_leaves_it_alone(
    runtime: Assembled,
) -> None:
    settings = hub_settings(satellites=[{"name": "kitchen", "room": "Kitchen"}])
    async with Hub(runtime, runtime.engines.settings, settings) as hub:
        kitchen = Connecting(hub, "kitchen")
        await until(kitchen.connection.connected.is_set, "accepted")
        link = hub.links["kitchen"]
        await until(lambda: len(kitchen.events) == 1, "run-satellite")
        asked = link.expect_audio()  # the answer to a question, listened for
        woken = link.expect_audio()  # a wake word just then: it takes over
        assert asked.get_nowait() is None  # the older turn ends with what it had
        link.stop_audio(asked, tell=True)  # that turn finishing does nothing to the newer
        link.stand_down(asked)
        assert link.current(woken) and woken.empty()
        link.stop_audio(woken, tell=True)
        await until(lambda: [e.type for e in kitchen.events][-1:] == ["voice-stopped"], "told")
        # Once, for the newer: the older turn's end and stand-down said nothing.
        assert [e.type for e in kitchen.events] == ["run-satellite", "voice-stopped"]
        await kitchen.close()


async def test_a_satellite_silent_past_the_limit_is_let_go(
    runtime: Assembled, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ours ping every 5 s; one that lost power says nothing, and closes nothing.
    monkeypatch.setattr("assistant.hub.link._SILENCE_LIMIT_SECONDS", 0.5)
    settings = hub_settings(satellites=[{"name": "kitchen", "room": "Kitchen"}])
    with caplog.at_level(logging.INFO):
        async with Hub(runtime, runtime.engines.settings, settings) as hub:
            assert hub.address is not None
            _, writer = await asyncio.open_connection(*hub.address)
            await async_write_event(satellite_info("kitchen", ["hey_jarvis"]), writer)
            await until(lambda: "kitchen" in hub.links, "accepted")
            await until(lambda: "kitchen" not in hub.links, "let go")  # it never pings
            assert logged(caplog, "nothing heard for")
            writer.close()
