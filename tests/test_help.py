""" "What can you do" in a real home: its examples name this home's own devices and rooms, and
only kinds of device a voice may control here.

The question goes through the rules and the real conversation and device skills, over a home
on a private Mosquitto (the default simulated one, or the entrance home of the confirmation
tests); every example given is then matched by the rules as a person would say it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.skill_host.host import SkillHost
from assistant.skill_host.loader import BUILTIN_FOLDER
from assistant.understanding.cascade import Cascade
from assistant.understanding.rules import RuleMatcher
from assistant.understanding.utterance import Utterance
from tests.test_confirmations import EXPOSED, entrance_home
from tests.test_skills_framework import assistant_in, simulated_home


def help_skills(tmp_path: Path) -> dict[str, Any]:
    """Only "what can you do" and the device skills it speaks of (links to the real files)."""
    folder = tmp_path / "help-skills"
    folder.mkdir(exist_ok=True)
    for name in ("conversation", "device_control", "device_state"):
        (folder / f"{name}.py").symlink_to(BUILTIN_FOLDER / f"{name}.py")
    return {"builtin": False, "folders": [folder]}


async def what_can_you_do(runtime: SkillHost) -> tuple[str, list[str]]:
    """The spoken answer, and its examples, each checked to be something the rules take in
    this home: a device it names, and a room, are ones a voice may control here."""
    rules = RuleMatcher(runtime.toolbox.tools, runtime.devices)
    understood = await Cascade(runtime.toolbox, rules).understand(
        Utterance.of("what can you do"), turn_id="help"
    )
    assert understood.intent is not None and understood.intent.call.tool == "AssistantHelp"
    examples = re.findall(r'"([^"]+)"', understood.response)
    for example in examples:
        match = rules.match(Utterance.of(example))
        assert match is not None, example
        arguments = match.call.arguments
        assert arguments.get("name") in (None, *runtime.devices.names()), example
        assert arguments.get("area") in (None, *runtime.devices.exposed_areas()), example
    return understood.response, examples


async def test_examples_name_this_homes_devices_and_rooms(tmp_path: Path) -> None:
    skills = help_skills(tmp_path)
    async with simulated_home() as home, assistant_in(home, tmp_path, skills=skills) as runtime:
        speech, examples = await what_can_you_do(runtime)
    # The home's only blinds are in the living room.
    assert "set the Living room blinds to 50 percent" in examples
    assert "set the Hallway thermostat to 21 degrees" in examples
    assert "bedroom blinds" not in speech.lower()
    assert "kitchen light" not in speech.lower()  # the home's is the Kitchen ceiling light


async def test_a_home_without_covers_or_heating_gets_no_example_of_them(tmp_path: Path) -> None:
    skills = help_skills(tmp_path)
    # The entrance home: locks and a garage door, none exposed; a relay and a light; no heating.
    async with entrance_home(tmp_path) as home, assistant_in(home, tmp_path, skills=skills) as ha:
        speech, examples = await what_can_you_do(ha)
    assert "turn on the Entrance light" in examples
    for absent in ("blind", "garage", "heating", "thermostat", "lock"):
        assert absent not in speech.lower(), absent

    # Exposed, the garage door and the locks are spoken of, by their own names.
    exposed = tmp_path / "exposed"
    exposed.mkdir()
    async with (
        entrance_home(exposed) as home,
        assistant_in(home, exposed, skills=help_skills(exposed), safety=EXPOSED) as ha,
    ):
        speech, examples = await what_can_you_do(ha)
    assert "set the Garage door to 50 percent" in examples
    assert "is the Back door lock locked" in examples
