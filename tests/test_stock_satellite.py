"""The stock `wyoming-satellite` (rhasspy's, what Home Assistant users run on a Pi) as one of
the hub's satellites: the real program, in a virtual environment of its own (bootstrap.sh
installs it), with its wake word detected by our Wyoming wake service, as it would be by
wyoming-openwakeword. The hub connects to it (`[[hub.satellites]] uri`), as Home Assistant
does. Its microphone is a program that plays Piper speech in real time; its speaker a file.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.format import to_pcm16
from assistant.config import Settings
from assistant.config.hub import HubSettings, SatelliteEntry
from assistant.devices.broker import PrivateBroker, free_loopback_port
from assistant.devices.sim import Simulator
from assistant.hub.hub import Hub
from assistant.pipeline.assembly import Assembled
from assistant.wyoming.listener import start_listener
from assistant.wyoming.security import listener_security
from assistant.wyoming.services import ServiceConnection, Services
from tests.conftest import Speech, assembled_home, until

pytestmark = pytest.mark.models

ROOT = Path(__file__).resolve().parent.parent
STOCK_PYTHON = ROOT / ".venv-wyoming-satellite" / "bin" / "python"
MIC = Path(__file__).resolve().parent / "stock_satellite_mic.py"
SND_RATE_HZ = 16_000
DEADLINE_SECONDS = 60.0


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@pytest.fixture(scope="module")
async def home(
    broker: PrivateBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Assembled, Simulator, Settings]]:
    async with assembled_home(
        broker, tmp_path_factory.mktemp("state"), "stockhome",
        engines=("wake", "vad", "stt", "tts"), understanding={"model": False},
        vad={"no_speech_timeout_seconds": 3.0},
    ) as (built, simulator):  # fmt: skip
        assert built.home is not None and await built.home.ready()
        await built.home.registry.settle()
        yield built, simulator, built.engines.settings


@pytest.fixture(scope="module")
async def wake_service(home: tuple[Assembled, Simulator, Settings]) -> AsyncIterator[str]:
    """Our Wyoming wake word service on loopback: the stock satellite's --wake-uri."""
    assembled, _, _ = home
    services = Services.of(assembled)
    security = listener_security("tcp://127.0.0.1:0", allow=[], tls_cert=None, tls_key=None,
                                 secret=None, what="serve")  # fmt: skip
    server = await start_listener(
        "tcp://127.0.0.1:0", security, lambda r, w: ServiceConnection(r, w, services)
    )
    async with server:
        yield f"tcp://127.0.0.1:{server.sockets[0].getsockname()[1]}"


class StockSatellite:
    """wyoming-satellite 1.0.0, run as its README says, with a wake word service."""

    def __init__(self, folder: Path, name: str, wake_uri: str | None) -> None:
        self.folder, self.name, self.wake_uri = folder, name, wake_uri
        self.mic = folder / "mic"
        self.mic.mkdir(exist_ok=True)
        self.speaker = folder / "speaker.raw"
        self.speaker.touch()
        self.uri = f"tcp://127.0.0.1:{free_loopback_port()}"
        self.process: subprocess.Popen[bytes] | None = None
        self._said = 0

    def start(self) -> None:
        assert STOCK_PYTHON.exists(), f"{STOCK_PYTHON} is missing: run ./bootstrap.sh test"
        wake = ["--wake-uri", self.wake_uri, "--wake-word-name", "hey_jarvis"]
        command = [
            str(STOCK_PYTHON), "-m", "wyoming_satellite", "--name", self.name,
            "--area", "Kitchen", "--uri", self.uri, "--no-zeroconf", "--debug",
            "--mic-command", shlex.join([sys.executable, str(MIC), str(self.mic)]),
            "--snd-command", shlex.join(["sh", "-c", f"cat >> {shlex.quote(str(self.speaker))}"]),
            "--snd-command-rate", str(SND_RATE_HZ),
            *(wake if self.wake_uri else []),
        ]  # fmt: skip
        log = (self.folder / "satellite.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=log)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def log(self) -> str:
        return (self.folder / "satellite.log").read_text(errors="replace")

    def say(self, audio: np.ndarray) -> None:
        self._said += 1
        draft = self.mic / f"{self._said:04d}.part"
        draft.write_bytes(to_pcm16(audio).astype("<i2").tobytes())
        draft.rename(draft.with_suffix(".raw"))

    def heard_seconds(self) -> float:
        """Seconds of sound its speaker has played (16 kHz 16-bit mono)."""
        return self.speaker.stat().st_size / (2 * SND_RATE_HZ)


@contextlib.asynccontextmanager
async def hub_for(
    home: tuple[Assembled, Simulator, Settings], satellite: StockSatellite, room: str | None
) -> AsyncIterator[Hub]:
    assembled, simulator, settings = home
    entry = SatelliteEntry(name="kitchen-board", room=room, uri=satellite.uri)
    hub_settings = HubSettings(own_audio=False, satellites=[entry])
    hub = Hub(assembled, settings, hub_settings)
    await hub.__aenter__()
    try:
        yield hub
    finally:
        await hub.__aexit__(None, None, None)
        assembled.brain.reset()
        await simulator.reset()


@pytest.fixture
def stock(tmp_path: Path, wake_service: str) -> Iterator[StockSatellite]:
    satellite = StockSatellite(tmp_path, "Kitchen board", wake_service)
    satellite.start()
    yield satellite
    satellite.stop()


async def test_a_stock_wyoming_satellite_is_one_of_the_hubs_satellites(
    home: tuple[Assembled, Simulator, Settings], stock: StockSatellite, speech: Speech,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    _, simulator, _ = home
    caplog.set_level(logging.INFO, logger="assistant.hub")
    async with hub_for(home, stock, room=None) as hub:
        await until(lambda: "kitchen-board" in hub.links, f"connected\n{stock.log()}")
        link = hub.links["kitchen-board"]
        # No room in the hub's settings: the one the satellite gives itself (--area) holds.
        assert link.place is not None and link.place.room == "Kitchen"
        stock.say(speech.audio("Hey Jarvis, turn on the lights.", trail_seconds=2.0))
        await until(
            lambda: simulator.state("kitchen_ceiling")["state"] == "on",
            f"the kitchen light on\n{stock.log()}",
        )
        # The reply streams back and the satellite plays it.
        await until(lambda: stock.heard_seconds() > 0.5, f"the reply played\n{stock.log()}")
        assert hub.answered == {"kitchen-board": 1}
        assert simulator.commands("bedroom_lamp") == []
        # Back to listening for its wake word: a second command works the same way.
        stock.say(speech.audio("Hey Jarvis, turn off the lights.", trail_seconds=2.0))
        await until(
            lambda: simulator.state("kitchen_ceiling")["state"] == "off",
            f"the kitchen light off\n{stock.log()}",
        )
    assert "satellite kitchen-board connected at tcp://127.0.0.1:" in caplog.text
    assert "room Kitchen" in caplog.text


async def test_a_wake_word_with_nothing_after_it_sends_the_stock_satellite_back_to_waiting(
    home: tuple[Assembled, Simulator, Settings], stock: StockSatellite, speech: Speech
) -> None:
    _, simulator, _ = home
    async with hub_for(home, stock, room="Kitchen") as hub:
        await until(lambda: "kitchen-board" in hub.links, f"connected\n{stock.log()}")
        stock.say(speech.audio("Hey Jarvis.", trail_seconds=1.0))
        # No words: no transcript ends its stream; the hub's run-satellite must.
        await until(lambda: hub.answered.get("kitchen-board") == 1, "the empty turn over")
        stock.say(speech.audio("Hey Jarvis, turn on the lights.", trail_seconds=2.0))
        await until(
            lambda: simulator.state("kitchen_ceiling")["state"] == "on",
            f"the kitchen light on\n{stock.log()}",
        )


async def test_the_hub_connects_again_after_the_stock_satellite_restarts(
    home: tuple[Assembled, Simulator, Settings], stock: StockSatellite, speech: Speech
) -> None:
    _, simulator, _ = home
    async with hub_for(home, stock, room="Living room") as hub:
        await until(lambda: "kitchen-board" in hub.links, f"connected\n{stock.log()}")
        first = hub.links["kitchen-board"]
        stock.stop()  # the board rebooted
        await until(lambda: "kitchen-board" not in hub.links, "the loss noticed")
        stock.start()
        await until(
            lambda: hub.links.get("kitchen-board") not in (None, first),
            f"connected again\n{stock.log()}",
        )
        # The room set on the hub wins over the satellite's own --area.
        stock.say(speech.audio("Hey Jarvis, turn on the fan.", trail_seconds=2.0))
        await until(
            lambda: simulator.state("living_room_fan")["state"] == "on",
            f"the living room fan on\n{stock.log()}",
        )


async def test_a_stock_satellite_without_its_own_wake_word_is_told_what_to_run(
    home: tuple[Assembled, Simulator, Settings], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    satellite = StockSatellite(tmp_path, "Kitchen board", wake_uri=None)
    satellite.start()
    try:
        async with hub_for(home, satellite, room="Kitchen"):
            await until(lambda: "--wake-uri" in caplog.text, f"the warning\n{satellite.log()}")
            await until(lambda: "wake-word-on-satellite" in satellite.log(), "its error")
    finally:
        satellite.stop()
