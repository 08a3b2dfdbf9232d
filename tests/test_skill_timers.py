"""The timers skill, loaded by the real loader and called through the toolbox.

Timers here last one to two seconds and the tests watch the announcer, so they show what a
person would hear and when: not before the time, not after a cancel, not while paused, and
still after a restart of the service.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.devices.registry import DeviceRegistry
from assistant.skill_host.call import ToolCall
from assistant.skill_host.host import SkillHost
from assistant.skills import Announcement, ToolResult
from assistant.skills.context import Keeper
from assistant.understanding.utterance import Utterance


async def start_runtime(state_dir: Path) -> SkillHost:
    settings = load_settings(storage={"state_dir": state_dir}, skills={"builtin": True})
    return await SkillHost(settings, DeviceRegistry(None), None).start()


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[SkillHost]:
    started = await start_runtime(tmp_path)
    yield started
    await started.stop()


async def call(runtime: SkillHost, tool: str, **arguments: Any) -> ToolResult:
    return await runtime.toolbox.call(ToolCall(tool, arguments), turn_id="t")


def timer_announcements(runtime: SkillHost) -> list[Announcement]:
    return [a for a in runtime.announcer.history if a.sound == "timer"]


# A timer rings at its time on an idle machine; on a loaded one the ring may come late, and
# these tests are about what rings and never early, not how promptly a busy machine gets to it.
DEADLINE_SECONDS = 30.0


async def wait_for(condition: Callable[[], bool], timeout: float = DEADLINE_SECONDS) -> float:
    """Seconds until `condition` held; fails after `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def state_file(state_dir: Path) -> Path:
    return state_dir / "skills" / "timers" / "timers.json"


async def test_the_skill_loads_with_its_seven_tools(runtime: SkillHost) -> None:
    status = next(s for s in runtime.loaded.statuses if s.name == "timers")
    assert status.state == "enabled", status.reason
    assert sorted(status.tools) == sorted(
        ["HassStartTimer", "HassCancelTimer", "HassTimerStatus", "HassPauseTimer",
         "HassUnpauseTimer", "HassIncreaseTimer", "HassDecreaseTimer"]
    )  # fmt: skip
    for name in status.tools:
        tool = runtime.toolbox.tools[name]
        assert tool.description and len(tool.info.examples) >= 4
        parameters = {p.name for p in tool.parameters}
        for example in tool.info.examples:
            slots = set(re.findall(r"\{(\w+)(?:=[^}]*)?\}", example))
            assert slots <= parameters, (name, example)
            assert example.count("(") == example.count(")"), example
            assert example.count("[") == example.count("]"), example


async def test_a_timer_rings_with_tone_and_name_at_its_time_not_before(
    runtime: SkillHost,
) -> None:
    started = time.monotonic()
    result = await call(runtime, "HassStartTimer", seconds=1, name="pasta")
    assert result.success, result.speech
    assert result.speech == "Started the pasta timer for 1 second."
    await asyncio.sleep(0.8)
    assert timer_announcements(runtime) == []
    await wait_for(lambda: bool(timer_announcements(runtime)))
    assert time.monotonic() - started >= 0.95
    assert timer_announcements(runtime) == [Announcement("Your pasta timer is done.", "timer")]
    status = await call(runtime, "HassTimerStatus")
    assert status.speech == "You have no timers."


async def test_an_unnamed_timer_is_called_by_its_duration(runtime: SkillHost) -> None:
    assert (
        await call(runtime, "HassStartTimer", minutes=5)
    ).speech == "Started a timer for 5 minutes."
    status = await call(runtime, "HassTimerStatus")
    assert status.speech == "5 minutes left on your 5 minute timer."
    cancelled = await call(runtime, "HassCancelTimer", minutes=5)
    assert cancelled.speech == "Cancelled your 5 minute timer."


async def test_durations_are_spoken_naturally(runtime: SkillHost) -> None:
    await call(runtime, "HassStartTimer", hours=1, minutes=5, name="roast")
    await call(runtime, "HassStartTimer", seconds=30, name="tea")
    await call(runtime, "HassStartTimer", minutes=4, seconds=30, name="pasta")
    await call(runtime, "HassStartTimer", minutes=1, seconds=22, name="egg")
    status = await call(runtime, "HassTimerStatus")
    assert status.speech == (
        "You have 4 timers: 30 seconds left on your tea timer, 1 minute and 20 seconds left on "
        "your egg timer, 4 minutes and 30 seconds left on your pasta timer and 1 hour and "
        "5 minutes left on your roast timer."
    )
    module = sys.modules[type(runtime.loaded.skills["timers"]).__module__]
    assert module.spoken_duration(3600 + 120 + 1) == "1 hour, 2 minutes and 1 second"
    assert module.spoken_duration(600, adjective=True) == "10 minute"


async def test_two_named_timers_run_at_once_and_cancel_removes_only_one(
    runtime: SkillHost,
) -> None:
    assert (await call(runtime, "HassStartTimer", minutes=10, name="the laundry")).success
    assert (await call(runtime, "HassStartTimer", seconds=1, name="pasta timer")).success
    status = await call(runtime, "HassTimerStatus")
    assert "pasta timer" in status.speech and "laundry timer" in status.speech
    assert [t["name"] for t in status.data["timers"]] == ["pasta", "laundry"]

    cancelled = await call(runtime, "HassCancelTimer", name="pasta")
    assert cancelled.success and cancelled.speech == "Cancelled your pasta timer."
    await asyncio.sleep(1.3)
    assert timer_announcements(runtime) == []
    status = await call(runtime, "HassTimerStatus")
    assert status.speech == "10 minutes left on your laundry timer."
    missing = await call(runtime, "HassCancelTimer", name="pasta")
    assert missing.error == "not-found" and "laundry" in missing.speech


async def test_cancel_without_a_name_asks_which_when_several_run(runtime: SkillHost) -> None:
    await call(runtime, "HassStartTimer", minutes=3, name="pasta")
    await call(runtime, "HassStartTimer", minutes=10)
    asked = await call(runtime, "HassCancelTimer")
    assert not asked.success and asked.error == "ambiguous" and asked.expects_answer
    assert asked.speech == (
        "Which timer do you mean: the pasta timer with 3 minutes left "
        "or the 10 minute timer with 10 minutes left?"
    )
    assert len((await call(runtime, "HassTimerStatus")).data["timers"]) == 2  # nothing cancelled
    await call(runtime, "HassCancelTimer", name="pasta")
    only = await call(runtime, "HassCancelTimer")  # exactly one left: no question
    assert only.success and only.speech == "Cancelled your 10 minute timer."


async def test_pause_stops_the_countdown_and_resume_continues_it(runtime: SkillHost) -> None:
    await call(runtime, "HassStartTimer", seconds=1, name="egg")
    paused = await call(runtime, "HassPauseTimer")
    assert paused.success and paused.speech == "Paused your egg timer; 1 second left."
    left = paused.data["timer"]["left_seconds"]
    await asyncio.sleep(1.3)
    assert timer_announcements(runtime) == []
    status = await call(runtime, "HassTimerStatus", name="egg")
    assert status.speech == "Your egg timer is paused with 1 second left."
    assert status.data["timers"][0]["left_seconds"] == left  # frozen while paused
    assert (await call(runtime, "HassPauseTimer")).speech == "Your egg timer is already paused."

    resumed = await call(runtime, "HassUnpauseTimer", name="egg")
    assert resumed.success and resumed.speech == "Resumed your egg timer; 1 second left."
    waited = await wait_for(lambda: bool(timer_announcements(runtime)))
    assert waited >= left - 0.1  # the time left when paused, not from the start again
    assert timer_announcements(runtime)[0].text == "Your egg timer is done."


async def test_pause_without_a_name_means_the_running_one(runtime: SkillHost) -> None:
    await call(runtime, "HassStartTimer", minutes=5, name="pasta")
    await call(runtime, "HassStartTimer", minutes=8, name="rice")
    await call(runtime, "HassPauseTimer", name="rice")
    paused = await call(runtime, "HassPauseTimer")
    assert paused.success and "pasta" in paused.speech
    resumed = await call(runtime, "HassUnpauseTimer")
    assert resumed.error == "ambiguous" and resumed.expects_answer  # both are paused now


async def test_adding_and_removing_time_moves_the_end(runtime: SkillHost) -> None:
    await call(runtime, "HassStartTimer", minutes=5, name="pasta")
    added = await call(runtime, "HassIncreaseTimer", minutes=2)
    assert added.speech == "Added 2 minutes to your pasta timer; 7 minutes left."
    status = await call(runtime, "HassTimerStatus")
    assert status.speech == "7 minutes left on your pasta timer."
    removed = await call(runtime, "HassDecreaseTimer", minutes=6, seconds=59, name="pasta")
    assert removed.speech == "Took 6 minutes and 59 seconds off your pasta timer; 1 second left."
    too_much = await call(runtime, "HassDecreaseTimer", minutes=1)
    assert too_much.error == "invalid-arguments" and "only 1 second left" in too_much.speech
    await wait_for(lambda: bool(timer_announcements(runtime)))
    assert timer_announcements(runtime)[0].text == "Your pasta timer is done."


async def test_adding_time_to_a_paused_timer(runtime: SkillHost) -> None:
    await call(runtime, "HassStartTimer", seconds=30, name="tea")
    await call(runtime, "HassPauseTimer")
    await call(runtime, "HassIncreaseTimer", seconds=15)
    status = await call(runtime, "HassTimerStatus")
    assert status.speech == "Your tea timer is paused with 45 seconds left."


@pytest.mark.parametrize(
    ("arguments", "error", "reason"),
    [
        ({}, "invalid-arguments", "needs a length"),
        ({"minutes": 0, "seconds": 0}, "invalid-arguments", "needs a length"),
        ({"hours": 24, "minutes": 1}, "invalid-arguments", "up to 24 hours"),
        ({"hours": 25}, "invalid-arguments", "less than or equal to 24"),
        ({"minutes": -5}, "invalid-arguments", "greater than or equal to 0"),
        ({"seconds": "soon"}, "invalid-arguments", "seconds"),
    ],
)
async def test_invalid_durations_are_refused_with_a_reason(
    runtime: SkillHost, arguments: dict[str, Any], error: str, reason: str
) -> None:
    result = await call(runtime, "HassStartTimer", **arguments)
    assert not result.success and result.error == error
    assert reason in result.speech
    assert (
        runtime.scheduler.pending() == []
        and not state_file(runtime.settings.storage.state_dir).exists()
    )


async def test_a_second_timer_with_the_same_name_is_refused(runtime: SkillHost) -> None:
    await call(runtime, "HassStartTimer", minutes=3, name="pasta")
    again = await call(runtime, "HassStartTimer", minutes=5, name="Pasta")
    assert again.error == "duplicate" and "already have a pasta timer" in again.speech


async def test_timers_survive_a_restart(tmp_path: Path) -> None:
    first = await start_runtime(tmp_path)
    set_at = time.time()
    await call(first, "HassStartTimer", seconds=8, name="pasta")
    await call(first, "HassStartTimer", minutes=20, name="bread")
    await call(first, "HassPauseTimer", name="bread")
    await first.stop()
    stored = json.loads(state_file(tmp_path).read_text())
    assert {t["name"] for t in stored["timers"]} == {"pasta", "bread"}

    second = await start_runtime(tmp_path)
    try:
        status = await call(second, "HassTimerStatus")
        assert status.speech.startswith("You have 2 timers: ")
        assert status.speech.endswith("your bread timer is paused with 20 minutes left.")
        pasta, bread = status.data["timers"]
        assert (pasta["name"], bread["name"], bread["paused"]) == ("pasta", "bread", True)
        # Its end did not move: what is left is what its start left, however long the restart.
        assert pasta["left_seconds"] == pytest.approx(8 - (time.time() - set_at), abs=0.3)
        await wait_for(lambda: bool(timer_announcements(second)))
        assert timer_announcements(second) == [Announcement("Your pasta timer is done.", "timer")]
        assert timer_announcements(first) == []  # the stopped service did not ring it
        assert [t["name"] for t in json.loads(state_file(tmp_path).read_text())["timers"]] == [
            "bread"
        ]
    finally:
        await second.stop()


async def test_a_timer_that_ended_while_stopped_is_announced_on_start(tmp_path: Path) -> None:
    first = await start_runtime(tmp_path)
    await call(first, "HassStartTimer", seconds=1, name="pasta")
    await call(first, "HassStartTimer", minutes=1)
    await first.stop()
    await asyncio.sleep(1.1)
    # Make the one-minute timer look as if it ended three minutes ago, as after a long outage.
    stored = json.loads(state_file(tmp_path).read_text())
    for timer in stored["timers"]:
        if timer["name"] is None:
            timer["ends_at"] = time.time() - 180
    state_file(tmp_path).write_text(json.dumps(stored))

    second = await start_runtime(tmp_path)
    try:
        assert timer_announcements(second) == [
            Announcement("Your 1 minute timer finished while I was off, 3 minutes ago.", "timer"),
            Announcement("Your pasta timer finished while I was off, moments ago.", "timer"),
        ]
        assert (await call(second, "HassTimerStatus")).speech == "You have no timers."
        await asyncio.sleep(0.2)
        assert len(timer_announcements(second)) == 2  # announced once, not rung again
    finally:
        await second.stop()


async def test_a_corrupted_state_file_starts_empty_with_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state_file(tmp_path).parent.mkdir(parents=True)
    state_file(tmp_path).write_text('{"timers": [{"name": "pasta", "ends_at": "soon"')
    with caplog.at_level(logging.WARNING, logger="assistant.skill.timers"):
        runtime = await start_runtime(tmp_path)
    try:
        status = next(s for s in runtime.loaded.statuses if s.name == "timers")
        assert status.state == "enabled"
        lines = [r for r in caplog.records if r.name == "assistant.skill.timers"]
        assert len(lines) == 1 and "unreadable" in lines[0].getMessage()
        assert state_file(tmp_path).with_suffix(".corrupt").exists()  # kept for a look
        assert (await call(runtime, "HassTimerStatus")).speech == "You have no timers."
        assert (await call(runtime, "HassStartTimer", minutes=1, name="tea")).success
        assert json.loads(state_file(tmp_path).read_text())["timers"][0]["name"] == "tea"
    finally:
        await runtime.stop()


@pytest.mark.parametrize(
    ("spoken", "tool", "arguments"),
    [
        ("Set a timer for ten minutes, please", "HassStartTimer", {"minutes": "10"}),
        (
            "set a 10 minute timer for the laundry",
            "HassStartTimer",
            {"minutes": "10", "name": "laundry"},
        ),
        ("set a pasta timer for 8 minutes", "HassStartTimer", {"minutes": "8", "name": "pasta"}),
        (
            "start a timer for one hour and thirty minutes",
            "HassStartTimer",
            {"hours": "1", "minutes": "30"},
        ),
        ("set a timer for half an hour", "HassStartTimer", {"minutes": "30"}),
        ("set a 5 minute pasta timer", "HassStartTimer", {"minutes": "5", "name": "pasta"}),
        ("stop the pasta timer", "HassCancelTimer", {"name": "pasta"}),
        ("cancel the 5 minute timer", "HassCancelTimer", {"minutes": "5"}),
        ("how much time is left on the pasta timer", "HassTimerStatus", {"name": "pasta"}),
        ("how much time is left", "HassTimerStatus", {}),
        ("pause my timer", "HassPauseTimer", {}),
        ("continue the pasta timer", "HassUnpauseTimer", {"name": "pasta"}),
        (
            "add two minutes to the pasta timer",
            "HassIncreaseTimer",
            {"minutes": "2", "name": "pasta"},
        ),
        ("take a minute off the timer", "HassDecreaseTimer", {"minutes": "1"}),
    ],
)
async def test_the_examples_understand_everyday_phrasings(
    runtime: SkillHost, spoken: str, tool: str, arguments: dict[str, str]
) -> None:
    from assistant.understanding.rules import (
        RuleMatcher,  # the rules are tested on their own elsewhere
    )

    match = RuleMatcher(runtime.toolbox.tools, runtime.devices).match(Utterance.of(spoken))
    assert match is not None, spoken
    assert (match.call.tool, match.call.arguments) == (tool, arguments)


# --- one-shot commands: the service keeps their timers, or nobody does ------------------------


async def start_one_shot(state_dir: Path, keeper: Keeper) -> SkillHost:
    """The skills as `assistant ask` runs them: `keeper` is what it finds on the state folder."""
    settings = load_settings(storage={"state_dir": state_dir}, skills={"builtin": True})
    return await SkillHost(settings, DeviceRegistry(None), None, keeper=lambda: keeper).start()


async def test_with_no_service_a_timer_is_refused_and_the_truth_told_about_kept_ones(
    tmp_path: Path,
) -> None:
    alone = await start_one_shot(tmp_path, None)
    try:
        refused = await call(alone, "HassStartTimer", minutes=5)
        assert (refused.success, refused.error) == (False, "refused")
        assert refused.speech.startswith("I can't keep a timer: timers ring only while")
        assert not state_file(tmp_path).exists() and alone.scheduler.pending() == []

        # Timers the service left when it stopped: still told about and cancellable, never
        # presented as ringing; nothing that would have them ring is taken on.
        service = await start_runtime(tmp_path)
        await call(service, "HassStartTimer", minutes=5, name="pasta")
        await call(service, "HassStartTimer", seconds=1, name="tea")
        await service.stop()
        await wait_for(lambda: time.time() > json.loads(state_file(tmp_path).read_text())[
            "timers"][1]["ends_at"])  # fmt: skip
        status = await call(alone, "HassTimerStatus")
        assert status.speech == (
            "The assistant isn't running, so no timer rings until it starts. You have 2 timers: "
            "your tea timer has run out and 5 minutes left on your pasta timer."
        )
        for tool in ("HassPauseTimer", "HassUnpauseTimer", "HassIncreaseTimer"):
            changed = await call(alone, tool, minutes=1, name="pasta")
            assert changed.speech.startswith("I can't change a timer: timers ring only"), tool
        assert (await call(alone, "HassCancelTimer", name="pasta")).success
        assert [t["name"] for t in json.loads(state_file(tmp_path).read_text())["timers"]] == [
            "tea"
        ]
        assert timer_announcements(alone) == [] and alone.scheduler.pending() == []
    finally:
        await alone.stop()


async def test_with_the_service_running_what_a_one_shot_command_does_rings_there(
    tmp_path: Path,
) -> None:
    service = await start_runtime(tmp_path)
    one_shot = await start_one_shot(tmp_path, "service")
    try:
        started = await call(one_shot, "HassStartTimer", seconds=1, name="egg")
        expected = "Started the egg timer for 1 second; the running assistant will ring it."
        assert started.speech == expected
        assert one_shot.scheduler.pending() == []  # this process ends: it rings nothing itself
        await wait_for(lambda: bool(timer_announcements(service)))
        assert timer_announcements(service) == [Announcement("Your egg timer is done.", "timer")]

        # Moved later, then cancelled: the service follows. The tea timer ends after the pasta
        # timer's first end, so once it has rung, the pasta timer would have rung before it.
        await call(one_shot, "HassStartTimer", seconds=2, name="pasta")
        moved = await call(one_shot, "HassIncreaseTimer", minutes=10, name="pasta")
        assert moved.speech == "Added 10 minutes to your pasta timer; 10 minutes left."
        await call(one_shot, "HassStartTimer", seconds=3, name="tea")
        await wait_for(lambda: len(timer_announcements(service)) == 2)
        assert timer_announcements(service)[1].text == "Your tea timer is done."
        status = await call(service, "HassTimerStatus")
        assert status.speech.endswith("left on your pasta timer.")
        assert (await call(one_shot, "HassCancelTimer", name="pasta")).success
        await wait_for(lambda: service.scheduler.pending() == [])  # its ring is gone too
        assert (await call(service, "HassTimerStatus")).speech == "You have no timers."
        assert timer_announcements(one_shot) == []
    finally:
        await one_shot.stop()
        await service.stop()
