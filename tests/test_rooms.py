"""Every satellite has a room: a request heard in a room is for that room, through the rules.

A home of its own on a real private Mosquitto (lights, a thermostat and blinds in more than one
room, a fan in the kitchen, the front door lock), the whole runtime over it, and turns begun at
a place as a satellite's turns are. What each device is, is read from the simulator; what a
call for help published, from the broker.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.builtin_skills.timers.store import TimerStore
from assistant.config import MqttSettings
from assistant.devices.broker import PrivateBroker
from assistant.devices.sim import Simulator
from assistant.engines import EngineName
from assistant.pipeline.assembly import Assembled
from assistant.pipeline.result import Place, TurnResult
from assistant.skill_testing import TrafficRecorder, assembled_in, eventually, simulated_home

from .conftest import assistant_command, simulated_home_env

HOME = (
    """
[[device]]
id = "bedroom_lamp"
kind = "light"
name = "Bedroom lamp"
area = "Bedroom"
[device.initial]
state = "off"

[[device]]
id = "bedroom_reading_lamp"
kind = "light"
name = "Bedroom reading lamp"
area = "Bedroom"
[device.initial]
state = "off"

[[device]]
id = "office_lamp"
kind = "light"
name = "Office lamp"
area = "Office"
[device.initial]
state = "off"

[[device]]
id = "kitchen_ceiling"
kind = "light"
name = "Kitchen ceiling light"
area = "Kitchen"
[device.initial]
state = "off"

[[device]]
id = "consultation_light"
kind = "light"
name = "Consultation room ceiling light"
area = "Consultation room"
[device.initial]
state = "off"

[[device]]
id = "kitchen_fan"
kind = "fan"
name = "Kitchen fan"
area = "Kitchen"
[device.initial]
state = "off"

[[device]]
id = "coffee_machine"
kind = "switch"
name = "Coffee machine"
area = "Kitchen"
[device.initial]
state = "off"

[[device]]
id = "front_door_lock"
kind = "lock"
name = "Front door lock"
area = "Entrance"
[device.initial]
state = "locked"
"""
    + "".join(
        f"""
[[device]]
id = "{room.lower()}_thermostat"
kind = "climate"
name = "{room} thermostat"
area = "{room}"
[device.options]
min_temp = 7.0
max_temp = 30.0
modes = ["off", "heat"]
[device.initial]
mode = "heat"
target_temperature = {target}
current_temperature = {target}
"""
        for room, target in (("Bedroom", 20.0), ("Office", 22.0), ("Kitchen", 19.0))
    )
    + "".join(
        f"""
[[device]]
id = "{room.lower()}_blinds"
kind = "cover"
name = "{room} blinds"
area = "{room}"
[device.options]
travel_seconds = 0.1
[device.initial]
position = 100
"""
        for room in ("Bedroom", "Office")
    )
)
LIGHTS = ["bedroom_lamp", "bedroom_reading_lamp", "office_lamp", "kitchen_ceiling",
          "consultation_light"]  # fmt: skip
BEDROOM = Place("bedroom-satellite", "Bedroom")
OFFICE = Place("office-satellite", "Office")
KITCHEN = Place("kitchen-satellite", "Kitchen")
ALERTS = "assistant/alerts/assistance"
EXAMPLE_SKILLS = Path(__file__).resolve().parents[1] / "examples" / "skills"


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@contextlib.asynccontextmanager
async def rooms_home(
    broker: PrivateBroker,
    folder: Path,
    *,
    engines: tuple[EngineName, ...] = (),
    confirm_timeout_seconds: float = 5.0,
    **sections: Any,
) -> AsyncIterator[tuple[Assembled, Simulator]]:
    """The runtime (no models unless `engines`: the rules) over the home above, in a discovery
    namespace of its own on the module's broker; the front door lock may be controlled by voice
    (it asks)."""
    home_file = folder / "home.toml"
    home_file.write_text(HOME)
    mqtt = MqttSettings(
        discovery_prefix=f"rooms-{folder.name}", confirm_timeout_seconds=confirm_timeout_seconds
    )
    sections.setdefault("safety", {"exposed": ["lock.front_door_lock"]})
    async with (
        simulated_home(broker, mqtt=mqtt, home_file=home_file) as home,
        assembled_in(home, folder, engines=engines, **sections) as assembled,
    ):
        yield assembled, home.simulator


async def heard(assembled: Assembled, text: str, place: Place | None) -> TurnResult:
    """A turn as a satellite's: begun at its place, then understood and acted on."""
    turns = assembled.turns
    turn = turns.begin(text, from_audio=False, place=place)
    turn.result.transcript = text
    await turns.understand(turn, text)
    return turns.finish(turn)


def lights_on(simulator: Simulator) -> set[str]:
    return {light for light in LIGHTS if simulator.state(light)["state"] == "on"}


def commanded(result: TurnResult) -> list[str]:
    """The entities a turn sent commands to."""
    return [action.entity_id for action in result.actions]


def set_point(simulator: Simulator, room: str) -> float:
    return float(simulator.state(f"{room}_thermostat")["target_temperature"])


async def test_the_lights_are_the_rooms_unless_another_room_all_or_a_device_is_said(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    async with rooms_home(broker, tmp_path) as (assembled, simulator):
        said = await heard(assembled, "turn on the lights", BEDROOM)
        assert said.response == "Turned on the Bedroom lamp and the Bedroom reading lamp."
        assert lights_on(simulator) == {"bedroom_lamp", "bedroom_reading_lamp"}
        assert said.intent is not None
        assert said.intent.call.arguments == {"domain": "light", "area": "Bedroom"}

        await heard(assembled, "turn on the kitchen lights", BEDROOM)  # another room, named
        assert lights_on(simulator) == {"bedroom_lamp", "bedroom_reading_lamp", "kitchen_ceiling"}
        await heard(assembled, "turn off the reading lamp", OFFICE)  # a device, by its name
        assert lights_on(simulator) == {"bedroom_lamp", "kitchen_ceiling"}
        await heard(assembled, "turn on the light", OFFICE)  # only its kind: the office's
        assert lights_on(simulator) == {"bedroom_lamp", "kitchen_ceiling", "office_lamp"}

        everywhere = await heard(assembled, "turn on all the lights", OFFICE)
        assert lights_on(simulator) == set(LIGHTS), everywhere.response
        await heard(assembled, "switch off the lights in the whole house", BEDROOM)
        assert lights_on(simulator) == set()


async def test_a_room_without_such_a_device_says_so_and_nothing_happens_elsewhere(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    async with rooms_home(broker, tmp_path) as (assembled, simulator):
        fan = await heard(assembled, "turn on the fan", BEDROOM)
        assert fan.response == "There are no fans in the Bedroom."
        assert fan.actions == ()
        assert simulator.state("kitchen_fan")["state"] == "off"
        await heard(assembled, "turn on the fan", KITCHEN)
        assert simulator.state("kitchen_fan")["state"] == "on"


async def test_the_rooms_thermostat_and_blinds_and_questions_about_the_room(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    async with rooms_home(broker, tmp_path) as (assembled, simulator):
        warm = await heard(assembled, "it's too warm", OFFICE)
        assert warm.response == "Turned the Office thermostat down to 21 degrees."
        assert await eventually(lambda: set_point(simulator, "office") == 21.0)
        warmer = await heard(assembled, "make it warmer", BEDROOM)
        assert warmer.response == "Turned the Bedroom thermostat up to 21 degrees."
        assert await eventually(lambda: set_point(simulator, "bedroom") == 21.0)
        # Each turn commanded its room's device alone (what it sent, not what has landed yet).
        assert commanded(warm) == ["climate.office_thermostat"], commanded(warm)
        assert commanded(warmer) == ["climate.bedroom_thermostat"], commanded(warmer)

        closed = await heard(assembled, "close the blinds", BEDROOM)
        assert await eventually(lambda: simulator.state("bedroom_blinds")["position"] == 0)
        assert commanded(closed) == ["cover.bedroom_blinds"]

        await heard(assembled, "turn on the office lamp", OFFICE)
        asked = await heard(assembled, "is the light on", BEDROOM)
        assert asked.response == "No lights in the Bedroom are on.", asked.response
        asked = await heard(assembled, "is the light on", OFFICE)
        assert asked.response == "The Office lamp is on."


async def test_without_a_place_requests_mean_what_they_meant_before(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    async with rooms_home(broker, tmp_path) as (assembled, simulator):
        await assembled.turns.from_text("turn on the lights")
        assert lights_on(simulator) == set(LIGHTS)
        await heard(assembled, "turn off the lights", BEDROOM)  # the same words, from a room
        assert lights_on(simulator) == {"office_lamp", "kitchen_ceiling", "consultation_light"}
        typed = await assembled.turns.from_text("turn off the lights")
        assert lights_on(simulator) == set()
        assert typed.place is None
        thermostat = await assembled.turns.from_text("it's too warm")
        assert thermostat.response == "Which thermostat do you mean?"


async def test_follow_ups_and_questions_stay_with_the_place_they_were_said_at(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    async with rooms_home(broker, tmp_path) as (assembled, simulator):
        await heard(assembled, "turn on the reading lamp", BEDROOM)
        await heard(assembled, "turn on the office lamp", OFFICE)  # meanwhile, in the office
        it = await heard(assembled, "turn it off", BEDROOM)
        assert it.response == "Turned off the Bedroom reading lamp."
        assert lights_on(simulator) == {"office_lamp"}
        also = await heard(assembled, "and the blinds", BEDROOM)
        assert also.response == "Closed the Bedroom blinds.", also.response
        assert await eventually(lambda: simulator.state("bedroom_blinds")["position"] == 0)
        assert commanded(also) == ["cover.bedroom_blinds"]

        question = await heard(assembled, "unlock the front door", BEDROOM)
        assert question.expects_answer
        assert (question.response or "").startswith("Do you really want me to unlock the Front")
        elsewhere = await heard(assembled, "yes", OFFICE)  # not the office's question
        assert elsewhere.actions == ()
        assert simulator.state("front_door_lock")["state"] == "locked"
        answered = await heard(assembled, "yes", BEDROOM)
        assert [action.status for action in answered.actions] == ["confirmed"]
        assert simulator.state("front_door_lock")["state"] == "unlocked"


async def test_a_timer_rings_at_the_place_it_was_set_and_keeps_that_place(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    async with rooms_home(broker, tmp_path) as (assembled, _):
        announcer = assembled.skills.announcer
        await heard(assembled, "set a timer for 1 second", KITCHEN)
        await heard(assembled, "set a pasta timer for 10 minutes", OFFICE)
        assert await eventually(lambda: len(announcer.history) == 1)
        rang = announcer.history[0]
        assert (rang.text, rang.sound) == ("Your 1 second timer is done.", "timer")
        assert rang.place == KITCHEN
        kept = TimerStore(tmp_path / "state" / "skills" / "timers", logging.getLogger()).load()
        assert [(timer.name, timer.place) for timer in kept] == [("pasta", OFFICE)]
        typed = await assembled.turns.from_text("set a timer for 1 second")
        assert typed.response == "Started a timer for 1 second."
        assert await eventually(lambda: len(announcer.history) == 2)
        assert announcer.history[1].place is None  # set from no place: rings everywhere


async def test_what_a_skill_says_later_is_said_where_it_was_asked_for(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    coffee = {"folders": [EXAMPLE_SKILLS], "options": {"coffee": {"brew_seconds": 0.2}}}
    async with rooms_home(broker, tmp_path, skills=coffee) as (assembled, simulator):
        brewing = await heard(assembled, "make a coffee", KITCHEN)
        assert brewing.response == "Brewing coffee for 1."
        assert simulator.state("coffee_machine")["state"] == "on"
        announcer = assembled.skills.announcer
        assert await eventually(lambda: len(announcer.history) == 1)
        # The example skill says `context.speak(…)` from its scheduled work, and nothing more.
        assert (announcer.history[0].text, announcer.history[0].place) == (
            "Your coffee is ready.",
            KITCHEN,
        )


async def test_a_command_confirmed_after_it_failed_is_announced_where_it_was_given(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    """The lamp that was reported failed but turned on after all is news for the person in
    the bedroom who gave the command, not for every room; typed, it still goes everywhere."""
    quick = rooms_home(broker, tmp_path, confirm_timeout_seconds=1.0)
    async with quick as (assembled, simulator):
        announcer = assembled.skills.announcer
        for light in ("bedroom_lamp", "office_lamp"):  # slower than the 1 s deadline
            simulator.set_fault(light, confirm_delay_seconds=2.0)
        failed = await heard(assembled, "turn on the bedroom lamp", BEDROOM)
        assert [action.status for action in failed.actions] == ["failed"], failed.response
        typed = await assembled.turns.from_text("turn on the office lamp")
        assert [action.status for action in typed.actions] == ["failed"], typed.response
        assert await eventually(lambda: len(announcer.history) == 2, 10.0)
    told = {said.text.partition(":")[0]: said.place for said in announcer.history}
    assert told == {
        "The Bedroom lamp is on after all": BEDROOM,
        "The Office lamp is on after all": None,
    }


async def test_a_call_for_help_carries_its_room_the_words_and_the_satellite(
    broker: PrivateBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hallway = Place("hallway-satellite")  # a satellite whose room nobody has set
    async with (
        rooms_home(broker, tmp_path) as (assembled, _),
        TrafficRecorder(MqttSettings(host=broker.host, port=broker.port), ALERTS) as alerts,
    ):
        with caplog.at_level(logging.WARNING, logger="assistant.skill.assistance"):
            fallen = await heard(assembled, "I have fallen, call the nurse", BEDROOM)
            unknown = await heard(assembled, "help", hallway)
            typed = await assembled.turns.from_text("call the nurse")
        assert await eventually(lambda: len(alerts.on(ALERTS)) >= 3)
    assert [r.response for r in (fallen, unknown, typed)] == [
        "I've called for help. The alert went through."
    ] * 3
    sent = {alert["words"]: alert for alert in (json.loads(m.payload) for m in alerts.on(ALERTS))}
    fall = sent["I have fallen, call the nurse"]
    where = (fall["room"], fall["room_known"], fall["satellite"])
    assert where == ("Bedroom", True, "bedroom-satellite")
    assert fall["text"] == "Someone has fallen and needs help."  # the fall is not lost
    assert fall["reason"] == "nurse"
    for words, satellite in (("help", "hallway-satellite"), ("call the nurse", None)):
        alert = sent[words]
        assert (alert["room"], alert["room_known"], alert["satellite"]) == (None, False, satellite)
    assert "unknown room" not in json.dumps(list(sent.values()))
    logged = [r.getMessage() for r in caplog.records if r.name == "assistant.skill.assistance"]
    warned = [line for line in logged if "the room is unknown" in line]
    assert len(warned) == 2 and "hallway-satellite" in warned[0]
    assert not any("I have fallen" in line for line in logged)  # out to the nurse, not the log


def test_ask_room_runs_the_typed_turn_as_if_heard_there(tmp_path: Path) -> None:
    assistant = assistant_command()
    with simulated_home_env(assistant, ASSISTANT_SAFETY__AUDIT_LOG="false") as env:
        done = subprocess.run(
            [*assistant, "ask", "--room", "bedroom", "--satellite", "nightstand", "--json",
             "turn on the lights"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    turn = json.loads(done.stdout)
    assert turn["place"] == {"satellite": "nightstand", "room": "bedroom"}
    assert turn["intent"]["slots"] == {"domain": "light", "area": "Bedroom"}
    assert sorted(action["entity"] for action in turn["actions"]) == [
        "light.bedroom_lamp", "light.bedroom_reading_lamp",
    ]  # fmt: skip
