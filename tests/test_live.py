"""The live loop through its real code path: a sound card driven in real time by the test.

Speech synthesized with Piper is "said" into the capture callback, the models and the
simulated home are real, and what reaches the speaker is recorded and, where it matters,
transcribed again with Whisper.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from assistant.audio.resample import resample
from assistant.config import Settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.sim import Simulator
from assistant.live.loop import LiveAssistant
from assistant.live.virtual_card import VirtualSoundCard
from assistant.pipeline.assembly import Assembled
from assistant.pipeline.events import Event, TurnFinished, TurnStarted, WakeDetected
from assistant.service import notify
from assistant.understanding.result import Understanding
from assistant.understanding.utterance import Utterance
from tests.conftest import Speech, assembled_home, until, word_error_rate

pytestmark = pytest.mark.models

SAY_RATE_HZ = 16_000
# Deadlines for things that take a second or two on an idle machine: the suite must pass on a
# shared CI machine with other work running beside it, so they leave a wide margin.
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
        broker, tmp_path_factory.mktemp("state"), "livehome",
        engines=("wake", "vad", "stt", "tts"),
        understanding={"model": False},
        audio={"follow_up_seconds": 4.0, "stall_seconds": 1.0, "volume": 1.0},
        vad={"no_speech_timeout_seconds": 3.0},
    ) as (built, simulator):  # fmt: skip
        assert built.home is not None and await built.home.ready()
        await built.home.registry.settle()
        yield built, simulator, built.engines.settings


async def understand(assembled: Assembled, text: str) -> Understanding:
    return await assembled.brain.understand(Utterance.of(text), turn_id="test")


class Running:
    def __init__(self, assistant: LiveAssistant, card: VirtualSoundCard) -> None:
        self.assistant, self.card = assistant, card
        self.events: list[Event] = []

    def count(self, kind: type[Event]) -> int:
        return sum(isinstance(event, kind) for event in self.events)

    def wakes(self) -> int:
        return self.count(WakeDetected)

    async def played_out(self) -> None:
        """Until the speaker has nothing left and the card has recorded its last block."""
        await self.assistant.speaker.drained()
        mark = time.monotonic()
        await until(lambda: bool(self.card.played) and self.card.played[-1][0] > mark, "played")

    async def heard_for(self, seconds: float) -> None:
        """Until the loop has taken in this much more microphone audio (however slow it is)."""
        target = self.assistant.stream_seconds + seconds
        await until(lambda: self.assistant.stream_seconds >= target, f"{seconds} s more audio")


@pytest.fixture
async def live(
    home: tuple[Assembled, Simulator, Settings],
) -> AsyncIterator[Running]:
    assembled, simulator, settings = home
    card = VirtualSoundCard()
    assistant = LiveAssistant(assembled, settings, card)
    running = Running(assistant, card)
    unsubscribe = assembled.turns.bus.subscribe(running.events.append)
    stop = asyncio.Event()
    task = asyncio.create_task(assistant.run(stop))
    await until(assistant.listening_for_wake.is_set, "listening")
    try:
        yield running
    finally:
        stop.set()
        done, _ = await asyncio.wait([task], timeout=DEADLINE_SECONDS)
        if not done:
            for other in asyncio.all_tasks():
                other.print_stack()
        assert done, f"the live loop did not stop within {DEADLINE_SECONDS} s"
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
    await until(lambda: simulator.state("kitchen_ceiling")["state"] == "on", "light on")
    await until(lambda: live.assistant.stats.turns == 1, "turn counted")
    await live.played_out()
    heard = heard_text(live, assembled, started)
    assert word_error_rate("Turned on the Kitchen ceiling light.", heard) <= 0.25, heard
    # The wake sound came first, then the reply: both reached the speaker.
    assert live.card.sound_seconds_since(started) > 1.0
    assert len(live.assistant.stats.latencies_ms) == 1


async def test_the_wake_word_during_a_reply_stops_it(
    live: Running, home: tuple[Assembled, Simulator, Settings], speech: Speech
) -> None:
    assembled, _, _ = home
    help_text = (await understand(assembled, "what can you do")).response
    full = assembled.engines.tts.speak_all(help_text)
    full_seconds = full.duration_seconds
    live.card.say(speech.audio("Hey Jarvis, what can you do?", trail_seconds=0.5), SAY_RATE_HZ)
    await until(lambda: live.assistant.speaker.playing and live.assistant.stats.turns == 1,
                "the long reply playing")  # fmt: skip
    reply_started = time.monotonic()
    await until(lambda: live.card.sound_seconds_since(reply_started) >= 1.0, "a second of it")
    live.card.say(speech.audio("Hey Jarvis", trail_seconds=0.2), SAY_RATE_HZ)
    await until(lambda: live.assistant.stats.barge_ins == 1, "barge-in")
    stopped = time.monotonic()
    # The turn the wake word began ends when nobody speaks: only its sounds came after.
    await until(lambda: live.count(TurnFinished) == 2, "the interrupting turn over")
    await live.played_out()
    assert live.card.sound_seconds_since(reply_started) < full_seconds - 1.0
    # Nothing of the reply after the interruption: the wake sound and the no-speech sound are
    # half a second together; the rest of the reply would be many seconds.
    assert live.card.sound_seconds_since(stopped + 0.3) < 1.0


async def test_its_own_reply_coming_back_does_not_wake_it(
    live: Running, home: tuple[Assembled, Simulator, Settings]
) -> None:
    assembled, _, _ = home
    live.card.loopback_gain = 0.8
    await assembled.skills.announcer.announce("Hey Jarvis. Hey Jarvis, the pasta is ready.")
    await until(lambda: live.assistant.stats.announcements == 1, "announced")
    await live.played_out()
    # Every echo the microphone picked up has been through the wake word model.
    await live.heard_for(1.5)
    guard = live.assistant.echo
    why = (f"muted {guard.muted_frames}, let through at likeness {list(guard.passed)}, "
           f"dropped {live.assistant.microphone.dropped_frames}")  # fmt: skip
    assert live.wakes() == 0 and live.assistant.stats.turns == 0, why
    assert guard.muted_frames > 0
    # The same sound without the guard does wake it: the guard is what keeps it quiet.
    live.assistant.echo.threshold = 2.0
    await assembled.skills.announcer.announce("Hey Jarvis. Hey Jarvis, the pasta is ready.")
    await until(lambda: live.wakes() >= 1, "woken by its own voice without the guard")


async def test_an_answer_is_taken_without_wake_word_inside_the_window_only(
    live: Running, home: tuple[Assembled, Simulator, Settings], speech: Speech
) -> None:
    _, simulator, _ = home
    # "Please" keeps the imperative: on some CPUs Whisper tiny hears "turn off the lamp" said
    # straight after the wake word as "Turned off the lamp", which rightly asks for nothing.
    asked = speech.audio("Hey Jarvis, please turn off the lamp.", trail_seconds=1)
    live.card.say(asked, SAY_RATE_HZ)
    await until(lambda: live.assistant.stats.turns == 1, "the question asked")
    # The follow-up turn starts listening once the question has been said and has died away.
    await until(lambda: live.count(TurnStarted) == 2, "listening for the answer")
    live.card.say(speech.audio("The reading one.", trail_seconds=1.5), SAY_RATE_HZ)
    await until(lambda: simulator.state("bedroom_reading_lamp")["state"] == "off",
                "the answer acted on")  # fmt: skip
    assert live.wakes() == 1  # one wake word, two turns
    # Asked again, answered too late: nothing happens.
    await until(lambda: live.count(TurnFinished) == 2, "the answer's turn over")
    await live.played_out()
    live.card.say(speech.audio("Hey Jarvis, turn on the lamp.", trail_seconds=0.5), SAY_RATE_HZ)
    await until(lambda: live.assistant.stats.turns == 3, "asked again")
    # The window for the answer opens and closes with nobody speaking.
    await until(lambda: live.count(TurnFinished) == 4, "the unanswered window closed")
    commands = len(simulator.commands("bedroom_reading_lamp"))
    answer = speech.audio("The reading one.", trail_seconds=1.5)
    live.card.say(answer, SAY_RATE_HZ)
    await live.heard_for(len(answer) / SAY_RATE_HZ + 1.0)
    assert len(simulator.commands("bedroom_reading_lamp")) == commands
    assert simulator.state("bedroom_reading_lamp")["state"] == "off"


async def test_a_timer_is_announced_while_idle(
    live: Running, home: tuple[Assembled, Simulator, Settings]
) -> None:
    assembled, _, _ = home
    set_at = time.monotonic()
    started = await understand(assembled, "set a timer for 3 seconds")
    assert "3 seconds" in started.response
    await until(lambda: live.assistant.stats.announcements == 1, "timer rang")
    assert time.monotonic() - set_at >= 3.0
    await live.played_out()
    heard = heard_text(live, assembled, set_at)
    assert word_error_rate("Your 3 second timer is done.", heard) <= 0.4, heard


async def test_a_microphone_that_stops_or_vanishes_is_reopened(
    live: Running, speech: Speech, home: tuple[Assembled, Simulator, Settings]
) -> None:
    _, simulator, _ = home
    card = live.card
    card.delivering = False  # unplugged: the open stream goes quiet, and reopening fails
    card.microphone_present = False
    await until(lambda: live.assistant.stats.microphone_losses == 1, "loss noticed")
    await until(lambda: card.open_failures >= 1, "a reopen tried while unplugged")
    card.microphone_present = True  # plugged back in
    card.delivering = True
    await until(lambda: not live.assistant.microphone.stalled(), "microphone back")
    assert card.inputs_opened >= 2 and live.assistant.microphone.reopened >= 1
    # And it listens again.
    card.say(speech.audio("Hey Jarvis, turn on the living room fan.", trail_seconds=2), SAY_RATE_HZ)
    await until(lambda: simulator.state("living_room_fan")["state"] == "on", "fan on")


async def test_a_missing_microphone_is_logged_when_it_starts_not_at_every_try(
    home: tuple[Assembled, Simulator, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    assembled, _, settings = home
    card = VirtualSoundCard()
    card.microphone_present = False  # a board booted without it: tried again every 2 s
    assistant = LiveAssistant(assembled, settings, card)
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO, logger="assistant.live"):
        task = asyncio.create_task(assistant.run(stop))
        await until(lambda: card.open_failures >= 4, "a few tries")
        card.microphone_present = True
        await until(assistant.listening_for_wake.is_set, "listening")
        stop.set()
        await asyncio.wait_for(task, DEADLINE_SECONDS)
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, problems
    assert any("working again after" in message for message in problems), problems


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
        received: list[str] = []

        def receive() -> list[str]:
            while True:
                try:
                    received.append(server.recv(4096).decode())
                except BlockingIOError:
                    return received

        await until(lambda: any("READY=1" in message for message in receive()), "READY=1")
        await until(lambda: sum("WATCHDOG=1" in message for message in receive()) >= 2, "two pings")
        stop.set()
        await asyncio.wait_for(task, DEADLINE_SECONDS)
    receive()
    server.close()
    assert any("STOPPING=1" in message for message in received), received
