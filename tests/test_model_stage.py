"""The language-model stage: candidates from retrieval, the prompt, the tools' shapes, grounding,
failures that fall back to the rules, and the real specialist model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.mqtt import Message
from assistant.devices.registry import DeviceRegistry
from assistant.devices.sim import Simulator
from assistant.engines import Engines
from assistant.pipeline.assembly import Assembled, assemble
from assistant.skill_host.call import ToolCall
from assistant.skill_host.host import SkillHost
from assistant.understanding.cascade import NOT_UNDERSTOOD, Cascade
from assistant.understanding.grounding import durations_taken, grounded
from assistant.understanding.model_format import ToolShape
from assistant.understanding.model_stage import ModelStage
from assistant.understanding.retrieval import MAX_DEVICES, MAX_ROOMS
from assistant.understanding.utterance import Utterance

from .conftest import assembled_home, large_home

SMALL_HOME = [
    ("light", "Kitchen ceiling light", "Kitchen"),
    ("light", "Bedroom lamp", "Bedroom"),
    ("switch", "Living room plug", "Living room"),
    ("switch", "Kettle plug", "Kitchen"),
]


def discover(registry: DeviceRegistry, devices: Sequence[tuple[str, str, str | None]]) -> None:
    """Announce the devices as MQTT discovery would."""
    for index, (kind, name, room) in enumerate(devices):
        config: dict[str, object] = {"name": name, "cmd_t": f"d{index}/set", "stat_t": f"d{index}"}
        if room:
            config["dev"] = {"sa": room}
        topic = f"homeassistant/{kind}/d{index}/config"
        registry.handle_discovery(Message(topic, json.dumps(config).encode(), retain=True))


def stage_for(host: SkillHost, settings: Settings) -> ModelStage:
    """A model stage over this host's tools and devices; its model loads on first use."""
    return ModelStage(
        Engines(settings), host.toolbox.tools, host.devices, settings.understanding, settings.llm
    )


@pytest.fixture
async def small_home(tmp_path: Path) -> AsyncIterator[ModelStage]:
    settings = load_settings(storage={"state_dir": tmp_path})
    registry = DeviceRegistry(None)
    discover(registry, SMALL_HOME)
    host = await SkillHost(settings, registry, None).start()
    try:
        yield stage_for(host, settings)
    finally:
        await host.stop()


def listed(prompt: str, field: str) -> list[str]:
    """The entries of one line of the prompt ("Devices", "Rooms"), names only."""
    line = next(line for line in prompt.splitlines() if line.startswith(f"{field}: "))
    entries = line.removeprefix(f"{field}: ").split("; " if field == "Devices" else ", ")
    return [entry.split(" (", 1)[0] for entry in entries if entry != "none"]


def name_options(shapes: list[ToolShape]) -> dict[str, set[str]]:
    """The devices each tool may name."""
    return {
        shape.name: set(slot.options)
        for shape in shapes
        for slot in shape.slots
        if slot.name == "name" and slot.form == "choice"
    }


async def test_the_prompt_is_the_homes_candidates_and_the_request(small_home: ModelStage) -> None:
    prompt, shapes = small_home.prompt_for("  switch on   the kettle plug ", here="Kitchen")
    lines = prompt.splitlines()
    assert lines[-3:] == ["Here: Kitchen", "Request: switch on the kettle plug", "Call:"]
    assert "Kitchen ceiling light (light, Kitchen)" in lines[0]
    assert "Kettle plug (switch, Kitchen)" in lines[0]
    # A home this small is listed whole.
    assert sorted(listed(prompt, "Devices")) == sorted(name for _, name, _ in SMALL_HOME)
    assert sorted(listed(prompt, "Rooms")) == ["Bedroom", "Kitchen", "Living room"]
    assert "Here:" not in small_home.prompt_for("switch on the kettle plug")[0]

    # Device parameters are optional everywhere, so every installed tool stays callable.
    assert {shape.name for shape in shapes} == set(small_home.tools)
    options = name_options(shapes)
    assert options["HassTurnOn"] == {name for _, name, _ in SMALL_HOME}
    assert options["HassLightSet"] == {"Kitchen ceiling light", "Bedroom lamp"}  # lights only
    for shape in shapes:  # every room parameter offers this home's rooms
        for slot in shape.slots:
            if slot.name == "area":
                assert sorted(slot.options) == ["Bedroom", "Kitchen", "Living room"]


async def test_a_tool_needing_a_kind_of_device_the_home_lacks_is_not_offered(
    small_home: ModelStage,
) -> None:
    _, shapes = small_home.prompt_for("set the bedroom blinds to half")
    options = name_options(shapes)
    # No cover, no fan, no thermostat here: nothing may name one.
    assert "HassSetPosition" not in options
    assert "HassFanSetSpeed" not in options
    assert all(names for names in options.values())


@pytest.mark.parametrize(
    ("request_text", "meant"),
    [
        ("turn on the kitchen ceiling light", "Kitchen ceiling light"),
        ("I fancy a cup of tea", "Kettle plug"),
        ("it's chilly in the office", "Office thermostat"),
        ("set the garage door to 40 percent", "Garage door"),
    ],
)
async def test_a_500_device_home_prompts_about_as_cheaply_as_a_10_device_one(
    tmp_path: Path, request_text: str, meant: str
) -> None:
    settings = load_settings(storage={"state_dir": tmp_path})
    big = DeviceRegistry(None)
    discover(big, large_home())
    everything = large_home()
    small = DeviceRegistry(None)
    # Ten devices the model is shown: locks are not exposed to voice, so never in a prompt.
    shown = [d for d in everything if d[1] != meant and d[0] != "lock"]
    discover(small, [d for d in everything if d[1] == meant] + shown[:9])
    assert len(big.entities) == 500 and len(small.entities) == 10
    prompts = {}
    for size, registry in (("big", big), ("small", small)):
        host = await SkillHost(settings, registry, None).start()
        try:
            prompts[size], shapes = stage_for(host, settings).prompt_for(request_text)
        finally:
            await host.stop()
        devices = listed(prompts[size], "Devices")
        assert meant in devices
        assert len(devices) <= MAX_DEVICES
        assert len(listed(prompts[size], "Rooms")) <= MAX_ROOMS
        for names in name_options(shapes).values():  # the decoder may name only those listed
            assert names <= set(devices)
    assert len(prompts["big"].split()) <= 1.5 * len(prompts["small"].split())


@pytest.mark.parametrize(
    ("tool", "arguments", "text", "expected"),
    [
        (
            "HassTurnOn",
            {"area": "Kitchen", "domain": "light"},
            "it's too dark in the kitchen",
            True,
        ),
        ("HassTurnOn", {"name": "Bedroom lamp"}, "tell me a joke", False),
        ("HassTurnOn", {"area": "Bedroom", "domain": "light"}, "lights off in the bedroom", False),
        ("HassTurnOff", {"name": "Living room plug"}, "switch on the living room plug", False),
        ("HassClimateSetTemperature", {"temperature": 21}, "make it warmer", False),
        ("HassClimateGetTemperature", {"area": "Bedroom"}, "what's the weather like", False),
        ("HassGetCurrentTime", {}, "got the time", True),
        ("HassTurnOn", {"name": "Hallway thermostat"}, "heat the hallway thermo stat", True),
        ("HassTurnOn", {"area": "Kitchen", "domain": "light"}, "is the kitchen light on", False),
        ("HassTurnOn", {"name": "Bedroom lamp"}, "don't turn on the bedroom lamp", False),
        ("HassTurnOff", {"name": "Bedroom lamp"}, "I turned the bedroom lamp off earlier", False),
        # A clause that only sets the scene neither negates nor turns a request around …
        ("HassTurnOn", {"name": "Front door lock"}, "I'm off to bed, lock up the front door", True),
        (
            "HassTurnOff",
            {"area": "Living room", "domain": "fan"},
            "no one's in the living room any more, the fan can go off",
            True,
        ),
        # … but a clause without a verb of its own shares the sentence's.
        (
            "HassTurnOn",
            {"name": "Bedroom fan"},
            "don't turn on the lamp, and the bedroom fan",
            False,
        ),
        ("HassTurnOn", {"name": "Bedroom fan"}, "switch off the lamp, and the bedroom fan", False),
        (
            "HassTurnOn",
            {"name": "Bedroom fan"},
            "never mind the lamp, turn on the bedroom fan",
            True,
        ),
        ("HassTurnOn", {"name": "Bedroom fan"}, "if it gets hot, turn on the bedroom fan", False),
        # Saying it already is so is no request to make it so.
        ("HassTurnOn", {"name": "Bedroom lamp"}, "the bedroom lamp is on", False),
        ("HassTurnOff", {"name": "Bedroom lamp"}, "the bedroom lamp is off", False),
        ("HassTurnOn", {"name": "Front door lock"}, "make sure the front door is locked", True),
        # A statement asks for nothing unless it says a feeling or a wish …
        ("HassTurnOn", {"name": "Kettle plug"}, "the kettle takes ages to boil", False),
        ("HassTurnOff", {"name": "Lounge curtains"}, "the lounge curtains are new", False),
        ("HassTurnOn", {"name": "Kettle plug"}, "I fancy a cup of tea", True),
        (
            "AdjustTemperature",
            {"change_degrees": 1, "area": "Study"},
            "it's freezing in the study",
            True,
        ),
        # … and a request that opens with its verb is no statement.
        ("HassFanSetSpeed", {"name": "Study fan"}, "crank the study fan up to full", True),
    ],
)
def test_model_calls_must_be_grounded_in_what_was_said(
    tool: str, arguments: dict[str, object], text: str, expected: bool
) -> None:
    assert grounded(ToolCall(tool, arguments), Utterance.of(text)) is expected


@pytest.mark.parametrize(
    ("tool", "text", "expected"),
    [
        ("HassTurnOff", "open the front door", True),  # unlocks (and asks first)
        ("HassTurnOn", "open the front door", False),
        ("HassTurnOn", "close the front door", True),  # locks
        ("HassTurnOff", "shut the front door", False),
    ],
)
def test_a_lock_opens_when_it_is_turned_off(tool: str, text: str, expected: bool) -> None:
    kinds = {"Front door lock": "lock"}
    call = ToolCall(tool, {"name": "Front door lock"})
    assert grounded(call, Utterance.of(text), kind_of=kinds) is expected


def test_a_duration_said_must_be_taken_by_a_call() -> None:
    light_off = ToolCall("HassTurnOff", {"name": "Bedroom lamp"})
    timer = ToolCall("HassStartTimer", {"minutes": 5})
    later = Utterance.of("turn off the bedroom lamp in 5 minutes")
    assert not durations_taken([light_off], later)
    both = Utterance.of("turn off the bedroom lamp and set a timer for 1 minute")
    assert durations_taken([light_off, timer], both)
    assert durations_taken([light_off], Utterance.of("turn off the bedroom lamp"))


@pytest.mark.parametrize(
    ("tool", "arguments", "text", "expected"),
    [
        ("HassClimateSetTemperature", {"temperature": 22}, "set the heating to 22 degrees", True),
        ("AdjustTemperature", {"change_degrees": 1}, "turn the heating up a bit", True),
        # No device named, and the kind said is not the one this home has only one of.
        ("HassLightSet", {"brightness": 30}, "set the lights to 30 percent", False),
        ("AdjustTemperature", {"change_degrees": 1}, "tell me a joke", False),
    ],
)
def test_a_call_naming_no_device_may_mean_the_homes_only_one_of_the_kind_said(
    tool: str, arguments: dict[str, object], text: str, expected: bool
) -> None:
    sole = {"Hallway thermostat": "climate"}
    verdict = grounded(ToolCall(tool, arguments), Utterance.of(text), sole_of_kind=sole)
    assert verdict is expected


# --- when the model fails, the rules still answer -------------------------------------------


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@pytest.fixture
async def simulated(
    broker: PrivateBroker, tmp_path: Path
) -> AsyncIterator[tuple[Assembled, Simulator]]:
    prefix = f"stage{tmp_path.name[-8:]}"
    async with assembled_home(broker, tmp_path, prefix) as both:
        yield both


async def test_a_model_that_fails_to_load_is_a_proposal_with_an_error_and_rules_still_answer(
    simulated: tuple[Assembled, Simulator], tmp_path: Path
) -> None:
    assembled, simulator = simulated
    not_gguf = tmp_path / "adapter_model.safetensors"
    not_gguf.write_bytes(b"\0" * 64)
    broken = assembled.engines.settings.model_copy(
        update={"llm": assembled.engines.settings.llm.model_copy(update={"adapter": str(not_gguf)})}
    )
    stage = stage_for(assembled.skills, broken)
    try:
        proposal = await stage.propose(Utterance.of("it's chilly in the office"))
        assert proposal.calls == ()
        assert proposal.error == "model-missing"

        brain = Cascade(assembled.skills.toolbox, assembled.rules, stage)
        ruled = await brain.understand(Utterance.of("turn on the kitchen lights"), turn_id="t1")
        assert ruled.intent is not None and ruled.intent.source == "rules"
        assert simulator.state("kitchen_ceiling")["state"] == "on"
        left_to_the_model = await brain.understand(
            Utterance.of("it's a bit nippy in the study"), turn_id="t2"
        )
        assert left_to_the_model.intent is None
        assert left_to_the_model.response == NOT_UNDERSTOOD
        assert left_to_the_model.actions == ()
    finally:
        stage.engines.close()


async def test_a_named_device_is_covered_by_its_room_when_it_is_the_rooms_only_one_of_its_kind(
    simulated: tuple[Assembled, Simulator],
) -> None:
    assembled, _ = simulated
    brain = Cascade(assembled.skills.toolbox, assembled.rules, None)
    said = Utterance.of("turn on the kitchen light and the living room fan")
    fan = ToolCall("HassTurnOn", {"name": "Living room fan"})
    kitchen = ToolCall("HassTurnOn", {"area": "Kitchen", "domain": "light"})
    # The kitchen has one light: its lights are the kitchen light that was named.
    assert all(brain._trusted(c, said, (kitchen, fan), {}, {}) for c in (kitchen, fan))
    # The bedroom has two lamps: its lights are more than the one lamp that was named.
    said = Utterance.of("turn on the bedroom lamp and the living room fan")
    bedroom = ToolCall("HassTurnOn", {"area": "Bedroom", "domain": "light"})
    assert not brain._trusted(bedroom, said, (bedroom, fan), {}, {})
    lamp = ToolCall("HassTurnOn", {"name": "Bedroom lamp"})
    assert brain._trusted(lamp, said, (lamp, fan), {}, {})


@pytest.mark.models
async def test_a_model_out_of_time_is_a_proposal_with_an_error(
    simulated: tuple[Assembled, Simulator],
) -> None:
    assembled, _ = simulated
    settings = assembled.engines.settings
    hurried = settings.model_copy(
        update={
            "understanding": settings.understanding.model_copy(
                update={"model_timeout_seconds": 1e-6}
            ),
            "llm": settings.llm.model_copy(update={"adapter": ""}),
        }
    )
    stage = stage_for(assembled.skills, hurried)
    try:
        proposal = await stage.propose(Utterance.of("could the kitchen be a bit brighter"))
        assert proposal.calls == ()
        assert proposal.error == "llm-failed"
        brain = Cascade(assembled.skills.toolbox, assembled.rules, stage)
        ruled = await brain.understand(Utterance.of("turn off the kitchen lights"), turn_id="t")
        assert ruled.intent is not None and ruled.intent.source == "rules"
    finally:
        stage.engines.close()


# --- the real specialist ------------------------------------------------------------------


@pytest.fixture(scope="module")
async def with_model(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Assembled]:
    # The model's time limit is for live turns; on a loaded machine a call can take several
    # times longer, and these tests are about what the model does, not how fast.
    settings = load_settings(
        storage={"state_dir": tmp_path_factory.mktemp("state")},
        understanding={"model_timeout_seconds": 60},
    )
    async with assemble(settings, engines=("llm",)) as assembled:
        # Without a loadable model the assistant runs on rules alone (the warning says why).
        assert assembled.brain.model is not None, "llm.model or llm.adapter could not be loaded"
        discover(assembled.skills.devices.registry, SMALL_HOME)
        yield assembled


@pytest.mark.models
@pytest.mark.parametrize(
    "utterance",
    [
        "could the kitchen be a bit brighter",
        "I fancy a cup of tea",
        "got the time on you",
        "what is the weather in Paris",
        "lamp in the bedroom off and the kettle on",
    ],
)
async def test_the_model_names_only_installed_tools_and_the_homes_devices(
    with_model: Assembled, utterance: str
) -> None:
    stage = with_model.brain.model
    assert stage is not None
    proposal = await stage.propose(Utterance.of(utterance))
    assert proposal.error is None
    # How often the model is right is measured by `assistant eval`; here: what it may say.
    tools = with_model.skills.toolbox.tools
    homes = {name for _, name, _ in SMALL_HOME}
    rooms = {room for _, _, room in SMALL_HOME}
    assert len(proposal.calls) <= 3
    for call in proposal.calls:
        assert call.tool in tools
        assert call.arguments.get("name", "Kettle plug") in homes
        assert call.arguments.get("area", "Kitchen") in rooms
    assert proposal.stats is not None and proposal.stats.prompt_tokens > 0


@pytest.mark.models
async def test_a_request_in_the_same_home_reuses_the_evaluated_device_list(
    with_model: Assembled,
) -> None:
    stage = with_model.brain.model
    assert stage is not None
    await stage.propose(Utterance.of("what is the weather in Paris"))
    text = "how far away is the moon"
    prompt, _ = stage.prompt_for(text)
    home_lines = len(stage.engines.llm.tokenize(prompt[: prompt.index("Request:")], bos=True))
    second = await stage.propose(Utterance.of(text))
    stats = second.stats
    assert stats is not None and stats.prompt_tokens > home_lines > 20
    # The home's lines were in the KV cache: what was computed is the request and the answer.
    assert stats.evaluated_tokens <= stats.prompt_tokens - home_lines + stats.answer_tokens + 1
    assert 1 <= stats.model_steps <= stats.evaluated_tokens


@pytest.mark.models
async def test_a_device_discovered_later_is_offered_to_the_model(with_model: Assembled) -> None:
    stage = with_model.brain.model
    assert stage is not None
    discover(
        with_model.skills.devices.registry,
        [*SMALL_HOME, ("light", "Garden floodlight", "Garden")],
    )
    prompt, shapes = stage.prompt_for("could the garden floodlight be switched on")
    assert "Garden floodlight" in listed(prompt, "Devices")
    assert "Garden floodlight" in name_options(shapes)["HassTurnOn"]
    proposal = await stage.propose(Utterance.of("could the garden floodlight be switched on"))
    assert proposal.error is None


@pytest.mark.models
@pytest.mark.parametrize(
    "utterance",
    [
        "don't turn on the kitchen light",
        "the living room plug was expensive",
        "I switched the bedroom lamp off myself earlier",
        "what's the capital of France",
        "is the kitchen light bright enough for reading",
    ],
)
async def test_out_of_scope_negated_and_reported_utterances_actuate_nothing(
    with_model: Assembled, utterance: str
) -> None:
    understood = await with_model.brain.understand(Utterance.of(utterance), turn_id="t")
    assert understood.actions == (), (utterance, understood)
