"""Satellites and their hub, on loopback, through their real code paths.

Three satellites, each with a virtual sound card, its own wake word and voice detector models,
connect to a hub (the real runtime: models, skills, the simulated home on a private Mosquitto)
over the Wyoming listener. Speech synthesized with Piper is said into all three cards at once,
at different levels, as one person heard by three boards at different distances.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from assistant.cli.bench import run_bench
from assistant.config import Settings
from assistant.config.hub import HubSettings, SatelliteEntry, SatelliteSettings
from assistant.devices.broker import PrivateBroker, free_loopback_port
from assistant.devices.sim import Simulator
from assistant.engines import Engines
from assistant.hub.hub import Hub
from assistant.live.loop import LiveAssistant
from assistant.live.virtual_card import VirtualSoundCard
from assistant.pipeline.assembly import Assembled
from assistant.satellite.satellite import Satellite
from assistant.skill_testing import TrafficRecorder
from tests.conftest import Speech, assembled_home, until

pytestmark = pytest.mark.models

SAY_RATE_HZ = 16_000
DEADLINE_SECONDS = 60.0
ROOMS: dict[str, str | None] = {"bedroom": "Bedroom", "kitchen": "Kitchen", "lounge": "Living room"}
# Generous, so that a busy machine's slow board still reports within it; the choice is made as
# soon as all three have reported, so it costs nothing when they do.
WINDOW_SECONDS = 2.0


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@pytest.fixture(scope="module")
async def home(
    broker: PrivateBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Assembled, Simulator, Settings]]:
    async with assembled_home(
        broker, tmp_path_factory.mktemp("state"), "sathome",
        engines=("wake", "vad", "stt", "tts"),
        understanding={"model": False},
        safety={"exposed": ["lock.front_door_lock"]},
        audio={"follow_up_seconds": 4.0, "volume": 1.0},
        vad={"no_speech_timeout_seconds": 3.0},
    ) as (built, simulator):  # fmt: skip
        assert built.home is not None and await built.home.ready()
        await built.home.registry.settle()
        yield built, simulator, built.engines.settings


@pytest.fixture(scope="module")
def boards(home: tuple[Assembled, Simulator, Settings]) -> Iterator[dict[str, Engines]]:
    """Each satellite's own models (wake word, voice detector): they keep state per stream."""
    _, _, settings = home
    loaded = {name: Engines(settings) for name in ROOMS}
    for engines in loaded.values():
        engines.load("wake", "vad")
    yield loaded
    for engines in loaded.values():
        engines.close()


@dataclass
class Board:
    """One microphone and speaker of the home: a satellite's, or the hub's own."""

    card: VirtualSoundCard
    satellite: Satellite | None = None
    own: LiveAssistant | None = None

    def heard_since(self, since: float) -> float:
        """Seconds of sound its speaker played since then."""
        return self.card.sound_seconds_since(since)

    def listening(self) -> bool:
        if self.satellite is not None:
            return self.satellite.listening_for_wake.is_set()
        assert self.own is not None
        return self.own.listening_for_wake.is_set()

    async def drained(self) -> None:
        if self.satellite is not None:
            await self.satellite.station.speaker.drained()
        elif self.own is not None:
            await self.own.speaker.drained()


class Home:
    """A hub and its satellites (and its own microphone, when it has one), running; the hub
    can be stopped and started again on the same address."""

    def __init__(
        self, home: tuple[Assembled, Simulator, Settings], hub: HubSettings
    ) -> None:  # fmt: skip
        self.assembled, self.simulator, self.settings = home
        self.hub_settings = hub
        self.boards: dict[str, Board] = {}
        self._hub: Hub | None = None

    @property
    def hub(self) -> Hub:
        assert self._hub is not None, "the hub is not running"
        return self._hub

    async def start_hub(self) -> None:
        hub = Hub(self.assembled, self.settings, self.hub_settings)
        self._hub = await hub.__aenter__()

    async def stop_hub(self) -> None:
        hub, self._hub = self._hub, None
        if hub is not None:
            await hub.__aexit__(None, None, None)

    def say(self, audio: np.ndarray, loudest: str, *, alone: bool = False) -> float:
        """Said near `loudest`: it hears it at 0 dB, the others 10, 20, 30 dB lower (or not at
        all, `alone`). Returns when it was said."""
        others = [name for name in self.boards if name != loudest]
        started = time.monotonic()
        for index, name in enumerate([loudest, *others]):
            if alone and name != loudest:
                continue
            gain = 10 ** (-10 * index / 20)
            self.boards[name].card.say((audio * gain).astype(np.float32), SAY_RATE_HZ)
        return started

    def decisions(self) -> int:
        return len(self.hub.arbiter.decisions)

    def answered(self, name: str) -> int:
        own = self.boards[name].own
        return own.stats.turns if own is not None else self.hub.answered.get(name, 0)

    async def all_connected(self) -> None:
        satellites = {name for name, board in self.boards.items() if board.satellite}
        await until(lambda: set(self.hub.links) == satellites, "satellites connected")
        for board in self.boards.values():
            if board.satellite is not None:
                await until(board.satellite.hub.connected.is_set, "satellite accepted")
            await until(board.listening, "listening for the wake word")

    async def turn_at(self, loudest: str, audio: np.ndarray) -> float:
        """Say it near `loudest`, and wait until that microphone has answered it."""
        before, answered = self.decisions(), self.answered(loudest)
        started = self.say(audio, loudest)
        await until(lambda: self.decisions() == before + 1, "a decision")
        await until(lambda: self.answered(loudest) > answered, f"{loudest}'s turn")
        return started


@contextlib.asynccontextmanager
async def running_home(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], *,
    rooms: dict[str, str | None] = ROOMS, own_room: str | None = None,
    find_hub: Path | None = None, **hub: object,
) -> AsyncIterator[Home]:  # fmt: skip
    """The hub and a satellite for each of `rooms`; with `own_room`, the hub's own microphone
    too (named "hub", in that room); with `find_hub`, the hub's certificate, the satellites
    find the hub on the network (mDNS) instead of being told its address, and check it."""
    assembled, simulator, settings = home
    uri = f"tcp://127.0.0.1:{free_loopback_port()}"
    entries = [SatelliteEntry(name=name, room=room) for name, room in rooms.items()]
    house = Home(home, HubSettings.model_validate({
        "uri": uri, "own_audio": own_room is not None, "room": own_room, "satellites": entries,
        "arbitration_window_seconds": WINDOW_SECONDS, **hub,
    }))  # fmt: skip
    stop = asyncio.Event()
    tasks = []
    await house.start_hub()
    try:
        if house.hub.own is not None:
            card = VirtualSoundCard()
            own = LiveAssistant(assembled, settings, card, membership=house.hub.own)
            house.boards["hub"] = Board(card, own=own)
            tasks.append(asyncio.create_task(own.run(stop)))
        for name in rooms:
            link = SatelliteSettings(hub_uri="zeroconf" if find_hub else uri, name=name,
                                     tls_ca=find_hub, reconnect_min_seconds=0.1,
                                     reconnect_max_seconds=1.0)  # fmt: skip
            card = VirtualSoundCard()
            satellite = Satellite(boards[name], settings, link, card)
            house.boards[name] = Board(card, satellite=satellite)
            tasks.append(asyncio.create_task(satellite.run(stop)))
        await house.all_connected()
        yield house
    finally:
        stop.set()
        done, _ = await asyncio.wait(tasks, timeout=DEADLINE_SECONDS) if tasks else (set(), None)
        await house.stop_hub()
        assert len(done) == len(tasks), "a satellite did not stop"
        assembled.brain.reset()
        await simulator.reset()


async def test_the_loudest_satellite_answers_and_the_others_stand_down_silently(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    said = speech.audio("Hey Jarvis, what time is it?", trail_seconds=2.0)
    async with running_home(home, boards) as house:
        for loudest in ["kitchen", "bedroom", "lounge", "kitchen"]:
            with caplog.at_level(logging.INFO, logger="assistant.hub.arbiter"):
                started = await house.turn_at(loudest, said)
            winner, candidates = house.hub.arbiter.decisions[-1]
            assert winner.satellite == loudest, candidates
            winner_board = house.boards[loudest]
            await until(lambda: winner_board.heard_since(started) > 1.0, "chime and reply")  # noqa: B023
            await winner_board.drained()
            for name, board in house.boards.items():
                if name != loudest:
                    assert board.heard_since(started) == 0.0, f"{name} made a sound"
            for board in house.boards.values():
                await until(board.listening, "back on the wake word")
    decisions = [r.getMessage() for r in caplog.records if "answers (rule best" in r.getMessage()]
    print("\n".join(decisions))
    assert len(decisions) == 4


async def test_the_room_of_the_satellite_decides_which_lights_switch(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech
) -> None:
    _, simulator, _ = home
    said = speech.audio("Hey Jarvis, turn on the lights.", trail_seconds=2.0)
    async with running_home(home, boards) as house:
        await house.turn_at("bedroom", said)
        await until(lambda: simulator.state("bedroom_lamp")["state"] == "on", "bedroom lamp on")
        assert simulator.state("bedroom_reading_lamp")["state"] == "on"
        await house.boards["bedroom"].drained()
        # Nothing anywhere else: the kitchen's and the consultation room's lights had no
        # command at all.
        assert simulator.commands("kitchen_ceiling") == []
        assert simulator.commands("consultation_light") == []


async def test_a_satellite_that_loses_its_hub_sounds_an_error_and_comes_back_by_itself(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech
) -> None:
    _, simulator, _ = home
    async with running_home(home, boards) as house:
        bedroom = house.boards["bedroom"]
        assert bedroom.satellite is not None
        connections = bedroom.satellite.hub.connections
        await house.stop_hub()  # the hub's process went away: listener and connections
        for board in house.boards.values():
            assert board.satellite is not None
            connected = board.satellite.hub.connected
            await until(lambda: not connected.is_set(), "hub gone noticed")  # noqa: B023
        await until(bedroom.satellite.listening_for_wake.is_set, "still listening")
        started = house.say(speech.audio("Hey Jarvis.", trail_seconds=1.0), "bedroom", alone=True)
        await until(lambda: bedroom.satellite.stats.unconnected_wakes == 1, "wake word heard")
        await until(lambda: bedroom.heard_since(started) > 0.2, "the error sound")
        await house.start_hub()  # back: the satellites find it with their backoff, unrestarted
        await house.all_connected()
        assert bedroom.satellite.hub.connections == connections + 1
        said = speech.audio("Hey Jarvis, turn on the living room fan.", trail_seconds=2.0)
        await house.turn_at("bedroom", said)
        await until(lambda: simulator.state("living_room_fan")["state"] == "on", "fan on")


async def test_satellites_find_a_hub_that_announces_itself_on_the_network(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech,
    caplog: pytest.LogCaptureFixture, certificate: tuple[Path, Path],
) -> None:  # fmt: skip
    _, simulator, _ = home
    caplog.set_level(logging.INFO)
    cert, key = certificate
    rooms: dict[str, str | None] = {"bedroom": "Bedroom", "kitchen": "Kitchen"}
    async with running_home(
        home, boards, rooms=rooms, find_hub=cert, zeroconf=True, tls_cert=cert, tls_key=key
    ) as house:
        assert house.hub.address is not None
        port = house.hub.address[1]
        assert (
            "found the hub 'hub on " in caplog.text and f"at 127.0.0.1 port {port}" in caplog.text
        )
        said = speech.audio("Hey Jarvis, turn on the lights.", trail_seconds=2.0)
        await house.turn_at("kitchen", said)
        await until(lambda: simulator.state("kitchen_ceiling")["state"] == "on", "kitchen light")


async def test_a_call_for_help_carries_the_room_the_words_and_the_satellite(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech,
    broker: PrivateBroker,
) -> None:  # fmt: skip
    assembled, _, _ = home
    assert assembled.home is not None
    topic = "assistant/alerts/assistance"
    said = speech.audio("Hey Jarvis, I have fallen, call the nurse.", trail_seconds=2.0)
    async with (
        TrafficRecorder(assembled.home.settings.mqtt, topic) as alerts,
        running_home(home, boards) as house,
    ):
        await house.turn_at("bedroom", said)
        await until(lambda: bool(alerts.on(topic)), "the alert published")
    alert = json.loads(alerts.on(topic)[0].payload)
    assert alert["room"] == "Bedroom" and alert["satellite"] == "bedroom", alert
    assert "fall" in alert["words"].lower(), alert
    assert alert["text"] == "Someone has fallen and needs help.", alert


async def test_the_hubs_own_microphone_is_one_more_satellite(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech
) -> None:
    _, simulator, _ = home
    rooms: dict[str, str | None] = {"bedroom": "Bedroom", "lounge": "Living room"}
    async with running_home(home, boards, rooms=rooms, own_room="Kitchen") as house:
        lights = speech.audio("Hey Jarvis, turn on the lights.", trail_seconds=2.0)
        started = await house.turn_at("hub", lights)
        winner, candidates = house.hub.arbiter.decisions[-1]
        assert winner.satellite == "hub" and len(candidates) == 3, candidates
        # Its turn is in its own room: the kitchen's light, and nothing in the bedroom.
        await until(lambda: simulator.state("kitchen_ceiling")["state"] == "on", "kitchen light")
        await house.boards["hub"].drained()
        assert simulator.commands("bedroom_lamp") == []
        assert house.boards["bedroom"].heard_since(started) == 0.0
        assert house.boards["lounge"].heard_since(started) == 0.0
        for board in house.boards.values():
            await until(board.listening, "back on the wake word")
        time_asked = speech.audio("Hey Jarvis, what time is it?", trail_seconds=2.0)
        started = await house.turn_at("bedroom", time_asked)
        assert house.hub.arbiter.decisions[-1][0].satellite == "bedroom"
        await until(lambda: house.boards["bedroom"].heard_since(started) > 1.0, "the reply")
        assert house.boards["hub"].heard_since(started) == 0.0


async def test_a_question_is_answered_at_the_satellite_without_the_wake_word(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech
) -> None:
    _, simulator, _ = home
    async with running_home(home, boards) as house:
        lounge = house.boards["lounge"].satellite
        assert lounge is not None
        # "Please" keeps the verb clear of the wake word's tail, as in test_live.
        asked = speech.audio("Hey Jarvis, please unlock the front door.", trail_seconds=1.0)
        await house.turn_at("lounge", asked)  # "Do you really want me to unlock …?"
        await until(lambda: lounge.stats.commands == 2, "streaming the answer")
        house.say(speech.audio("Yes.", trail_seconds=1.5), "lounge", alone=True)
        await until(lambda: simulator.state("front_door_lock")["state"] == "unlocked",
                    "the answer acted on")  # fmt: skip
        assert lounge.stats.wakes == 1  # one wake word, two turns


async def test_the_wake_word_during_a_question_starts_a_new_command_whole(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech
) -> None:
    _, simulator, _ = home
    async with running_home(home, boards) as house:
        lounge = house.boards["lounge"]
        assert lounge.satellite is not None
        asked = speech.audio("Hey Jarvis, please unlock the front door.", trail_seconds=1.0)
        started = await house.turn_at("lounge", asked)  # "Do you really want me to unlock …?"
        await until(lambda: lounge.heard_since(started) > 0.5, "the question playing")
        # Barge-in: a new command, wake word and all, over the question. The question's
        # conversation ends, and must leave the new one's audio whole.
        said = speech.audio("Hey Jarvis, turn on the living room fan.", trail_seconds=2.0)
        house.say(said, "lounge", alone=True)
        await until(lambda: simulator.state("living_room_fan")["state"] == "on", "fan on")
        assert simulator.state("front_door_lock")["state"] == "locked"
        # And the hub goes on answering there.
        said = speech.audio("Hey Jarvis, turn off the living room fan.", trail_seconds=2.0)
        house.say(said, "lounge", alone=True)
        await until(lambda: simulator.state("living_room_fan")["state"] == "off", "fan off")


async def test_a_timer_rings_on_the_satellite_that_set_it(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines], speech: Speech
) -> None:
    assembled, _, _ = home
    announcer = assembled.skills.announcer
    async with running_home(home, boards) as house:
        rung = len(announcer.history)
        said = speech.audio("Hey Jarvis, set a timer for 3 seconds.", trail_seconds=2.0)
        started = await house.turn_at("kitchen", said)
        await until(lambda: len(announcer.history) > rung, "the timer rang")
        rang = announcer.history[-1]
        assert rang.place is not None and rang.place.satellite == "kitchen", rang
        rang_at = time.monotonic()
        await until(lambda: house.boards["kitchen"].heard_since(rang_at) > 1.0, "heard there")
        for name in ("bedroom", "lounge"):
            assert house.boards[name].heard_since(started) == 0.0, f"{name} made a sound"


async def test_an_announcement_from_no_place_plays_on_every_satellite_of_a_hub_without_audio(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines]
) -> None:
    assembled, _, _ = home
    async with running_home(home, boards) as house:
        said_at = time.monotonic()
        await assembled.skills.announcer.announce("The washing machine has finished.")
        for name, board in house.boards.items():
            await until(lambda: board.heard_since(said_at) > 1.0, f"heard at {name}")  # noqa: B023


async def test_a_satellite_without_a_room_is_named_once_at_start_up(
    home: tuple[Assembled, Simulator, Settings], boards: dict[str, Engines],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    rooms: dict[str, str | None] = {"bedroom": "Bedroom", "kitchen": None}
    with caplog.at_level(logging.WARNING, logger="assistant.hub"):
        async with running_home(home, boards, rooms=rooms) as house:
            kitchen = house.hub.links["kitchen"]
            assert kitchen.place is not None and kitchen.place.room is None
    unplaced = [r.getMessage() for r in caplog.records if "no room set" in r.getMessage()]
    assert len(unplaced) == 1 and unplaced[0].startswith("kitchen has no room set"), unplaced


async def test_the_bench_times_a_satellite_beside_the_single_board(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    quick = settings.model_copy(update={"understanding": settings.understanding.model_copy(
        update={"model": False})})  # fmt: skip
    status = await run_bench(quick, 1, idle_seconds=0.0, as_json=True, satellite=True)
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status == 0, report
    assert report["satellite_replied"] == report["replied"] == 1
    assert report["satellite_end_to_end_ms"]["p50"] > 0
