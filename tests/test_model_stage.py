"""The language-model stage: prompt and grammar from the home, grounding, the real model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import jsonschema
import pytest

from assistant.config import load_settings
from assistant.devices.mqtt import Message
from assistant.devices.registry import DeviceRegistry
from assistant.pipeline.assembly import Assembled, assemble
from assistant.skill_host.call import ToolCall
from assistant.skill_host.host import SkillHost
from assistant.understanding.grounding import grounded
from assistant.understanding.model_prompt import build_prompt
from assistant.understanding.utterance import Utterance


def home_registry() -> DeviceRegistry:
    registry = DeviceRegistry(None)
    for component, object_id, name, area in [
        ("light", "kitchen", "Kitchen ceiling light", "Kitchen"),
        ("light", "lamp", "Bedroom lamp", "Bedroom"),
        ("switch", "plug", "Living room plug", "Living room"),
    ]:
        config = {
            "name": name,
            "cmd_t": f"{object_id}/set",
            "stat_t": object_id,
            "dev": {"sa": area},
        }
        topic = f"homeassistant/{component}/{object_id}/config"
        registry.handle_discovery(Message(topic, json.dumps(config).encode(), retain=True))
    return registry


async def test_prompt_names_only_this_homes_devices_and_examples_fit_the_grammar(
    tmp_path: Path,
) -> None:
    runtime = await SkillHost(
        load_settings(storage={"state_dir": tmp_path}), home_registry(), None
    ).start()
    completion, messages, schema = build_prompt(
        runtime.toolbox.tools, runtime.devices, prompt_format="completion", per_tool=1
    )
    assert "- Kitchen ceiling light: light, Kitchen" in completion
    assert messages[0]["role"] == "system" and len(messages) > 10
    calls = [
        line.removeprefix("Call: ") for line in completion.splitlines() if line.startswith("Call: ")
    ]
    assert len(calls) >= 20
    for call in calls:  # every few-shot answer is something the grammar allows
        jsonschema.validate(json.loads(call), schema)
    turn_on = next(s for s in schema["anyOf"] if s["properties"]["tool"] == {"const": "HassTurnOn"})
    assert set(turn_on["properties"]["name"]["enum"]) == {
        "Kitchen ceiling light",
        "Bedroom lamp",
        "Living room plug",
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tool": "HassTurnOn", "name": "Garage door"}, schema)


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
    ],
)
def test_model_calls_must_be_grounded_in_what_was_said(
    tool: str, arguments: dict[str, object], text: str, expected: bool
) -> None:
    assert grounded(ToolCall(tool, arguments), Utterance.of(text)) is expected


@pytest.fixture(scope="module")
async def with_model(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Assembled]:
    # The model's time limit is for live turns; on a loaded machine a call can take several
    # times longer, and these tests are about what the model does, not how fast.
    settings = load_settings(
        storage={"state_dir": tmp_path_factory.mktemp("state")},
        understanding={"model_timeout_seconds": 60},
    )
    async with assemble(settings, engines=("llm",)) as assembled:
        yield assembled


@pytest.mark.models
async def test_the_model_answers_what_rules_do_not_and_declines_the_rest(
    with_model: Assembled,
) -> None:
    model = with_model.brain.model
    assert model is not None and model.prefix_tokens > 200
    # How often the model is right is measured by `assistant eval`, not asserted here; here:
    # the answer is one of the tools (the grammar allows nothing else) or "none".
    call = await model.propose(Utterance.of("got the time on you"))
    assert call.error is None
    assert call.elapsed_ms > 0 and call.evaluated_tokens > 0
    # The prefix was evaluated once: a request pays only for itself.
    assert call.evaluated_tokens < 40
    joke = await with_model.brain.understand(Utterance.of("tell me a joke"), turn_id="t")
    assert joke.actions == ()


@pytest.mark.models
async def test_the_prompt_prefix_is_reused_per_turn_and_rebuilt_when_a_device_appears(
    with_model: Assembled,
) -> None:
    model = with_model.brain.model
    assert model is not None
    first = await model.propose(Utterance.of("what is the weather in Paris"))
    rebuilds, prefix = model.rebuilds, model.prefix_tokens
    second = await model.propose(Utterance.of("how far away is the moon"))
    # Each turn evaluates only its own words: a dozen tokens, not the ~1000 of the prefix.
    assert first.evaluated_tokens < 40 and second.evaluated_tokens < 40
    assert model.rebuilds == rebuilds
    registry = with_model.skills.devices.registry
    config = {"name": "Garden floodlight", "cmd_t": "garden/set", "dev": {"sa": "Garden"}}
    registry.handle_discovery(
        Message("homeassistant/light/garden/config", json.dumps(config).encode(), retain=True)
    )
    third = await model.propose(Utterance.of("could the garden floodlight be switched on"))
    assert model.rebuilds == rebuilds + 1 and model.prefix_tokens > prefix
    assert third.error is None
    # The rebuilt grammar admits the new device by name.
    assert model._schema is not None and "Garden floodlight" in json.dumps(model._schema)
    fourth = await model.propose(Utterance.of("what is the weather in Rome"))
    assert fourth.evaluated_tokens < 40 and model.rebuilds == rebuilds + 1


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
