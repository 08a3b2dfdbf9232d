"""The basic built-in skills through the real runtime: clock, never mind, "what can you do" and
the call for assistance, whose alerts are checked on a real Mosquitto, through outages too."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from assistant.config import MqttSettings, Settings, load_settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.home import DeviceHome
from assistant.devices.mqtt import Message, default_client_id
from assistant.skill_host.call import ToolCall
from assistant.skill_host.host import SkillHost
from assistant.skill_host.loader import BUILTIN_FOLDER
from assistant.skill_testing import TrafficRecorder, eventually, running_skills

BUILTIN_SKILLS = BUILTIN_FOLDER
ALERTS = "assistant/alerts/assistance"  # the skill's default topic
DELIVERED = "I've called for help. The alert went through."

PLANTS_SKILL = '''
from assistant.skills import Skill, ToolResult, tool


class Plants(Skill):
    """Look after the plants."""

    @tool("WaterPlants", examples=["water [the] {where} plants", "water the plants"])
    async def water(self, where: str | None = None) -> ToolResult:
        """Water the plants on the balcony or in a room.

        Args:
            where: which plants.
        """
        return ToolResult("Watered.")
'''

FAKE_TIMERS_SKILL = '''
from assistant.skills import Skill, ToolResult, tool


class EggTimer(Skill):
    """A stand-in timer skill."""

    @tool("HassStartTimer", examples=["(set|start) a timer for {minutes} (minute|minutes)"])
    async def start(self, minutes: int) -> ToolResult:
        """Start a countdown timer.

        Args:
            minutes: how long.
        """
        return ToolResult("Started.")
'''


def make_settings(
    broker: PrivateBroker | None, state_dir: Path, folders: list[Path], **assistance: Any
) -> Settings:
    mqtt: dict[str, Any] = {}
    if broker is not None:
        mqtt = {"host": broker.host, "port": broker.port,
                "reconnect_min_seconds": 0.1, "reconnect_max_seconds": 0.5}  # fmt: skip
    return load_settings(
        storage={"state_dir": state_dir},
        mqtt=mqtt,
        skills={"folders": folders, "options": {"assistance": {"room": "Room 12", **assistance}}},
    )


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@pytest.fixture(scope="module")
def plants_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("third_party_skills")
    (folder / "plants.py").write_text(PLANTS_SKILL)
    return folder


@pytest.fixture(scope="module")
async def home(
    broker: PrivateBroker, plants_folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DeviceHome]:
    settings = make_settings(broker, tmp_path_factory.mktemp("state"), [plants_folder])
    async with DeviceHome(settings, role="test") as running:
        assert await running.ready()
        yield running


@pytest.fixture(scope="module")
async def runtime(home: DeviceHome) -> AsyncIterator[SkillHost]:
    async with running_skills(home.settings, home.registry, home.commander) as started:
        broken = [s for s in started.loaded.statuses if s.state == "broken"]
        assert not [
            s for s in broken if s.name in ("clock", "conversation", "assistance", "plants")
        ]
        yield started


@pytest.fixture
def set_clock(runtime: SkillHost) -> Iterator[Callable[[datetime], None]]:
    """Fix the clock skill's time for one test; the real clock comes back afterwards."""
    clock: Any = runtime.loaded.skills["clock"]
    original = clock.now

    def set_to(moment: datetime) -> None:
        clock.now = lambda: moment

    yield set_to
    clock.now = original


# --- clock -----------------------------------------------------------------------------------

CET = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("time_of_day", "spoken"),
    [
        ((7, 5, 0), "It's seven oh five in the morning."),
        ((9, 0, 0), "It's nine o'clock in the morning."),
        ((10, 30, 0), "It's ten thirty in the morning."),
        ((12, 0, 0), "It's noon."),
        ((12, 1, 0), "It's twelve oh one in the afternoon."),
        ((15, 59, 59), "It's three fifty-nine in the afternoon."),
        ((19, 5, 0), "It's seven oh five in the evening."),
        ((23, 45, 0), "It's eleven forty-five at night."),
        ((0, 0, 0), "It's midnight."),
        ((0, 7, 0), "It's twelve oh seven at night."),
        ((3, 20, 0), "It's three twenty in the morning."),
    ],
)
async def test_the_time_is_spoken_in_words_with_the_part_of_the_day(
    runtime: SkillHost,
    set_clock: Callable[[datetime], None],
    time_of_day: tuple[int, int, int],
    spoken: str,
) -> None:
    hour, minute, second = time_of_day
    set_clock(datetime(2026, 11, 22, hour, minute, second, tzinfo=CET))
    result = await runtime.toolbox.call(ToolCall("HassGetCurrentTime", {}), turn_id="t")
    assert result.success
    assert result.speech == spoken
    assert result.data["time"] == f"{hour:02d}:{minute:02d}"
    assert result.data["iso"] == f"2026-11-22T{hour:02d}:{minute:02d}:{second:02d}+01:00"


@pytest.mark.parametrize(
    ("day", "spoken"),
    [
        ((2026, 11, 22), "Today is Sunday, the 22nd of November."),
        ((2026, 1, 1), "Today is Thursday, the 1st of January."),
        ((2026, 3, 2), "Today is Monday, the 2nd of March."),
        ((2026, 7, 3), "Today is Friday, the 3rd of July."),
        ((2026, 5, 11), "Today is Monday, the 11th of May."),
        ((2027, 2, 13), "Today is Saturday, the 13th of February."),
        ((2026, 12, 31), "Today is Thursday, the 31st of December."),
    ],
)
async def test_the_date_is_spoken_with_the_weekday_and_an_ordinal(
    runtime: SkillHost,
    set_clock: Callable[[datetime], None],
    day: tuple[int, int, int],
    spoken: str,
) -> None:
    set_clock(datetime(*day, 10, 0, tzinfo=CET))
    result = await runtime.toolbox.call(ToolCall("HassGetCurrentDate", {}), turn_id="t")
    assert result.success
    assert result.speech == spoken
    assert result.data["date"] == "{:04d}-{:02d}-{:02d}".format(*day)


async def test_the_date_is_the_local_one_not_utc(
    runtime: SkillHost, set_clock: Callable[[datetime], None]
) -> None:
    # 22:30 on Sunday in New York is already Monday in UTC.
    set_clock(datetime(2026, 11, 22, 22, 30, tzinfo=timezone(timedelta(hours=-5))))
    date = await runtime.toolbox.call(ToolCall("HassGetCurrentDate", {}), turn_id="t")
    clock = await runtime.toolbox.call(ToolCall("HassGetCurrentTime", {}), turn_id="t")
    assert date.speech == "Today is Sunday, the 22nd of November."
    assert clock.speech == "It's ten thirty at night."


async def test_without_a_fixed_clock_it_tells_the_machines_local_time(
    runtime: SkillHost,
) -> None:
    result = await runtime.toolbox.call(ToolCall("HassGetCurrentTime", {}), turn_id="t")
    told = datetime.fromisoformat(result.data["iso"])
    assert told.tzinfo is not None
    assert told.utcoffset() == datetime.now().astimezone().utcoffset()
    assert abs(datetime.now(UTC) - told) < timedelta(seconds=5)
    assert result.speech.startswith("It's ")


# --- conversation ----------------------------------------------------------------------------


async def test_never_mind_is_acknowledged(runtime: SkillHost) -> None:
    result = await runtime.toolbox.call(ToolCall("HassNevermind", {}), turn_id="t")
    assert result.success
    assert result.speech == "OK."
    assert result.data == {"nevermind": True}


def sentences(speech: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", speech))


async def test_what_can_you_do_summarises_the_loaded_skills_with_examples(
    runtime: SkillHost,
) -> None:
    result = await runtime.toolbox.call(ToolCall("AssistantHelp", {}), turn_id="t")
    speech = result.speech
    assert result.success
    # This home has no devices, so no kind of device is spoken of (tests/test_help.py has homes
    # with devices).
    assert "light" not in speech
    assert "time and date" in speech
    assert '"what time is it"' in speech
    assert "call for help" in speech
    # The third-party skill from the extra folder: described by its docstring, and its example
    # is the template with no slot left unfilled.
    assert "water the plants on the balcony or in a room" in speech
    assert '"water the plants"' in speech
    if any("Timer" in name for name in runtime.toolbox.tools):  # the timers skill, if present
        assert "timers" in speech
    assert 1 <= sentences(speech) <= 3
    assert not re.search(r"[{}\[\]()|]", speech)  # no template syntax leaks into speech
    assert not [name for name in runtime.toolbox.tools if name in speech]  # no tool names
    kinds = {tool for kind in result.data["kinds"] for tool in kind["tools"]}
    assert "WaterPlants" in kinds
    assert "HassNevermind" not in kinds


async def test_what_can_you_do_reflects_only_what_is_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    folder.mkdir()
    (folder / "conversation.py").symlink_to(BUILTIN_SKILLS / "conversation.py")
    (folder / "egg_timer.py").write_text(FAKE_TIMERS_SKILL)
    settings = make_settings(None, tmp_path / "state", [folder]).model_copy(deep=True)
    settings.skills.builtin = False
    async with running_skills(settings) as runtime:
        result = await runtime.toolbox.call(ToolCall("AssistantHelp", {}), turn_id="t")
    assert result.speech == (
        'I can set timers. For example, you can say "set a timer for 5 minutes".'
    )


# --- call for assistance ---------------------------------------------------------------------


class BlockingListener:
    """A plain paho client that connects and subscribes while blocking the event loop.

    Started right after the broker comes back, it is listening before the assistant's
    connection (which needs the loop to publish) can send anything, so nothing is missed.
    """

    def __init__(self, broker: PrivateBroker, topic: str) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        subscribed = threading.Event()
        client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                             client_id=f"listener-{id(self)}")  # fmt: skip

        def on_connect(c: paho.Client, _u: Any, _f: Any, _reason: Any, _p: Any) -> None:
            c.subscribe(topic, qos=1)

        def on_subscribe(_c: paho.Client, _u: Any, _mid: int, _codes: Any, _p: Any) -> None:
            subscribed.set()

        def on_message(_c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
            with self._lock:
                self.messages.append(
                    Message(message.topic, bytes(message.payload), bool(message.retain))
                )

        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_message = on_message
        client.connect(broker.host, broker.port)
        client.loop_start()
        self._client = client
        if not subscribed.wait(5):
            self.close()
            raise AssertionError("the listener could not subscribe")

    def received(self) -> list[Message]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def on(broker: PrivateBroker) -> MqttSettings:
    return MqttSettings(host=broker.host, port=broker.port)


def restart_and_listen(broker: PrivateBroker) -> BlockingListener:
    broker.start()
    return BlockingListener(broker, ALERTS)


async def test_a_call_for_help_reaches_the_broker_with_room_time_and_text_not_retained(
    broker: PrivateBroker, runtime: SkillHost, caplog: pytest.LogCaptureFixture
) -> None:
    async with TrafficRecorder(on(broker), ALERTS) as recorder:
        with caplog.at_level(logging.WARNING, logger="assistant.skill.assistance"):
            fallen = await runtime.toolbox.call(
                ToolCall("CallForAssistance", {"reason": "fallen"}), turn_id="t"
            )
            plain = await runtime.toolbox.call(ToolCall("CallForAssistance", {}), turn_id="t")
            said = await runtime.toolbox.call(
                ToolCall("CallForAssistance", {"reason": "chest pain"}), turn_id="t"
            )
        assert await eventually(lambda: len(recorder.on(ALERTS)) >= 3)
        messages = recorder.on(ALERTS)
    for result in (fallen, plain, said):
        assert result.success, result.speech
        assert result.speech == DELIVERED
        assert result.data["delivered"] is True
    alerts = [json.loads(m.payload) for m in messages]
    assert [a["id"] for a in alerts] == [r.data["alert"]["id"] for r in (fallen, plain, said)]
    assert [a["text"] for a in alerts] == [
        "Someone has fallen and needs help.",
        "Someone is calling for assistance.",
        "Someone is calling for assistance: chest pain",
    ]
    for alert in alerts:
        # The published contract (README): every key, in this order.
        assert list(alert) == ["id", "room", "room_known", "time", "text", "reason", "words",
                               "satellite", "device"]  # fmt: skip
        assert alert["room"] == "Room 12"
        assert alert["room_known"] is True
        # Called directly, from no request: nobody's words, no satellite.
        assert alert["words"] is None and alert["satellite"] is None
        assert alert["device"] == default_client_id(runtime.settings.mqtt)
        when = datetime.fromisoformat(alert["time"])
        assert when.tzinfo is not None
        assert abs(datetime.now(UTC) - when) < timedelta(seconds=10)
    assert not any(m.retain for m in messages)
    audit = [r for r in caplog.records if "ASSISTANCE ALERT" in r.getMessage()]
    assert all(r.levelno >= logging.WARNING for r in audit)
    for alert in alerts:
        assert any(alert["id"] in r.getMessage() and "Room 12" in r.getMessage() for r in audit)
    # Not retained: a late subscriber gets no stale alert. A retained one would have come with
    # the subscription, before the recorder's probe came back.
    async with TrafficRecorder(on(broker), ALERTS) as late:
        assert late.on(ALERTS) == []


async def test_without_any_broker_connection_it_says_it_cannot_call(tmp_path: Path) -> None:
    async with running_skills(make_settings(None, tmp_path, [])) as runtime:
        result = await runtime.toolbox.call(ToolCall("CallForAssistance", {}), turn_id="t")
    assert not result.success
    assert result.error == "no-network"
    assert "can't call for help" in result.speech
    assert result.data["delivered"] is False


async def test_when_the_broker_stays_down_it_says_the_alert_did_not_go_through(
    broker: PrivateBroker, home: DeviceHome, tmp_path: Path
) -> None:
    settings = make_settings(broker, tmp_path, [], retry_seconds=2)
    async with running_skills(settings, home.registry, home.commander) as runtime:
        listener: BlockingListener | None = None
        try:
            broker.stop()
            started = time.monotonic()
            result = await runtime.toolbox.call(
                ToolCall("CallForAssistance", {"reason": "fallen"}), turn_id="t"
            )
            elapsed = time.monotonic() - started
            listener = restart_and_listen(broker)
            assert await home.connection.wait_connected(10)
            # A probe sent on the assistant's own connection is the barrier: an alert left
            # queued there would reach the listener before it.
            await home.connection.publish(ALERTS, "probe", deadline_monotonic=time.monotonic() + 5)
            heard = listener
            assert await eventually(lambda: bool(heard.received()), 10)
            # A failed alert is never delivered behind our back.
            assert [m.payload for m in listener.received()] == [b"probe"]
        finally:
            if listener is not None:
                listener.close()
            if not broker.running:
                broker.start()
    assert not result.success
    assert result.error == "not-delivered"
    assert result.speech == (
        "I couldn't reach anyone — the alert did not go through. "
        "Please use the call button or phone."
    )
    assert result.data["delivered"] is False
    # It kept trying for its retry_seconds and then gave up, rather than hanging.
    assert 1.9 <= elapsed < 15.0


async def test_an_alert_during_a_short_outage_goes_through_when_the_broker_returns(
    broker: PrivateBroker, home: DeviceHome, tmp_path: Path
) -> None:
    settings = make_settings(broker, tmp_path, [], retry_seconds=15)
    async with running_skills(settings, home.registry, home.commander) as runtime:
        listener: BlockingListener | None = None
        try:
            broker.stop()
            call = asyncio.create_task(
                runtime.toolbox.call(
                    ToolCall("CallForAssistance", {"reason": "emergency"}), turn_id="t"
                )
            )
            # Still trying after a while, not given up and not claiming success: only a window
            # can show that something does not happen, so this waits on the call itself.
            finished, _ = await asyncio.wait({call}, timeout=1.5)
            assert not finished
            listener = restart_and_listen(broker)
            result = await asyncio.wait_for(call, 20)
            assert await eventually(lambda: bool(listener and listener.received()))
            received = listener.received()
        finally:
            if listener is not None:
                listener.close()
            if not broker.running:
                broker.start()
    assert result.success, result.speech
    assert result.speech == DELIVERED
    alerts = [json.loads(m.payload) for m in received]
    # QoS 1 may deliver twice after a reconnect; every copy is the same alert.
    assert {a["id"] for a in alerts} == {result.data["alert"]["id"]}
    assert alerts[0]["room"] == "Room 12"
    assert alerts[0]["text"] == "Emergency: someone needs help now."
    assert not any(m.retain for m in received)
