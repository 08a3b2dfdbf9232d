"""The safety policy in front of every device command, end to end.

Each test runs a private Mosquitto with the simulated home, the assistant's DeviceHome on it and
the real device skills, called through the real Toolbox as the brain calls them. What a device
received is read from the simulator (`commands`, `state`) and from a bystander client that
records every message on the broker, so "nothing was sent" is checked where it matters.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from assistant.engines import Engines
from assistant.skill_host import safety as safety_module
from assistant.skill_host.call import ToolCall
from assistant.skill_host.host import SkillHost
from assistant.understanding.cascade import Cascade
from assistant.understanding.model_stage import ModelStage
from assistant.understanding.rules import RuleMatcher
from assistant.understanding.utterance import Utterance
from tests.test_skills_framework import (
    SimulatedHome,
    assistant_in,
    eventually,
    make_settings,
    simulated_home,
)

LOCK = "lock.front_door_lock"
UNLOCK = {
    "name": "front door lock"
}  # "HassTurnOff" on a lock unlocks it (Home Assistant's mapping)
NOT_ALLOWED = "I'm not allowed to control the Front door lock by voice."
ASK_YES_NO = "Do you really want me to unlock the Front door lock? Please say yes or no."
ASK_PIN = "Do you really want me to unlock the Front door lock? Please say your PIN."


async def assert_nothing_sent(home: SimulatedHome, device_id: str) -> None:
    """Give a stray message time to arrive, then check neither the broker nor the device saw one."""
    await asyncio.sleep(0.3)
    assert home.published_to(device_id) == []
    assert home.simulator.commands(device_id) == []


def lock_payloads(home: SimulatedHome) -> list[Any]:
    return [json.loads(command.payload) for command in home.simulator.commands("front_door_lock")]


async def call(runtime: SkillHost, tool: str, arguments: dict[str, Any], turn_id: str) -> Any:
    return await runtime.toolbox.call(ToolCall(tool, arguments), turn_id=turn_id)


# --- exposure ---------------------------------------------------------------------------------


async def test_locks_are_not_controllable_by_voice_by_default(tmp_path: Path) -> None:
    async with simulated_home() as home, assistant_in(home, tmp_path) as runtime:
        unlock = await call(runtime, "HassTurnOff", UNLOCK, "x1")
        lock = await call(runtime, "HassTurnOn", UNLOCK, "x2")
        for result in (unlock, lock):
            assert (result.success, result.speech) == (False, NOT_ALLOWED)
            assert result.error in ("refused", "not-exposed")
            assert not result.expects_answer
        assert runtime.toolbox.pending is None  # refused outright: no question asked
        await assert_nothing_sent(home, "front_door_lock")
        assert home.simulator.state("front_door_lock") == {"state": "locked"}
        # Reading is not controlling: the lock's state can still be asked about.
        asked = await call(runtime, "HassGetState", {"name": "front door lock"}, "x3")
        assert asked.speech == "The Front door lock is locked."


async def test_hidden_devices_are_never_controlled(tmp_path: Path) -> None:
    safety = {"hidden": ["switch.living_room_plug"], "exposed": ["switch.living_room_plug"]}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        result = await call(runtime, "HassTurnOn", {"name": "living room plug"}, "h1")
        assert (result.success, result.speech) == (
            False,
            "I'm not allowed to control the Living room plug by voice.",
        )
        await assert_nothing_sent(home, "living_room_plug")
        assert home.simulator.state("living_room_plug") == {"state": "off"}


# --- confirmation -----------------------------------------------------------------------------


async def test_an_exposed_lock_unlocks_only_after_a_yes_and_locks_without_asking(
    tmp_path: Path,
) -> None:
    safety = {"exposed": [LOCK]}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        asked = await call(runtime, "HassTurnOff", UNLOCK, "c1")
        assert (asked.success, asked.error) == (False, "needs-confirmation")
        assert asked.expects_answer is True
        assert asked.speech == ASK_YES_NO
        await assert_nothing_sent(home, "front_door_lock")

        done = await runtime.toolbox.answer("yes", pin=None, turn_id="c2")
        assert done.success, done.speech
        assert done.speech == "Unlocked the Front door lock."
        assert [(o.entity_id, o.status) for o in done.outcomes] == [(LOCK, "confirmed")]
        assert home.simulator.state("front_door_lock") == {"state": "unlocked"}
        assert lock_payloads(home) == [{"state": "UNLOCK"}]
        assert await eventually(lambda: len(home.published_to("front_door_lock")) == 1)

        again = await runtime.toolbox.answer("yes", pin=None, turn_id="c3")
        assert again.error == "nothing-pending"  # one yes, one action
        assert len(lock_payloads(home)) == 1

        # Locking is the safe direction: no question.
        locked = await call(runtime, "HassTurnOn", UNLOCK, "c4")
        assert locked.success and locked.speech == "Locked the Front door lock."
        assert runtime.toolbox.pending is None
        assert home.simulator.state("front_door_lock") == {"state": "locked"}
        assert lock_payloads(home) == [{"state": "UNLOCK"}, {"state": "LOCK"}]


async def test_a_no_or_an_expired_question_sends_nothing(tmp_path: Path) -> None:
    safety = {"exposed": [LOCK], "confirmation_timeout_seconds": 0.5}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        await call(runtime, "HassTurnOff", UNLOCK, "n1")
        declined = await runtime.toolbox.answer("no", pin=None, turn_id="n2")
        assert declined.speech == "OK, I won't."
        assert declined.data == {"declined": True}

        asked = await call(runtime, "HassTurnOff", UNLOCK, "n3")
        assert asked.error == "needs-confirmation"
        await asyncio.sleep(0.7)  # longer than confirmation_timeout_seconds
        late = await runtime.toolbox.answer("yes", pin=None, turn_id="n4")
        assert (late.success, late.error) == (False, "expired")
        assert late.speech == "That request expired, so I did nothing."

        await assert_nothing_sent(home, "front_door_lock")
        assert home.simulator.state("front_door_lock") == {"state": "locked"}


async def test_with_a_pin_only_the_right_pin_unlocks(tmp_path: Path) -> None:
    safety = {"exposed": [LOCK], "pin": "4321"}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        asked = await call(runtime, "HassTurnOff", UNLOCK, "p1")
        assert (asked.error, asked.speech) == ("needs-confirmation", ASK_PIN)
        wrong = await runtime.toolbox.answer("yes", pin="1234", turn_id="p2")
        assert (wrong.success, wrong.error) == (False, "wrong-pin")
        assert wrong.speech == "That PIN is not right, so I did nothing."
        assert runtime.toolbox.pending is None  # a wrong PIN ends the request

        await call(runtime, "HassTurnOff", UNLOCK, "p3")
        silent = await runtime.toolbox.answer("yes", pin=None, turn_id="p4")
        assert silent.error == "wrong-pin"  # yes without the PIN is not enough
        await assert_nothing_sent(home, "front_door_lock")

        await call(runtime, "HassTurnOff", UNLOCK, "p5")
        right = await runtime.toolbox.answer("yes", pin="4 3 2 1", turn_id="p6")
        assert right.success and right.speech == "Unlocked the Front door lock."
        assert home.simulator.state("front_door_lock") == {"state": "unlocked"}
        assert lock_payloads(home) == [{"state": "UNLOCK"}]


async def test_a_pin_without_digits_does_not_accept_any_answer(tmp_path: Path) -> None:
    safety = {"exposed": [LOCK], "pin": "open sesame"}
    try:
        make_settings(tmp_path, safety=safety)
    except ValidationError:
        return  # refusing such a PIN at start-up would be a fix as well
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        await call(runtime, "HassTurnOff", UNLOCK, "q1")
        guessed = await runtime.toolbox.answer("yes", pin="hello", turn_id="q2")
        assert guessed.error == "wrong-pin"
        await assert_nothing_sent(home, "front_door_lock")


# --- set points -------------------------------------------------------------------------------


async def test_set_points_outside_the_comfort_range_are_refused_and_inside_are_set(
    tmp_path: Path,
) -> None:
    async with simulated_home() as home, assistant_in(home, tmp_path) as runtime:
        # The thermostat allows 7-30 °C; the default comfort range is 16-26 °C.
        for temperature in (27, 12):
            refused = await call(
                runtime, "HassClimateSetTemperature", {"temperature": temperature}, "t1"
            )
            assert (refused.success, refused.error) == (False, "refused")
            assert refused.speech == (
                f"I keep thermostats between 16 and 26 degrees; {temperature} is outside that "
                "comfort range."
            )
        await assert_nothing_sent(home, "hallway_thermostat")
        assert home.simulator.state("hallway_thermostat")["target_temperature"] == 20.0

        done = await call(runtime, "HassClimateSetTemperature", {"temperature": "22"}, "t2")
        assert done.success, done.speech
        assert done.speech == "Set the Hallway thermostat to 22 degrees."
        assert home.simulator.state("hallway_thermostat")["target_temperature"] == 22.0
        assert len(home.simulator.commands("hallway_thermostat")) == 1
        assert await eventually(lambda: len(home.published_to("hallway_thermostat")) == 1)
        entity = runtime.devices.registry.get("climate.hallway_thermostat")
        assert entity is not None and entity.state.attributes["target_temperature"] == 22.0


async def test_set_points_outside_the_devices_range_are_refused(tmp_path: Path) -> None:
    safety = {"comfort_min_temperature": 0.0, "comfort_max_temperature": 40.0}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        refused = await call(runtime, "HassClimateSetTemperature", {"temperature": 35}, "r1")
        assert (refused.success, refused.error) == (False, "refused")
        assert refused.speech == (
            "The Hallway thermostat can be set between 7 and 30 degrees; 35 is out of range."
        )
        await assert_nothing_sent(home, "hallway_thermostat")
        assert home.simulator.state("hallway_thermostat")["target_temperature"] == 20.0


# --- rate limit -------------------------------------------------------------------------------


async def test_a_device_switched_too_often_is_left_alone_for_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A window wide enough for four calls on a busy machine.
    safety = {"rate_limit_actions": 3, "rate_limit_seconds": 8.0}
    plug = {"name": "living room plug"}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        started = time.monotonic()
        for number, tool in enumerate(["HassTurnOn", "HassTurnOff", "HassTurnOn"]):
            result = await call(runtime, tool, plug, f"r{number}")
            assert result.success, result.speech
        assert len(home.simulator.commands("living_room_plug")) == 3

        limited = await call(runtime, "HassTurnOff", plug, "r3")
        assert time.monotonic() - started < 8.0, "too slow to test the window"
        assert not limited.success
        assert limited.error in ("refused", "rate-limited")
        assert limited.speech == (
            "The Living room plug has been switched 3 times in the last 8 seconds; "
            "I'll leave it alone for a moment."
        )
        await asyncio.sleep(0.3)
        assert len(home.simulator.commands("living_room_plug")) == 3  # the 4th never went out
        assert home.simulator.state("living_room_plug") == {"state": "on"}

        # Other devices are not affected, and once the window has passed the plug works again.
        light = await call(runtime, "HassTurnOn", {"name": "kitchen ceiling light"}, "r4")
        assert light.success, light.speech
        # The window passes on the policy's clock (only that module's: the event loop's clock
        # is not touched), rather than the test waiting it out.
        later_clock = SimpleNamespace(monotonic=lambda: time.monotonic() + 8.1)
        monkeypatch.setattr(safety_module, "time", later_clock)
        later = await call(runtime, "HassTurnOff", plug, "r5")
        assert later.success, later.speech
        assert home.simulator.state("living_room_plug") == {"state": "off"}


async def test_refusals_carry_their_own_error_code(tmp_path: Path) -> None:
    safety = {"rate_limit_actions": 1}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        hidden = await call(runtime, "HassTurnOff", UNLOCK, "e1")
        first = await call(runtime, "HassTurnOn", {"name": "living room plug"}, "e2")
        limited = await call(runtime, "HassTurnOff", {"name": "living room plug"}, "e3")
        assert first.success, first.speech
        assert hidden.error == "not-exposed"
        assert limited.error == "rate-limited"
        assert home.simulator.state("living_room_plug") == {"state": "on"}


# --- audit ------------------------------------------------------------------------------------


async def test_every_attempted_action_is_audited_without_audio_or_transcripts(
    tmp_path: Path,
) -> None:
    safety = {"exposed": [LOCK], "pin": "4321", "hidden": ["switch.living_room_plug"]}
    before = datetime.now(UTC).replace(microsecond=0)
    light = {"name": "kitchen ceiling light"}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        toolbox = runtime.toolbox
        await call(runtime, "HassTurnOn", light, "a1")
        await call(runtime, "HassLightSet", {**light, "brightness": 500}, "a2")
        await call(runtime, "HassTurnOn", {"name": "living room plug"}, "a3")
        await call(runtime, "HassClimateSetTemperature", {"temperature": 35}, "a4")
        await call(runtime, "HassTurnOff", UNLOCK, "a5")
        await toolbox.answer("no", pin=None, turn_id="a5")
        await call(runtime, "HassTurnOff", UNLOCK, "a6")
        await toolbox.answer("yes", pin="0000", turn_id="a6")
        await call(runtime, "HassTurnOff", UNLOCK, "a7")
        await toolbox.answer("yes", pin="4321", turn_id="a7")
        assert home.simulator.state("front_door_lock") == {"state": "unlocked"}
        audit = runtime.settings.storage.state_dir / "audit.jsonl"
    after = datetime.now(UTC)

    assert audit == tmp_path / "state" / "audit.jsonl"
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(e["turn"], e["tool"], e["outcome"]) for e in entries] == [
        ("a1", "HassTurnOn", "ok"),
        ("a2", "HassLightSet", "invalid-arguments"),
        ("a3", "HassTurnOn", "not-exposed"),
        ("a4", "HassClimateSetTemperature", "refused"),
        ("a5", "HassTurnOff", "needs-confirmation"),
        ("a5", "HassTurnOff", "declined"),
        ("a6", "HassTurnOff", "needs-confirmation"),
        ("a6", "HassTurnOff", "wrong-pin"),
        ("a7", "HassTurnOff", "needs-confirmation"),
        ("a7", "HassTurnOff", "ok"),
    ]
    assert entries[1]["arguments"] == {**light, "brightness": 500}
    assert all(e["arguments"] == UNLOCK for e in entries[4:])
    assert entries[0]["actions"] == [
        {"entity": "light.kitchen_ceiling_light", "service": "turn_on", "status": "confirmed"}
    ]
    assert entries[2]["actions"] == [
        {
            "entity": "switch.living_room_plug",
            "service": "turn_on",
            "status": "refused",
            "code": "not-exposed",
        }
    ]
    assert entries[-1]["actions"] == [{"entity": LOCK, "service": "unlock", "status": "confirmed"}]
    assert all((e["entity"], e["service"]) == (LOCK, "unlock") for e in (entries[5], entries[7]))
    for entry in entries:
        assert before <= datetime.fromisoformat(entry["time"]) <= after, entry
        assert set(entry) <= {
            "time", "turn", "tool", "arguments", "outcome", "actions", "elapsed_ms", "entity",
            "service",
        }, entry  # fmt: skip
    text = audit.read_text().lower()
    for word in ("audio", "transcript", "utterance", "speech", "wav"):
        assert word not in text, word


# --- service data -----------------------------------------------------------------------------


async def test_data_a_service_does_not_take_is_refused_not_dropped(tmp_path: Path) -> None:
    async with simulated_home() as home, assistant_in(home, tmp_path) as runtime:
        outcome = await runtime.devices.call(
            "light.kitchen_ceiling_light", "turn_on", {"colour": "red", "brightness": 40}
        )
        assert (outcome.status, outcome.code) == ("refused", "invalid-data")
        assert outcome.reason == (
            "The Kitchen ceiling light can't take colour with turn_on; turn_on takes brightness."
        )
        await assert_nothing_sent(home, "kitchen_ceiling")
        assert home.simulator.state("kitchen_ceiling")["state"] == "off"


# --- what the model is shown --------------------------------------------------------------------


def offered(schemas: list[dict[str, Any]], parameter: str) -> set[str]:
    """Every value any tool's schema allows for `parameter` ("name", "area")."""
    values: set[str] = set()
    for schema in schemas:
        given = schema["parameters"]["properties"].get(parameter, {})
        values.update(given.get("enum", given.get("items", {}).get("enum", [])))
    return values - {""}


def model_stage(runtime: SkillHost) -> ModelStage:
    """The model stage over this runtime (its model is loaded only when asked, never here)."""
    settings = runtime.settings
    return ModelStage(
        Engines(settings), runtime.toolbox.tools, runtime.devices, settings.understanding,
        settings.llm,
    )  # fmt: skip


async def test_the_model_is_shown_only_the_devices_a_voice_may_control(tmp_path: Path) -> None:
    contact, plug = "binary_sensor.front_door_contact", "switch.living_room_plug"
    safety = {"hidden": [contact, plug]}
    async with simulated_home() as home, assistant_in(home, tmp_path, safety=safety) as runtime:
        schemas = runtime.toolbox.schemas()  # what `assistant tools schema` prints
        names, areas = offered(schemas, "name"), offered(schemas, "area")
        assert {"Kitchen ceiling light", "Living room fan", "Hallway thermostat"} <= names
        for never in ("Front door lock", "Front door contact", "Living room plug"):
            assert never not in names, never
        # The entrance holds only the lock, not exposed, and the hidden contact.
        assert "Entrance" not in areas
        assert {"Kitchen", "Living room", "Hallway"} <= areas

        prompt, shapes = model_stage(runtime).prompt_for("unlock the front door")
        assert "Front door" not in prompt and "Entrance" not in prompt
        choices = {option for shape in shapes for slot in shape.slots for option in slot.options}
        assert not {"Front door lock", "Front door contact", "Entrance"} & choices

        # The rules still hear the lock's name, to say why nothing is done.
        cascade = Cascade(runtime.toolbox, RuleMatcher(runtime.toolbox.tools, runtime.devices))
        refused = await cascade.understand(Utterance.of("unlock the front door"), turn_id="m1")
        assert refused.response == NOT_ALLOWED


async def test_an_exposed_lock_is_shown_to_the_model(tmp_path: Path) -> None:
    async with (
        simulated_home() as home,
        assistant_in(home, tmp_path, safety={"exposed": [LOCK]}) as runtime,
    ):
        schemas = {schema["name"]: schema for schema in runtime.toolbox.schemas()}
        assert "Front door lock" in offered([schemas["HassTurnOn"]], "name")
        assert "Entrance" in offered([schemas["HassTurnOn"]], "area")
        prompt, _ = model_stage(runtime).prompt_for("unlock the front door")
        assert "Front door lock (lock, Entrance)" in prompt
