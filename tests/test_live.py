"""The live loop through its real code path: a sound card driven in real time by the test.

Speech synthesized with Piper is "said" into the capture callback, the models and the
simulated home are real, and what reaches the speaker is recorded and, where it matters,
transcribed again with Whisper.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from assistant.audio.resample import resample
from assistant.config import Settings, load_settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.sim import Simulator, load_home, simulator_connection
from assistant.events import Event, WakeDetected
from assistant.live.loop import LiveAssistant
from assistant.live.virtual_card import VirtualSoundCard
from assistant.pipeline.assembly import Assembled, assemble
from assistant.service import notify
from tests.conftest import Speech

pytestmark = pytest.mark.models

SAY_RATE_HZ = 16_000


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@pytest.fixture(scope="module")
async def home(
    broker: PrivateBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Assembled, Simulator, Settings]]:
    prefix = "livehome"
    settings = load_settings(
        mqtt={"host": broker.host, "port": broker.port, "discovery_prefix": prefix},
        storage={"state_dir": tmp_path_factory.mktemp("state")},
        understanding={"model": False},
        audio={"follow_up_seconds": 4.0, "stall_seconds": 1.0, "volume": 1.0},
        vad={"no_speech_timeout_seconds": 3.0},
    )
    connection = simulator_connection(settings.mqtt, client_id=f"sim-{prefix}")
    await connection.start()
    assert await connection.wait_connected(5)
    simulator = Simulator(connection, load_home(), discovery_prefix=prefix,
                          control_topic=f"{prefix}/control")  # fmt: skip
    await simulator.start()
    try:
        async with assemble(settings, engines=("wake", "vad", "stt", "tts"), role=prefix) as built:
            assert built.home is not None and await built.home.ready()
            await built.home.registry.settle()
            yield built, simulator, settings
    finally:
        await simulator.stop(remove=True)
        await connection.stop()


async def until(condition: Callable[[], bool], timeout_seconds: float, what: str) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_seconds} s: {what}")
        await asyncio.sleep(0.05)


class Running:
    def __init__(self, assistant: LiveAssistant, card: VirtualSoundCard) -> None:
        self.assistant, self.card = assistant, card
        self.events: list[Event] = []

    def wakes(self) -> int:
        return sum(isinstance(event, WakeDetected) for event in self.events)


@pytest.fixture
async def live(
    home: tuple[Assembled, Simulator, Settings],
) -> AsyncIterator[Running]:
    assembled, simulator, settings = home
    card = VirtualSoundCard()
    assistant = LiveAssistant(assembled, settings, card)
    running = Running(assistant, card)
    unsubscribe = assembled.runner.bus.subscribe(running.events.append)
    stop = asyncio.Event()
    task = asyncio.create_task(assistant.run(stop))
    await until(assistant.listening_for_wake.is_set, 10, "listening")
    try:
        yield running
    finally:
        stop.set()
        done, _ = await asyncio.wait([task], timeout=10)
        if not done:
            for other in asyncio.all_tasks():
                other.print_stack()
        assert done, "the live loop did not stop within 10 s"
        unsubscribe()
        assembled.brain.reset()
        await simulator.reset()


def heard_text(running: Running, speech_engines: Assembled, since: float) -> str:
    audio = running.card.heard_since(since)
    at_16k = resample(audio, running.card.output_rate_hz, SAY_RATE_HZ)
    return speech_engines.engines.stt.transcribe(at_16k).text.lower()


async def test_a_spoken_command_switches_the_device_and_the_reply_is_heard(
    live: Running, home: tuple[Assembled, Simulator, Settings], speech: Speech
) -> None:
    assembled, simulator, _ = home
    started = time.monotonic()
    live.card.say(
        speech.audio("Hey Jarvis, turn on the kitchen light.", trail_seconds=2), SAY_RATE_HZ
    )
    await until(lambda: simulator.state("kitchen_ceiling")["state"] == "on", 20, "light on")
    await until(lambda: live.assistant.stats.turns == 1, 10, "turn counted")
    await live.assistant.speaker.drained()
    await asyncio.sleep(0.3)
    heard = heard_text(live, assembled, started)
    assert "kitchen ceiling light" in heard and " on " in f" {heard} ", heard
    # The wake sound came first, then the reply: both reached the speaker.
    assert live.card.sound_seconds_since(started) > 1.0
    assert len(live.assistant.stats.latencies_ms) == 1


async def test_the_wake_word_during_a_reply_stops_it(
    live: Running, home: tuple[Assembled, Simulator, Settings], speech: Speech
) -> None:
    assembled, _, _ = home
    help_text = (await assembled.brain.understand("what can you do")).response
    full_seconds = len(assembled.engines.tts.speak_all(help_text).audio) / 22_050
    live.card.say(speech.audio("Hey Jarvis, what can you do?", trail_seconds=0.5), SAY_RATE_HZ)
    await until(lambda: live.assistant.speaker.playing and live.assistant.stats.turns == 1, 20,
                "the long reply playing")  # fmt: skip
    reply_started = time.monotonic()
    await asyncio.sleep(1.0)
    live.card.say(speech.audio("Hey Jarvis", trail_seconds=0.2), SAY_RATE_HZ)
    await until(lambda: live.assistant.stats.barge_ins == 1, 10, "barge-in")
    stopped = time.monotonic()
    assert stopped - reply_started < full_seconds - 1.0
    # After the interruption only the wake sound (and later the no-speech sound) play.
    await asyncio.sleep(0.5)
    assert live.card.sound_seconds_since(stopped + 0.3) < 0.5


async def test_its_own_reply_coming_back_does_not_wake_it(
    live: Running, home: tuple[Assembled, Simulator, Settings]
) -> None:
    assembled, _, _ = home
    live.card.loopback_gain = 0.8
    await assembled.skills.announcer.announce("Hey Jarvis. Hey Jarvis, the pasta is ready.")
    await until(lambda: live.assistant.stats.announcements == 1, 10, "announced")
    await until(lambda: not live.assistant.speaker.playing, 20, "announcement played")
    await asyncio.sleep(1.5)
    assert live.wakes() == 0 and live.assistant.stats.turns == 0
    assert live.assistant.echo.muted_frames > 0
    # The same sound without the guard does wake it: the guard is what keeps it quiet.
    live.assistant.echo.threshold = 2.0
    await assembled.skills.announcer.announce("Hey Jarvis. Hey Jarvis, the pasta is ready.")
    await until(lambda: live.wakes() >= 1, 20, "woken by its own voice without the guard")


async def test_an_answer_is_taken_without_wake_word_inside_the_window_only(
    live: Running, home: tuple[Assembled, Simulator, Settings], speech: Speech
) -> None:
    _, simulator, settings = home
    live.card.say(speech.audio("Hey Jarvis, turn off the lamp.", trail_seconds=1), SAY_RATE_HZ)
    await until(lambda: live.assistant.stats.turns == 1, 20, "the question asked")
    await live.assistant.speaker.drained()
    await asyncio.sleep(1.0)
    live.card.say(speech.audio("The reading one.", trail_seconds=1.5), SAY_RATE_HZ)
    await until(lambda: simulator.state("bedroom_reading_lamp")["state"] == "off", 15,
                "the answer acted on")  # fmt: skip
    assert live.wakes() == 1  # one wake word, two turns
    # Asked again, answered too late: nothing happens.
    await live.assistant.speaker.drained()
    live.card.say(speech.audio("Hey Jarvis, turn on the lamp.", trail_seconds=0.5), SAY_RATE_HZ)
    await until(lambda: live.assistant.stats.turns == 3, 20, "asked again")
    await live.assistant.speaker.drained()
    await asyncio.sleep(settings.audio.follow_up_seconds + 1.5)
    commands = len(simulator.commands("bedroom_reading_lamp"))
    live.card.say(speech.audio("The reading one.", trail_seconds=1.5), SAY_RATE_HZ)
    await asyncio.sleep(4.0)
    assert len(simulator.commands("bedroom_reading_lamp")) == commands
    assert simulator.state("bedroom_reading_lamp")["state"] == "off"


async def test_a_timer_is_announced_while_idle(
    live: Running, home: tuple[Assembled, Simulator, Settings]
) -> None:
    assembled, _, _ = home
    set_at = time.monotonic()
    started = await assembled.brain.understand("set a timer for 3 seconds")
    assert "3 seconds" in started.response
    await until(lambda: live.assistant.stats.announcements == 1, 10, "timer rang")
    assert time.monotonic() - set_at >= 3.0
    await until(lambda: not live.assistant.speaker.playing, 15, "announcement played")
    await asyncio.sleep(0.3)
    assert "timer" in heard_text(live, assembled, set_at)


async def test_a_microphone_that_stops_or_vanishes_is_reopened(
    live: Running, speech: Speech, home: tuple[Assembled, Simulator, Settings]
) -> None:
    _, simulator, _ = home
    card = live.card
    card.delivering = False  # unplugged: the open stream goes quiet, and reopening fails
    card.microphone_present = False
    await until(lambda: live.assistant.stats.microphone_losses == 1, 5, "loss noticed")
    await until(lambda: card.open_failures >= 1, 10, "a reopen tried while unplugged")
    card.microphone_present = True  # plugged back in
    card.delivering = True
    await until(lambda: not live.assistant.microphone.stalled(), 10, "microphone back")
    assert card.inputs_opened >= 2 and live.assistant.microphone.reopened >= 1
    # And it listens again.
    card.say(speech.audio("Hey Jarvis, turn on the living room fan.", trail_seconds=2), SAY_RATE_HZ)
    await until(lambda: simulator.state("living_room_fan")["state"] == "on", 20, "fan on")


async def test_readiness_and_watchdog_pings_reach_systemd(
    home: tuple[Assembled, Simulator, Settings], tmp_path: Path
) -> None:
    assembled, _, settings = home
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.setblocking(False)
    environment = {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000000"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)
        assistant = LiveAssistant(assembled, settings, VirtualSoundCard(), notify)
        stop = asyncio.Event()
        task = asyncio.create_task(assistant.run(stop))
        await asyncio.sleep(2.0)
        stop.set()
        await asyncio.wait_for(task, 10)
    received = []
    while True:
        try:
            received.append(server.recv(4096).decode())
        except BlockingIOError:
            break
    server.close()
    assert any("READY=1" in message for message in received), received
    assert sum("WATCHDOG=1" in message for message in received) >= 2, received
    assert any("STOPPING=1" in message for message in received), received
