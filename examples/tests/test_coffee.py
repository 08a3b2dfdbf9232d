"""The coffee skill's own tests, as its repository would have them (pytest, pytest-asyncio)."""

from pathlib import Path

from assistant.skill_testing import (
    Speech,
    ToolCall,
    assembled_in,
    assistant_in,
    eventually,
    make_settings,
    running_skills,
    simulated_home,
)

SKILLS = Path(__file__).resolve().parents[1] / "skills"
PLUG = {"coffee": {"plug": "switch.living_room_plug", "brew_seconds": 0.2}}


async def test_brewing_switches_the_plug_on_and_announces_the_coffee(tmp_path: Path) -> None:
    skills = {"builtin": False, "folders": [SKILLS], "options": PLUG}
    async with simulated_home() as home, assistant_in(home, tmp_path, skills=skills) as runtime:
        result = await runtime.toolbox.call(ToolCall("BrewCoffee", {"cups": 2}), turn_id="t1")
        assert result.speech == "Brewing coffee for 2."
        assert home.simulator.state("living_room_plug") == {"state": "on"}
        assert await eventually(lambda: len(runtime.announcer.history) == 1)
        assert runtime.announcer.history[0].text == "Your coffee is ready."


async def test_without_devices_nothing_is_claimed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, skills={"builtin": False, "folders": [SKILLS]})
    async with running_skills(settings) as runtime:
        too_many = await runtime.toolbox.call(ToolCall("BrewCoffee", {"cups": 9}), turn_id="t1")
        assert too_many.error == "invalid-arguments"
        no_plug = await runtime.toolbox.call(ToolCall("BrewCoffee", {"cups": 2}), turn_id="t2")
        assert no_plug.speech == "There is no device called switch.coffee_machine."


async def test_a_typed_and_a_spoken_request_brew(tmp_path: Path) -> None:
    skills = {"folders": [SKILLS], "options": PLUG}
    async with (
        simulated_home() as home,
        assembled_in(home, tmp_path, engines=("vad", "stt"), skills=skills) as assistant,
    ):
        typed = await assistant.turns.from_text("make a coffee")
        assert typed.response == "Brewing coffee for 1."
        said = Speech(assistant.engines).wav("Make two cups of coffee.", tmp_path / "brew.wav")
        heard = await assistant.turns.from_wav(said, use_wake=False, out_dir=None)
        assert heard.response == "Brewing coffee for 2.", heard.transcript
        assert home.simulator.state("living_room_plug") == {"state": "on"}
