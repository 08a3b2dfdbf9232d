"""Confirmation questions through the whole cascade: one question and one "yes" per risky
action, a "yes" that carries a new request, relays that drive alarms and doors, and lock verbs.

A home of its own on a private Mosquitto (two locks, a garage door, an alarm relay announced as
a plain switch, a light), the real device skills, rules and safety policy; what each device
received is read from the simulator.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from assistant.config import MqttSettings
from assistant.devices.broker import PrivateBroker
from assistant.devices.mqtt import Message, MqttConnection
from assistant.devices.sim import Simulator, load_home, simulator_connection
from assistant.skill_host.host import SkillHost
from assistant.understanding.cascade import Cascade
from assistant.understanding.rules import RuleMatcher
from assistant.understanding.utterance import Utterance
from tests.test_skills_framework import SimulatedHome, assistant_in

HOME = """
[[device]]
id = "front_door_lock"
kind = "lock"
name = "Front door lock"
area = "Entrance"
[device.initial]
state = "locked"

[[device]]
id = "back_door_lock"
kind = "lock"
name = "Back door lock"
area = "Kitchen"
[device.initial]
state = "locked"

[[device]]
id = "garage_door"
kind = "cover"
name = "Garage door"
area = "Garage"
[device.options]
device_class = "garage"
[device.initial]
position = 100

[[device]]
id = "alarm_relay"
kind = "switch"
name = "Alarm relay"
area = "Entrance"
[device.initial]
state = "on"

[[device]]
id = "entrance_light"
kind = "light"
name = "Entrance light"
area = "Entrance"
[device.initial]
state = "on"
brightness = 254
"""
LOCKS = ["lock.front_door_lock", "lock.back_door_lock"]
EXPOSED = {"exposed": [*LOCKS, "cover.garage_door"]}


@contextlib.asynccontextmanager
async def entrance_home(tmp_path: Path) -> AsyncIterator[SimulatedHome]:
    home_file = tmp_path / "home.toml"
    home_file.write_text(HOME)
    with PrivateBroker() as broker:
        mqtt = MqttSettings(host=broker.host, port=broker.port, confirm_timeout_seconds=2.0)
        recorder = MqttConnection(mqtt, client_id="traffic-recorder")
        traffic: list[Message] = []
        recorder.subscribe("#", traffic.append)
        await recorder.start()
        connection = simulator_connection(mqtt, client_id="simulator-test")
        await connection.start()
        assert await connection.wait_connected(5) and await recorder.wait_connected(5)
        simulator = Simulator(connection, load_home(home_file))
        await simulator.start()
        try:
            yield SimulatedHome(simulator, mqtt, traffic)
        finally:
            await simulator.stop()
            await connection.stop()
            await recorder.stop()


@contextlib.asynccontextmanager
async def talking_to(
    tmp_path: Path, devices_file: str = "", **safety: Any
) -> AsyncIterator[tuple[SimulatedHome, SkillHost, Cascade]]:
    """The assistant in the entrance home with these `safety` settings, and a devices file
    with this text when one is given."""
    sections: dict[str, Any] = {}
    if devices_file:
        path = tmp_path / "devices.toml"
        path.write_text(devices_file)
        sections["devices"] = {"file": str(path)}
    async with (
        entrance_home(tmp_path) as home,
        assistant_in(home, tmp_path, safety=safety, **sections) as runtime,
    ):
        rules = RuleMatcher(runtime.toolbox.tools, runtime.devices)
        yield home, runtime, Cascade(runtime.toolbox, rules)


class Conversation:
    def __init__(self, cascade: Cascade) -> None:
        self.cascade = cascade
        self.turns = 0

    async def say(self, text: str) -> str:
        self.turns += 1
        understood = await self.cascade.understand(Utterance.of(text), turn_id=f"t{self.turns}")
        return understood.response


def payloads(home: SimulatedHome, device_id: str) -> list[Any]:
    return [json.loads(c.payload) for c in home.simulator.commands(device_id)]


def plain(home: SimulatedHome, device_id: str) -> list[str]:
    return [c.payload for c in home.simulator.commands(device_id)]


# --- one question, one yes, one action --------------------------------------------------------


async def test_each_yes_confirms_exactly_the_one_door_it_names(tmp_path: Path) -> None:
    async with talking_to(tmp_path, **EXPOSED) as (home, _runtime, cascade):
        talk = Conversation(cascade)
        first = await talk.say("unlock all the doors")
        named = "Front door lock" if "Front" in first else "Back door lock"
        other = "Back door lock" if named == "Front door lock" else "Front door lock"
        assert first == f"Do you really want me to unlock the {named}? Please say yes or no."
        assert payloads(home, "front_door_lock") == payloads(home, "back_door_lock") == []

        second = await talk.say("yes")
        assert second == (
            f"The {named} is unlocked. Do you really want me to unlock the {other}? "
            "Please say yes or no."
        )
        first_id, other_id = (n.lower().removesuffix(" lock").replace(" ", "_") + "_lock"
                              for n in (named, other))  # fmt: skip
        assert payloads(home, first_id) == [{"state": "UNLOCK"}]
        assert payloads(home, other_id) == []

        third = await talk.say("yes")
        assert third.startswith("Unlocked the ") and named in third and other in third
        for lock in ("front_door_lock", "back_door_lock"):
            assert payloads(home, lock) == [{"state": "UNLOCK"}], lock  # once each, never twice
            assert home.simulator.state(lock) == {"state": "unlocked"}

        assert cascade.toolbox.pending is None
        await talk.say("yes")  # nothing waits for it: nothing more is sent
        assert [len(payloads(home, lock)) for lock in ("front_door_lock", "back_door_lock")] == [
            1,
            1,
        ]


async def test_a_yes_with_another_request_drops_the_question_and_is_that_request(
    tmp_path: Path,
) -> None:
    async with talking_to(tmp_path, **EXPOSED) as (home, runtime, cascade):
        talk = Conversation(cascade)
        asked = await talk.say("unlock the front door")
        assert asked == "Do you really want me to unlock the Front door lock? Please say yes or no."

        garage = await talk.say("yes, open the garage door")
        assert garage == "Do you really want me to open the Garage door? Please say yes or no."
        assert payloads(home, "front_door_lock") == []
        assert home.simulator.state("front_door_lock") == {"state": "locked"}

        await talk.say("close the garage door")  # closing is safe: no question, and done
        assert plain(home, "garage_door") == ["CLOSE"]
        assert payloads(home, "front_door_lock") == []
        audit = runtime.settings.storage.state_dir / "audit.jsonl"
        outcomes = [(e["turn"], e.get("entity"), e["outcome"])
                    for e in map(json.loads, audit.read_text().splitlines())]  # fmt: skip
        assert ("t2", "lock.front_door_lock", "dropped") in outcomes
        assert ("t3", "cover.garage_door", "dropped") in outcomes


async def test_yes_please_and_a_pin_still_answer(tmp_path: Path) -> None:
    async with talking_to(tmp_path, pin="4321", **EXPOSED) as (home, _runtime, cascade):
        talk = Conversation(cascade)
        await talk.say("unlock the front door")
        done = await talk.say("yes please, my pin is 4 3 2 1")
        assert done == "Unlocked the Front door lock."
        assert payloads(home, "front_door_lock") == [{"state": "UNLOCK"}]


# --- relays that drive alarms and doors; how questions are worded -----------------------------


async def test_an_alarm_relay_announced_as_a_switch_asks_before_it_is_switched_off(
    tmp_path: Path,
) -> None:
    async with talking_to(tmp_path) as (home, _runtime, cascade):
        assert not cascade.settled(Utterance.of("turn off the alarm relay"))  # never in haste
        talk = Conversation(cascade)
        asked = await talk.say("turn off everything in the entrance")
        assert asked.endswith(
            "Do you really want me to turn off the Alarm relay? Please say yes or no."
        )
        assert home.simulator.state("alarm_relay") == {"state": "on"}
        assert plain(home, "alarm_relay") == []

        done = await talk.say("yes")
        assert "Alarm relay" in done and "Entrance light" in done, done
        assert home.simulator.state("alarm_relay") == {"state": "off"}
        assert home.simulator.state("entrance_light")["state"] == "off"
        assert len(plain(home, "alarm_relay")) == 1
        assert len(plain(home, "entrance_light")) == 1  # not switched again by the yes

        on = await talk.say("turn on the alarm relay")  # arming is the safe direction
        assert on == "Turned on the Alarm relay."


async def test_questions_about_a_garage_door_are_worded_as_a_person_would(
    tmp_path: Path,
) -> None:
    async with talking_to(tmp_path, **EXPOSED) as (home, _runtime, cascade):
        talk = Conversation(cascade)
        closing = await talk.say("set the garage door to 0 percent")
        assert closing == "Do you really want me to close the Garage door? Please say yes or no."
        await talk.say("no")
        partly = await talk.say("set the garage door to 40 percent")
        assert partly == (
            "Do you really want me to move the Garage door to 40 percent? Please say yes or no."
        )
        await talk.say("no")
        assert plain(home, "garage_door") == []


# --- lock verbs (a defect fixed earlier: the opposite of what was said) -----------------------


async def test_opening_the_front_door_never_locks_it_and_closing_it_never_unlocks_it(
    tmp_path: Path,
) -> None:
    async with talking_to(tmp_path, **EXPOSED) as (home, _runtime, cascade):
        talk = Conversation(cascade)
        asked = await talk.say("open the front door")
        assert asked == "Do you really want me to unlock the Front door lock? Please say yes or no."
        assert payloads(home, "front_door_lock") == []
        assert await talk.say("yes") == "Unlocked the Front door lock."
        assert await talk.say("close the front door") == "Locked the Front door lock."
        assert await talk.say("open the front door") != "Locked the Front door lock."
        await talk.say("no")
        assert await talk.say("shut the front door") == "Locked the Front door lock."
        assert payloads(home, "front_door_lock") == [
            {"state": "UNLOCK"},
            {"state": "LOCK"},
            {"state": "LOCK"},
        ]


# --- the devices file's risk tier -------------------------------------------------------------


async def test_risk_high_in_the_devices_file_makes_every_command_to_the_entity_ask_first(
    tmp_path: Path,
) -> None:
    high = '[entity."light.entrance_light"]\nrisk = "high"\n'
    async with talking_to(tmp_path, high, pin="4321") as (home, _runtime, cascade):
        assert not cascade.settled(Utterance.of("turn off the entrance light"))  # never in haste
        talk = Conversation(cascade)
        question = "Do you really want me to turn off the Entrance light? Please say your PIN."
        assert await talk.say("turn off the entrance light") == question
        assert await talk.say("yes") == "That PIN is not right, so I did nothing."
        assert plain(home, "entrance_light") == []
        assert home.simulator.state("entrance_light")["state"] == "on"

        assert await talk.say("turn off the entrance light") == question
        assert await talk.say("4 3 2 1") == "Turned off the Entrance light."
        assert home.simulator.state("entrance_light")["state"] == "off"
        assert len(plain(home, "entrance_light")) == 1

        # Every state-changing command asks, not only the risky direction.
        asked = await talk.say("turn on the entrance light")
        assert asked == "Do you really want me to turn on the Entrance light? Please say your PIN."
        assert await talk.say("no") == "OK, I won't."
        assert home.simulator.state("entrance_light")["state"] == "off"
        assert len(plain(home, "entrance_light")) == 1


async def test_risk_normal_lowers_a_relay_its_name_made_risky_but_never_a_lock(
    tmp_path: Path,
) -> None:
    normal = (
        '[entity."switch.alarm_relay"]\nrisk = "normal"\n'
        '[entity."lock.front_door_lock"]\nrisk = "normal"\n'
    )
    async with talking_to(tmp_path, normal, **EXPOSED) as (home, _runtime, cascade):
        talk = Conversation(cascade)
        assert await talk.say("turn off the alarm relay") == "Turned off the Alarm relay."
        assert home.simulator.state("alarm_relay") == {"state": "off"}
        assert len(plain(home, "alarm_relay")) == 1

        # "normal" overrides what a name suggests, not what a kind is: unlocking still asks.
        asked = await talk.say("unlock the front door")
        assert asked == "Do you really want me to unlock the Front door lock? Please say yes or no."
        assert payloads(home, "front_door_lock") == []
