"""The skills framework with real objects: schemas, loading, calling, failures and the context.

Skills are loaded the way people install them (a folder from config, a package with an entry
point, the built-in folder), run by the real SkillHost and called through its Toolbox. Where
devices matter they are the simulated home on a private Mosquitto, seen through DeviceHome.
The helpers are `assistant.skill_testing`'s, as a skill's own tests use them (docs/skills.md);
some other test modules still import a few of them from here.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.devices.mqtt import Message
from assistant.devices.registry import DeviceRegistry
from assistant.errors import ConfigError
from assistant.skill_host.call import ToolCall
from assistant.skill_host.host import SkillHost
from assistant.skill_host.loader import BUILTIN_FOLDER
from assistant.skill_testing import (
    SimulatedHome,  # noqa: F401 (not used here: test_confirmations.py imports it from here)
    assistant_in,
    device_skills_folder,
    eventually,
    make_settings,
    running_skills,
    simulated_home,
)
from assistant.understanding.rules import RuleMatcher
from assistant.understanding.utterance import Utterance
from tests.conftest import assistant_command, clean_env

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURE_SKILLS = TESTS / "fixtures" / "skills"
SCHEMA_SNAPSHOT = TESTS / "fixtures" / "tools_schema.json"
EXAMPLE_SKILLS = REPO / "examples" / "skills"
EXAMPLE_TESTS = REPO / "examples" / "tests"
GUIDE = REPO / "docs" / "skills.md"

# --- helpers ---------------------------------------------------------------------------------


def write_skill(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def status_of(runtime: SkillHost, name: str) -> Any:
    (status,) = [s for s in runtime.loaded.statuses if s.name == name]
    return status


def properties(schema: dict[str, Any]) -> dict[str, Any]:
    return dict(schema["parameters"]["properties"])


def schema_of(runtime: SkillHost, tool: str) -> dict[str, Any]:
    (found,) = [s for s in runtime.toolbox.schemas() if s["name"] == tool]
    return found


def discover(
    registry: DeviceRegistry, component: str, object_id: str, config: dict[str, Any]
) -> None:
    """Feed one discovery message to a registry without a broker (as tests/test_discovery.py)."""
    topic = f"homeassistant/{component}/{object_id}/config"
    registry.handle_discovery(Message(topic, json.dumps(config).encode(), retain=True))


def device(name: str, area: str, object_id: str) -> dict[str, Any]:
    return {
        "name": None,
        "unique_id": object_id,
        "command_topic": f"{object_id}/set",
        "state_topic": object_id,
        "device": {"identifiers": [object_id], "name": name, "suggested_area": area},
    }


def home_registry() -> DeviceRegistry:
    registry = DeviceRegistry(None)
    discover(registry, "light", "kitchen_ceiling", device("Kitchen ceiling", "Kitchen", "kc"))
    discover(registry, "switch", "coffee_plug", device("Coffee machine", "Kitchen", "cm"))
    lock = {**device("Front door", "Entrance", "fd"), "command_topic": "fd/set"}
    discover(registry, "lock", "front_door", lock)
    return registry


# --- schemas ---------------------------------------------------------------------------------


async def test_schema_comes_from_the_signature_and_the_docstring(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, skills={"builtin": False, "folders": [FIXTURE_SKILLS]})
    async with running_skills(settings, home_registry()) as runtime:
        schema = schema_of(runtime, "WorkshopBrew")

    # The docstring's first paragraph is the description, on one line; the rest is not.
    assert schema["description"] == "Brew coffee in the workshop."
    parameters = schema["parameters"]
    assert parameters["type"] == "object"
    assert parameters["additionalProperties"] is False
    # Required: exactly the parameters without a default.
    assert parameters["required"] == ["cups"]
    given = properties(schema)
    assert list(given) == ["cups", "size", "roast", "machine", "lamp", "room"]
    # Annotated[int, Field(ge=1, le=12)] -> bounds; Args text (continuation lines joined).
    assert given["cups"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 12,
        "description": "how many cups, from 1 to 12.",
    }
    # Literal -> enum, with its default; "(str)" after the name in Args is not in the text.
    assert given["size"] == {
        "type": "string",
        "enum": ["small", "large"],
        "default": "small",
        "description": "the size of each cup.",
    }
    # Optional parameters are plain (no null alternative, no `default: null`).
    assert "anyOf" not in given["machine"] and "default" not in given["machine"]
    assert given["machine"]["description"] == "the device that brews."
    assert given["room"]["description"] == "the room to brew in."
    assert all("title" not in value for value in given.values())


async def test_enum_parameters_allow_exactly_their_values(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, skills={"builtin": False, "folders": [FIXTURE_SKILLS]})
    async with running_skills(settings) as runtime:
        parameters = schema_of(runtime, "WorkshopBrew")["parameters"]
        roast = parameters["properties"]["roast"]
        if "$ref" in roast:  # resolve the local reference pydantic emits for an Enum class
            roast = {**parameters["$defs"][roast["$ref"].rsplit("/", 1)[-1]], **roast}
        assert roast["enum"] == ["light", "dark"]
        assert roast["description"] == "how dark the beans are."
        good = await runtime.toolbox.call(
            ToolCall("WorkshopBrew", {"cups": 1, "roast": "dark"}), turn_id="e1"
        )
        bad = await runtime.toolbox.call(
            ToolCall("WorkshopBrew", {"cups": 1, "roast": "burnt"}), turn_id="e2"
        )
    assert good.success and str(good.data["roast"]) == "Roast.DARK"
    assert bad.error == "invalid-arguments"
    assert bad.speech == "The roast 'burnt' won't do: input should be 'light' or 'dark'."


async def test_enum_parameters_are_inline_so_the_schema_can_be_embedded(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, skills={"builtin": False, "folders": [FIXTURE_SKILLS]})
    async with running_skills(settings) as runtime:
        parameters = schema_of(runtime, "WorkshopBrew")["parameters"]
    assert "$ref" not in json.dumps(parameters)
    assert parameters["properties"]["roast"]["enum"] == ["light", "dark"]


async def test_device_and_area_choices_come_from_the_live_registry(tmp_path: Path) -> None:
    registry = home_registry()
    settings = make_settings(
        tmp_path,
        skills={"builtin": False, "folders": [FIXTURE_SKILLS, device_skills_folder(tmp_path)]},
    )
    async with running_skills(settings, registry) as runtime:
        brew = properties(schema_of(runtime, "WorkshopBrew"))
        # EntityName: every device a voice may control (not the lock, which is not in
        # safety.exposed); Entities("light"): lights only; AreaName: the rooms of those devices.
        assert brew["machine"]["enum"] == ["Coffee machine", "Kitchen ceiling"]
        assert brew["lamp"]["enum"] == ["Kitchen ceiling"]
        assert brew["room"]["enum"] == ["Kitchen"]
        assert brew["machine"]["type"] == "string"
        light_set = properties(schema_of(runtime, "HassLightSet"))
        assert light_set["name"]["enum"] == ["Kitchen ceiling"]

        # A device paired later is in the very next turn's schema.
        discover(registry, "light", "porch", device("Porch light", "Garden", "pl"))
        brew = properties(schema_of(runtime, "WorkshopBrew"))
        assert brew["lamp"]["enum"] == ["Kitchen ceiling", "Porch light"]
        assert brew["room"]["enum"] == ["Garden", "Kitchen"]


def test_builtin_tool_schemas_match_the_snapshot(tmp_path: Path) -> None:
    """`assistant tools schema` without a broker, compared with tests/fixtures/tools_schema.json.

    Only the tools in the snapshot are compared, so new skills don't break this test. After an
    intended change to one of them, regenerate the snapshot's tools (the same names, fresh
    schemas) and review the diff:

        UPDATE_TOOLS_SCHEMA=1 .venv/bin/python -m pytest tests/test_skills_framework.py -k snapshot
        git diff tests/fixtures/tools_schema.json

    To pin a new tool, add an entry {"name": "<Tool>"} to the file and run the same command.
    """
    shown = subprocess.run(
        [*assistant_command(), "tools", "schema"],
        env=clean_env(ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    live = {tool["name"]: tool for tool in json.loads(shown.stdout)}
    snapshot = json.loads(SCHEMA_SNAPSHOT.read_text())
    if os.environ.get("UPDATE_TOOLS_SCHEMA") == "1":
        snapshot = [live[tool["name"]] for tool in snapshot]
        SCHEMA_SNAPSHOT.write_text(json.dumps(snapshot, indent=2, ensure_ascii=False) + "\n")
    assert len(snapshot) >= 7, "the snapshot should pin at least the device tools"
    for expected in snapshot:
        assert expected["name"] in live, f"{expected['name']} is no longer a tool"
        assert live[expected["name"]] == expected, expected["name"]
    # Without a broker the home is empty: a device name can only be left empty.
    assert properties(live["HassTurnOn"])["name"]["enum"] == [""]


# --- where skills come from -----------------------------------------------------------------


async def test_a_skill_from_a_config_folder_is_loaded_and_called(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, skills={"folders": [FIXTURE_SKILLS]})
    async with running_skills(settings) as runtime:
        workshop = status_of(runtime, "workshop")
        assert workshop.state == "enabled"
        assert workshop.source == str(FIXTURE_SKILLS / "workshop.py")
        assert "WorkshopBrew" in workshop.tools
        assert status_of(runtime, "device_control").state == "enabled"  # built-ins load too
        result = await runtime.toolbox.call(ToolCall("WorkshopBrew", {"cups": 2}), turn_id="f1")
    assert result.success
    assert result.speech == "Brewing 2 small cups."


BREWERY_PACKAGE = {
    "__init__.py": '''
        """A third-party skill, installed as a package."""

        from typing import Literal

        from assistant.skills import Skill, ToolResult, tool
        from brewery_skill.recipes import RECIPES


        class BrewerySkill(Skill):
            """Pour beer."""

            @tool("BreweryPour", examples=["pour [me] a {beer}"])
            async def pour(self, beer: Literal["stout", "lager"]) -> ToolResult:
                """Pour a glass of beer.

                Args:
                    beer: which beer.
                """
                return ToolResult(f"Pouring a {beer}: {RECIPES[beer]}.")
    ''',
    "recipes.py": """
        RECIPES = {"stout": "dark and creamy", "lager": "cold and crisp"}
    """,
}


def install_brewery(site: Path) -> Path:
    """A real distribution on disk: the package and its dist-info with an entry point, as pip
    leaves it in site-packages."""
    package = site / "brewery_skill"
    package.mkdir(parents=True)
    for name, source in BREWERY_PACKAGE.items():
        (package / name).write_text(textwrap.dedent(source).lstrip())
    info = site / "brewery_skill-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: brewery-skill\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[assistant.skills]\nbrewery = brewery_skill:BrewerySkill\n"
    )
    return site


@pytest.fixture
def brewery_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = install_brewery(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))  # also invalidates the import caches
    importlib.invalidate_caches()
    yield site
    for module in [
        m for m in sys.modules if m == "brewery_skill" or m.startswith("brewery_skill.")
    ]:
        del sys.modules[module]


def test_a_package_with_an_entry_point_is_listed_by_the_cli(tmp_path: Path) -> None:
    site = install_brewery(tmp_path / "site")
    listed = subprocess.run(
        [*assistant_command(), "skills", "list"],
        env=clean_env(PYTHONPATH=str(site), ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    lines = listed.stdout.splitlines()
    (row,) = [i for i, line in enumerate(lines) if line.split()[:1] == ["brewery"]]
    assert lines[row].split() == ["brewery", "enabled", "BreweryPour"]
    assert lines[row + 1].split() == ["from", "package", "brewery_skill:BrewerySkill"]


async def test_a_package_with_an_entry_point_is_loaded_and_called(
    tmp_path: Path, brewery_on_path: Path
) -> None:
    settings = make_settings(tmp_path, skills={"builtin": False})
    async with running_skills(settings) as runtime:
        brewery = status_of(runtime, "brewery")
        assert (brewery.state, brewery.tools) == ("enabled", ["BreweryPour"])
        assert brewery.source == "package brewery_skill:BrewerySkill"
        assert properties(schema_of(runtime, "BreweryPour"))["beer"]["enum"] == ["stout", "lager"]
        poured = await runtime.toolbox.call(
            ToolCall("BreweryPour", {"beer": "stout"}), turn_id="p1"
        )
        refused = await runtime.toolbox.call(
            ToolCall("BreweryPour", {"beer": "cider"}), turn_id="p2"
        )
    assert poured.success and poured.speech == "Pouring a stout: dark and creamy."
    assert refused.error == "invalid-arguments"


BROKEN_SKILLS = {
    "syntax_error": """
        from assistant.skills import Skill

        class SyntaxError_(Skill):
            def (self):
    """,
    "missing_import": """
        import assistant_no_such_module
    """,
    "failing_setup": '''
        from assistant.skills import Skill, ToolResult, tool

        class FailingSetup(Skill):
            async def setup(self) -> None:
                raise RuntimeError("the coffee machine is not plugged in")

            @tool("FailingPing")
            async def ping(self) -> ToolResult:
                """Answer pong."""
                return ToolResult("pong")
    ''',
    "bad_options": '''
        from pydantic import BaseModel

        from assistant.skills import Skill, ToolResult, tool

        class BadOptions(Skill):
            class Config(BaseModel):
                cups: int = 2

            @tool("BadOptionsPing")
            async def ping(self) -> ToolResult:
                """Answer pong."""
                return ToolResult("pong")
    ''',
    "sync_tool": '''
        from assistant.skills import Skill, ToolResult, tool

        class SyncTool(Skill):
            @tool("SyncPing")
            def ping(self) -> ToolResult:
                """Answer pong, but not asynchronously."""
                return ToolResult("pong")
    ''',
    "no_skill": """
        ANSWER = 42
    """,
    "unbalanced_parenthesis": '''
        from assistant.skills import Skill, ToolResult, tool

        class UnbalancedParenthesis(Skill):
            @tool("UnbalancedBrew", examples=["brew {cups} cups", "(make|brew {cups} cups"])
            async def brew(self, cups: int) -> ToolResult:
                """Brew coffee."""
                return ToolResult("Brewing.")
    ''',
    "unbalanced_bracket": '''
        from assistant.skills import Skill, ToolResult, tool

        class UnbalancedBracket(Skill):
            @tool("UnbalancedWater", examples=["water [the plants"])
            async def water(self) -> ToolResult:
                """Water the plants."""
                return ToolResult("Watered.")
    ''',
    "unknown_slot": '''
        from assistant.skills import Skill, ToolResult, tool

        class UnknownSlot(Skill):
            @tool("UnknownSlotPour", examples=["pour [me] a {drink}", "pour [me] a {beer}"])
            async def pour(self, drink: str) -> ToolResult:
                """Pour a drink."""
                return ToolResult("Poured.")
    ''',
}
BROKEN_TEMPLATES = {"unbalanced_parenthesis", "unbalanced_bracket", "unknown_slot"}
BROKEN_REASONS = {
    "syntax_error": "SyntaxError: invalid syntax (syntax_error.py, line 4)",
    "missing_import": "ModuleNotFoundError: No module named 'assistant_no_such_module'",
    "failing_setup": "RuntimeError: the coffee machine is not plugged in",
    "bad_options": "skills.options.bad_options.cups: Input should be a valid integer, "
    "unable to parse string as an integer",
    "sync_tool": "TypeError: tool ping must be an async method",
    "no_skill": "TypeError: defines no Skill subclass",
    "unbalanced_parenthesis": "TemplateSyntaxError: tool UnbalancedBrew, example "
    "'(make|brew {cups} cups': missing ')'",
    "unbalanced_bracket": "TemplateSyntaxError: tool UnbalancedWater, example "
    "'water [the plants': missing ']'",
    "unknown_slot": "TemplateSyntaxError: tool UnknownSlotPour, example 'pour [me] a {beer}': "
    "no parameter named 'beer' (it takes drink)",
}
HEALTHY_SKILL = '''
    from assistant.skills import Skill, ToolResult, tool

    class Healthy(Skill):
        @tool("HealthyPing")
        async def ping(self) -> ToolResult:
            """Answer pong."""
            return ToolResult("pong")
'''


def broken_skills_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "skills"
    for name, source in BROKEN_SKILLS.items():
        write_skill(folder, name, source)
    write_skill(folder, "healthy", HEALTHY_SKILL)
    return folder


async def test_broken_skills_are_disabled_with_one_log_line_and_the_rest_work(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        tmp_path,
        skills={
            "folders": [broken_skills_folder(tmp_path)],
            "options": {"bad_options": {"cups": "many"}},
        },
    )
    with caplog.at_level(logging.ERROR, logger="assistant.skills"):
        async with running_skills(settings) as runtime:
            for name, reason in BROKEN_REASONS.items():
                status = status_of(runtime, name)
                assert (status.state, status.reason) == ("broken", reason), name
                assert status.tools == []
            assert status_of(runtime, "healthy").state == "enabled"
            assert status_of(runtime, "device_control").state == "enabled"
            pong = await runtime.toolbox.call(ToolCall("HealthyPing", {}), turn_id="b1")
            builtin = await runtime.toolbox.call(ToolCall("HassTurnOn", {}), turn_id="b2")
            gone = await runtime.toolbox.call(ToolCall("FailingPing", {}), turn_id="b3")
            # A skill with one broken template takes no part at all: its sound template
            # ("brew {cups} cups") reaches nothing either, and its tools are unknown.
            rules = RuleMatcher(runtime.toolbox.tools, runtime.devices)
            assert rules.match(Utterance.of("brew 2 cups")) is None
            poured = await runtime.toolbox.call(
                ToolCall("UnknownSlotPour", {"drink": "tea"}), turn_id="b4"
            )
    assert pong.speech == "pong"
    assert poured.error == "unknown-tool"
    # A built-in tool still answers (here: that it needs to know which device).
    assert (builtin.error, builtin.speech) == ("missing-target", "Which device do you mean?")
    assert gone.error == "unknown-tool"
    loader_errors = [r for r in caplog.records if r.name == "assistant.skill_host.loader"]
    for name, reason in BROKEN_REASONS.items():
        lines = [r.getMessage() for r in loader_errors if f"skill {name} " in r.getMessage()]
        assert len(lines) == 1, (name, lines)
        assert "disabled" in lines[0] and reason.split(":")[0] in lines[0]
        assert "\n" not in lines[0]


def test_skills_list_shows_broken_skills_with_their_reason_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text(
        textwrap.dedent(f"""
            [storage]
            state_dir = "{tmp_path / "state"}"

            [skills]
            folders = ["{broken_skills_folder(tmp_path)}"]

            [skills.options.bad_options]
            cups = "many"
        """)
    )
    listed = subprocess.run(
        [*assistant_command(), "skills", "list", "--config", str(config)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 1, listed.stdout + listed.stderr
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in listed.stdout.splitlines()
            if not line.startswith(" ")}  # fmt: skip
    for name, reason in BROKEN_REASONS.items():
        assert rows[name] == ["broken", reason], name
        assert sum(f"skill {name} " in line for line in listed.stderr.splitlines()) == 1, name
    assert rows["healthy"] == ["enabled", "HealthyPing"]
    assert rows["device_control"][0] == "enabled"


def test_broken_templates_are_shown_by_skills_list_json_and_the_doctor(tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    for name in BROKEN_TEMPLATES:
        write_skill(folder, name, BROKEN_SKILLS[name])
    write_skill(folder, "healthy", HEALTHY_SKILL)
    env = clean_env(
        ASSISTANT_SKILLS__FOLDERS=json.dumps([str(folder)]),
        ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state"),
    )
    listed = subprocess.run(
        [*assistant_command(), "skills", "list", "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert listed.returncode == 1, listed.stdout + listed.stderr
    shown = {skill["name"]: skill for skill in json.loads(listed.stdout)}
    for name in BROKEN_TEMPLATES:
        assert (shown[name]["state"], shown[name]["reason"]) == ("broken", BROKEN_REASONS[name])
        assert (shown[name]["tools"], shown[name]["source"]) == ([], str(folder / f"{name}.py"))
    assert shown["healthy"]["state"] == "enabled"

    untouched = tmp_path / "doctor-state"
    examined = subprocess.run(
        [*assistant_command(), "doctor", "--json"],
        env={**env, "ASSISTANT_STORAGE__STATE_DIR": str(untouched)},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert examined.returncode == 1, examined.stdout + examined.stderr
    (skills,) = [check for check in json.loads(examined.stdout) if check["name"] == "skills"]
    assert skills["status"] == "fail"
    for name in sorted(BROKEN_TEMPLATES):
        assert f"{name} ({folder / name}.py): {BROKEN_REASONS[name]}" in skills["detail"]
    assert "healthy" not in skills["detail"]
    assert "[skills] disabled" in skills["fix"]
    assert not untouched.exists()  # the doctor sets no skill up: it changes nothing


async def test_a_disabled_skill_is_listed_but_not_loaded(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, skills={"folders": [FIXTURE_SKILLS], "disabled": ["workshop", "device_state"]}
    )
    async with running_skills(settings) as runtime:
        assert (status_of(runtime, "workshop").state, status_of(runtime, "workshop").reason) == (
            "disabled",
            "disabled in config",
        )
        assert status_of(runtime, "device_state").state == "disabled"
        assert status_of(runtime, "device_control").state == "enabled"
        result = await runtime.toolbox.call(ToolCall("WorkshopBrew", {"cups": 1}), turn_id="d1")
        assert "workshop" not in runtime.loaded.skills
    assert result.error == "unknown-tool"


async def test_two_tools_with_one_name_stop_start_up_naming_both(tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    impostor = write_skill(
        folder,
        "impostor",
        '''
        from assistant.skills import Skill, ToolResult, tool

        class Impostor(Skill):
            @tool("HassTurnOn")
            async def turn_on(self, name: str) -> ToolResult:
                """Pretend to turn something on."""
                return ToolResult("Sure.")
        ''',
    )
    settings = make_settings(tmp_path, skills={"folders": [folder]})
    with pytest.raises(ConfigError) as raised:
        async with running_skills(settings):
            pass
    message = raised.value.message
    assert "two tools are named HassTurnOn" in message
    assert "device_control" in message and str(BUILTIN_FOLDER / "device_control.py") in message
    assert "impostor" in message and str(impostor) in message

    listed = subprocess.run(
        [*assistant_command(), "skills", "list"],
        env=clean_env(
            ASSISTANT_SKILLS__FOLDERS=json.dumps([str(folder)]),
            ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state"),
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 2
    assert listed.stderr.strip().splitlines()[-1] == f"assistant: {message}"


TWIN = '''
    from assistant.skills import Skill, ToolResult, tool

    class Twin(Skill):
        name = "{name}"

        @tool("{tool}")
        async def ping(self) -> ToolResult:
            """Answer pong."""
            return ToolResult("pong")
'''


async def test_two_skills_with_one_name_stop_start_up_and_the_message_says_what_works(
    tmp_path: Path,
) -> None:
    first = write_skill(tmp_path / "first", "twin_a", TWIN.format(name="twin", tool="TwinA"))
    second = write_skill(tmp_path / "second", "twin_b", TWIN.format(name="twin", tool="TwinB"))
    skills = {"builtin": False, "folders": [first.parent, second.parent]}
    with pytest.raises(ConfigError) as raised:
        async with running_skills(make_settings(tmp_path, skills=skills)):
            pass
    assert raised.value.message == (
        f"two skills are named twin: {first} and {second}. [skills] disabled takes names, so "
        "it would turn off both: to keep one, remove the other (its file or folder, or its "
        "package), or rename it (its class attribute `name`)"
    )

    # What the message says is what happens: `disabled` turns off both ...
    both_off = make_settings(tmp_path, skills={**skills, "disabled": ["twin"]})
    async with running_skills(both_off) as runtime:
        assert [(s.name, s.state) for s in runtime.loaded.statuses] == [("twin", "disabled")] * 2
        assert runtime.toolbox.tools == {}
    # ... and a rename leaves both working.
    write_skill(tmp_path / "second", "twin_b", TWIN.format(name="twin_b", tool="TwinB"))
    async with running_skills(make_settings(tmp_path, skills=skills)) as runtime:
        assert {s.name: s.state for s in runtime.loaded.statuses} == {
            "twin": "enabled",
            "twin_b": "enabled",
        }


async def test_two_skill_files_with_one_name_are_told_to_rename_the_file(tmp_path: Path) -> None:
    """Named after their files: renaming one of the files is what works."""
    first = write_skill(tmp_path / "first", "twin", TWIN.format(name="", tool="TwinA"))
    second = write_skill(tmp_path / "second", "twin", TWIN.format(name="", tool="TwinB"))
    skills = {"builtin": False, "folders": [first.parent, second.parent]}
    with pytest.raises(ConfigError) as raised:
        async with running_skills(make_settings(tmp_path, skills=skills)):
            pass
    assert f"two skills are named twin: {first} and {second}." in raised.value.message
    assert raised.value.message.endswith("or rename it (its file or folder)")
    second.rename(second.with_name("twin_b.py"))
    async with running_skills(make_settings(tmp_path, skills=skills)) as runtime:
        assert runtime.toolbox.tools.keys() == {"TwinA", "TwinB"}


SYNCHRONOUS_HOOKS = '''
    from assistant.skills import Skill, ToolResult, tool

    class Plain(Skill):
        def setup(self) -> None:
            self.greeting = (self.context.state_dir / "greeting.txt").read_text()

        def teardown(self) -> None:
            (self.context.state_dir / "greeting.txt").write_text("Goodbye")

        @tool("PlainGreet")
        async def greet(self) -> ToolResult:
            """Greet."""
            return ToolResult(self.greeting)
'''


async def test_setup_and_teardown_may_be_plain_methods(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_skill(tmp_path / "skills", "plain", SYNCHRONOUS_HOOKS)
    greeting = tmp_path / "state" / "skills" / "plain" / "greeting.txt"
    greeting.parent.mkdir(parents=True)
    greeting.write_text("Hello")
    settings = make_settings(tmp_path, skills={"builtin": False, "folders": [tmp_path / "skills"]})
    with caplog.at_level(logging.ERROR, logger="assistant.skill_host"):
        async with running_skills(settings) as runtime:
            plain = status_of(runtime, "plain")
            assert (plain.state, plain.reason) == ("enabled", "")
            greeted = await runtime.toolbox.call(ToolCall("PlainGreet", {}), turn_id="h1")
    assert greeted.speech == "Hello"
    assert greeting.read_text() == "Goodbye"  # the plain teardown ran at stop ...
    assert [r.getMessage() for r in caplog.records] == []  # ... and was not awaited


def test_config_given_before_the_command_is_used(tmp_path: Path) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text(f'[skills]\nfolders = ["{FIXTURE_SKILLS}"]\n')
    listed = subprocess.run(
        [*assistant_command(), "--config", str(config), "skills", "list"],
        env=clean_env(ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "workshop" in listed.stdout, listed.stdout + listed.stderr


# --- calling tools ---------------------------------------------------------------------------


@pytest.fixture
async def workshop(tmp_path: Path) -> AsyncIterator[SkillHost]:
    settings = make_settings(tmp_path, skills={"builtin": False, "folders": [FIXTURE_SKILLS]})
    async with running_skills(settings) as runtime:
        yield runtime


@pytest.mark.parametrize(
    ("arguments", "speech"),
    [
        ({}, "I need the cups for that."),
        (
            {"cups": "lots"},
            "The cups 'lots' won't do: input should be a valid integer, "
            "unable to parse string as an integer.",
        ),
        ({"cups": 40}, "The cups 40 won't do: input should be less than or equal to 12."),
        ({"cups": 0}, "The cups 0 won't do: input should be greater than or equal to 1."),
        ({"cups": 2, "sugar": 1}, "WorkshopBrew has no sugar."),
        (
            {"cups": 2, "size": "huge"},
            "The size 'huge' won't do: input should be 'small' or 'large'.",
        ),
    ],
    ids=["missing", "wrong-type", "too-high", "too-low", "unknown-argument", "not-a-choice"],
)
async def test_invalid_arguments_come_back_as_a_speakable_result(
    workshop: SkillHost, arguments: dict[str, Any], speech: str
) -> None:
    result = await workshop.toolbox.call(ToolCall("WorkshopBrew", arguments), turn_id="v1")
    assert (result.success, result.error) == (False, "invalid-arguments")
    assert result.speech == speech


async def test_arguments_are_coerced_to_the_declared_types(workshop: SkillHost) -> None:
    result = await workshop.toolbox.call(
        ToolCall("WorkshopBrew", {"cups": "3", "size": "large"}), turn_id="c1"
    )
    assert result.success, result.speech
    assert (result.data["cups"], result.data["cups_type"]) == (3, "int")
    assert result.speech == "Brewing 3 large cups."


async def test_a_slow_tool_times_out_and_the_runtime_keeps_working(workshop: SkillHost) -> None:
    started = time.monotonic()
    result = await workshop.toolbox.call(ToolCall("WorkshopSlow", {}), turn_id="t1")
    elapsed = time.monotonic() - started
    assert (result.success, result.error) == (False, "timeout")
    assert result.speech == "That took too long; I stopped after 0.3 seconds."
    assert 0.3 <= elapsed < 1.5, elapsed
    assert workshop.loaded.skills["workshop"].cancelled is True  # type: ignore[attr-defined]
    after = await workshop.toolbox.call(ToolCall("WorkshopGreet", {}), turn_id="t2")
    assert after.speech == "Hello!"


async def test_a_failing_tool_is_reported_and_the_runtime_keeps_working(
    workshop: SkillHost, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="assistant.skill_host.toolbox"):
        result = await workshop.toolbox.call(ToolCall("WorkshopExplode", {}), turn_id="x1")
    assert (result.success, result.error) == (False, "skill-failed")
    assert result.speech == "Sorry, the workshop skill failed."
    assert result.data["detail"] == "the grinder jammed"
    (record,) = [r for r in caplog.records if "WorkshopExplode" in r.getMessage()]
    assert record.exc_info is not None  # the traceback is in the log, not in the reply
    after = await workshop.toolbox.call(ToolCall("WorkshopBrew", {"cups": 1}), turn_id="x2")
    assert after.success


# --- devices ---------------------------------------------------------------------------------


async def test_a_device_that_never_confirms_is_a_failure_the_reply_admits(tmp_path: Path) -> None:
    async with simulated_home() as home, assistant_in(home, tmp_path) as runtime:
        home.simulator.set_fault("living_room_fan", lose_confirmations=True)
        started = time.monotonic()
        result = await runtime.toolbox.call(
            ToolCall("HassTurnOn", {"name": "living room fan"}), turn_id="l1"
        )
        elapsed = time.monotonic() - started
        assert (result.success, result.error) == (False, "device-failed")
        assert result.speech == "The Living room fan did not confirm it is on within 1 second."
        assert not result.speech.startswith("Turned on")
        (outcome,) = result.outcomes
        assert (outcome.entity_id, outcome.status) == ("fan.living_room_fan", "failed")
        assert 1.0 <= elapsed < 3.0, elapsed
        # The fan did get the command (it just never said so).
        assert home.simulator.state("living_room_fan")["state"] == "on"


async def test_an_offline_device_is_reported_unavailable_and_gets_nothing(tmp_path: Path) -> None:
    async with simulated_home() as home, assistant_in(home, tmp_path) as runtime:
        await home.simulator.set_available("kitchen_ceiling", False)
        entity = runtime.devices.registry.get("light.kitchen_ceiling_light")
        assert entity is not None
        assert await eventually(lambda: entity.state.available is False)
        result = await runtime.toolbox.call(
            ToolCall("HassTurnOn", {"name": "kitchen ceiling light"}), turn_id="o1"
        )
        assert (result.success, result.error) == (False, "device-failed")
        assert result.speech == "The Kitchen ceiling light is offline, so nothing was sent."
        assert [o.status for o in result.outcomes] == ["unavailable"]
        await asyncio.sleep(0.2)
        assert home.published_to("kitchen_ceiling") == []
        assert home.simulator.state("kitchen_ceiling")["state"] == "off"


# --- the skill's context ---------------------------------------------------------------------


async def test_options_are_validated_against_the_skills_config(tmp_path: Path) -> None:
    folders = [FIXTURE_SKILLS, device_skills_folder(tmp_path)]
    good = make_settings(
        tmp_path,
        skills={
            "builtin": False,
            "folders": folders,
            "options": {"workshop": {"greeting": "Ahoy"}},
        },
    )
    async with running_skills(good) as runtime:
        greeted = await runtime.toolbox.call(ToolCall("WorkshopGreet", {}), turn_id="o1")
        config = runtime.loaded.skills["workshop"].context.config
    assert greeted.speech == "Ahoy!"
    assert (config.greeting, config.max_cups) == ("Ahoy", 12)  # the default for what's not set

    bad = make_settings(
        tmp_path,
        skills={
            "builtin": False,
            "folders": folders,
            "options": {
                "workshop": {"max_cups": 0, "colour": "red"},
                "device_state": {"verbose": True},
            },
        },
    )
    async with running_skills(bad) as runtime:
        workshop, device_state = status_of(runtime, "workshop"), status_of(runtime, "device_state")
        assert status_of(runtime, "device_control").state == "enabled"
    assert workshop.state == "broken"
    assert workshop.reason == (
        "skills.options.workshop.max_cups: Input should be greater than or equal to 1; "
        "skills.options.workshop.colour: Extra inputs are not permitted"
    )
    # A skill that declares no Config takes no options: a typo is not silently ignored.
    assert (device_state.state, device_state.reason) == (
        "broken",
        "ValueError: takes no options, got ['verbose']",
    )


async def test_state_dir_is_the_skills_own_and_survives_a_restart(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        skills={"builtin": False, "folders": [FIXTURE_SKILLS, device_skills_folder(tmp_path)]},
    )
    state = tmp_path / "state"
    async with running_skills(settings) as runtime:
        skills = runtime.loaded.skills
        assert skills["workshop"].context.state_dir == state / "skills" / "workshop"
        assert skills["device_control"].context.state_dir == state / "skills" / "device_control"
        assert (state / "skills" / "device_control").is_dir()  # made for it, before setup()
        kept = await runtime.toolbox.call(
            ToolCall("WorkshopRemember", {"word": "marmalade"}), turn_id="s1"
        )
        first = await runtime.toolbox.call(ToolCall("WorkshopGreet", {}), turn_id="s2")
    assert kept.success and first.data["starts"] == 1
    assert (state / "skills" / "workshop" / "word.txt").read_text() == "marmalade"

    async with running_skills(settings) as runtime:
        recalled = await runtime.toolbox.call(ToolCall("WorkshopRecall", {}), turn_id="s3")
        second = await runtime.toolbox.call(ToolCall("WorkshopGreet", {}), turn_id="s4")
    assert recalled.speech == "You told me marmalade."
    assert second.data["starts"] == 2


# --- the guide's example ---------------------------------------------------------------------


def test_the_guides_example_is_the_example_file_and_short() -> None:
    source = (EXAMPLE_SKILLS / "coffee.py").read_text()
    assert len(source.splitlines()) < 30
    guide = GUIDE.read_text()
    assert f"```python\n{source}```" in guide, "docs/skills.md must show examples/skills/coffee.py"


async def test_the_guides_example_brews_and_announces_on_the_simulated_home(tmp_path: Path) -> None:
    options = {"coffee": {"plug": "switch.living_room_plug", "brew_seconds": 0.2}}
    folders = [EXAMPLE_SKILLS, device_skills_folder(tmp_path)]
    async with (
        simulated_home() as home,
        assistant_in(
            home, tmp_path, skills={"builtin": False, "folders": folders, "options": options}
        ) as runtime,
    ):
        assert status_of(runtime, "coffee").tools == ["BrewCoffee"]
        schema = schema_of(runtime, "BrewCoffee")
        assert schema["description"] == "Brew coffee and say when it is ready."
        assert properties(schema)["cups"]["maximum"] == 8
        result = await runtime.toolbox.call(ToolCall("BrewCoffee", {"cups": "2"}), turn_id="g1")
        assert result.success, result.speech
        assert result.speech == "Brewing coffee for 2."
        assert home.simulator.state("living_room_plug") == {"state": "on"}
        assert runtime.scheduler.pending() == ["coffee"]
        assert await eventually(lambda: len(runtime.announcer.history) == 1, 3.0)
        assert runtime.announcer.history[0].text == "Your coffee is ready."
        assert runtime.scheduler.pending() == []


async def test_the_guides_example_without_a_device_network(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, skills={"builtin": False, "folders": [EXAMPLE_SKILLS]})
    async with running_skills(settings) as runtime:  # an empty home
        missing = await runtime.toolbox.call(ToolCall("BrewCoffee", {}), turn_id="g2")
        assert (missing.success, missing.error) == (False, "refused")
        assert missing.speech == "There is no device called switch.coffee_machine."
    # A home known from discovery alone (DeviceRegistry(None)): the plug is found, but there is
    # no broker to send the command through, and the reply says so.
    async with running_skills(settings, home_registry()) as runtime:
        offline = await runtime.toolbox.call(ToolCall("BrewCoffee", {"cups": 1}), turn_id="g3")
        assert (offline.success, offline.error) == (False, "device-failed")
        assert offline.speech == "No device network is connected."
        assert runtime.scheduler.pending() == []


async def test_the_guides_example_sentences_reach_the_tool(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, skills={"builtin": False, "folders": [EXAMPLE_SKILLS]})
    async with running_skills(settings) as runtime:
        rules = RuleMatcher(runtime.toolbox.tools, runtime.devices)
        heard = {
            text: rules.match(Utterance.of(text))
            for text in ("brew 2 cups of coffee", "make a coffee")
        }
        assert rules.match(Utterance.of("make tea")) is None
        for text, match in heard.items():
            assert match is not None and match.call.tool == "BrewCoffee", text
            result = await runtime.toolbox.call(match.call, turn_id=text)
            assert result.error == "refused", text  # valid arguments; the empty home has no plug
    assert {text: m.call.arguments for text, m in heard.items() if m} == {
        "brew 2 cups of coffee": {"cups": "2"},
        "make a coffee": {"cups": "1"},
    }


# A skill's own repository: its pytest configuration, as docs/skills.md shows it.
SKILL_REPOSITORY_PYTEST = """\
[tool.pytest.ini_options]
asyncio_mode = "auto"
"""


def test_a_skills_own_suite_runs_on_the_testing_helpers(tmp_path: Path) -> None:
    """examples/tests/test_coffee.py (shown in the guide) run by pytest in a repository of its
    own, as a skill's author runs it: nothing from this project's tests/ is there to lean on."""
    guide = GUIDE.read_text()
    suite = (EXAMPLE_TESTS / "test_coffee.py").read_text()
    assert f"```python\n{suite}```" in guide, "docs/skills.md must show the example's tests"
    assert f"```toml\n{SKILL_REPOSITORY_PYTEST}```" in guide
    repository = tmp_path / "coffee-skill"
    shutil.copytree(EXAMPLE_SKILLS, repository / "skills")
    shutil.copytree(EXAMPLE_TESTS, repository / "tests")
    (repository / "pyproject.toml").write_text(SKILL_REPOSITORY_PYTEST)
    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--basetemp={tmp_path / 'their-tmp'}"],
        cwd=repository, env=clean_env(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.splitlines()[-1].startswith("3 passed"), tested.stdout
