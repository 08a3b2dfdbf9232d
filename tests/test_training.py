"""Training the specialist: the generated data, retrieval in homes of any size, and a few real
steps of the whole pipeline down to a GGUF adapter that llama.cpp loads."""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings, load_settings
from assistant.llm.llama_cpp import LlamaCpp
from assistant.modelstore.store import ModelStore
from assistant.skill_host.loader import Tool
from assistant.training.dataset import Example, generate, write_jsonl
from assistant.training.finetune import Recipe
from assistant.training.homes import Home, HomeDevice, random_home
from assistant.training.pipeline import ADAPTER_NAME, installed_tools, run
from assistant.understanding.model_format import prompt_text
from assistant.understanding.retrieval import MAX_DEVICES, MAX_ROOMS, retrieve

from .conftest import large_home

# Tools whose "name" is not a device's (a timer's name).
TIMER_TOOLS = ("Timer",)


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Tool]:
    state = tmp_path_factory.mktemp("state")
    return installed_tools(load_settings(None, storage={"state_dir": state}))


@pytest.fixture(scope="module")
def many(tools: dict[str, Tool]) -> list[Example]:
    return list(generate(tools, 3000, seed=5))


def listed(prompt: str, field: str) -> list[str]:
    """The names on one line of the prompt ("Devices", "Rooms")."""
    line = next(line for line in prompt.splitlines() if line.startswith(f"{field}: "))
    entries = line.removeprefix(f"{field}: ").split("; " if field == "Devices" else ", ")
    return [entry.split(" (", 1)[0] for entry in entries if entry != "none"]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the data -----------------------------------------------------------------------------------


def test_examples_are_reproducible_from_their_seed(tools: dict[str, Tool], tmp_path: Path) -> None:
    first = write_jsonl(list(generate(tools, 400, seed=11)), tmp_path / "first.jsonl")
    again = write_jsonl(list(generate(tools, 400, seed=11)), tmp_path / "again.jsonl")
    other = write_jsonl(list(generate(tools, 400, seed=12)), tmp_path / "other.jsonl")
    assert first == again == sha256_file(tmp_path / "first.jsonl")
    assert (tmp_path / "first.jsonl").read_bytes() == (tmp_path / "again.jsonl").read_bytes()
    assert other != first
    assert len((tmp_path / "first.jsonl").read_text().splitlines()) == 400


def test_a_few_thousand_examples_cover_every_installed_tool(
    tools: dict[str, Tool], many: list[Example]
) -> None:
    assert {"HassTurnOn", "HassFanSetSpeed", "AdjustTemperature", "HassStartTimer"} <= set(tools)
    used = Counter(tool for example in many for tool, _ in example.calls)
    assert set(used) == set(tools), f"never called: {sorted(set(tools) - set(used))}"


def test_examples_include_compound_none_and_indirect_requests(many: list[Example]) -> None:
    by_category: dict[str, list[Example]] = {}
    for example in many:
        by_category.setdefault(example.category, []).append(example)
    assert {"compound", "none", "indirect"} <= set(by_category)
    assert all(len(example.calls) >= 2 for example in by_category["compound"])
    for example in by_category["none"]:
        assert example.calls == []
        assert example.segments == [" none:", "\n"]
    # Indirect requests are mostly something to do ("too dark" → the lights), sometimes nothing.
    indirect = by_category["indirect"]
    assert any(example.calls for example in indirect)
    assert any(not example.calls for example in indirect)
    assert any(
        tool == "HassTurnOn" and "kettle" in str(arguments.get("name", "")).lower()
        for example in indirect
        for tool, arguments in example.calls
    )


def test_every_device_and_room_a_call_names_is_in_the_prompt(many: list[Example]) -> None:
    for example in many:
        devices, rooms = listed(example.prompt, "Devices"), listed(example.prompt, "Rooms")
        assert len(devices) <= MAX_DEVICES and len(rooms) <= MAX_ROOMS, example.prompt
        for tool, arguments in example.calls:
            if "name" in arguments and not any(t in tool for t in TIMER_TOOLS):
                assert arguments["name"] in devices, (example.prompt, example.calls)
            if "area" in arguments:
                assert arguments["area"] in rooms, (example.prompt, example.calls)


def test_every_call_is_one_its_tool_accepts(many: list[Example], tools: dict[str, Tool]) -> None:
    """A call the tool would refuse (an unknown key, a step of 7 degrees, a domain it lacks)
    teaches the model an answer the runtime then rejects."""
    for example in many:
        for tool, arguments in example.calls:
            tools[tool].arguments.model_validate(arguments)


def test_random_homes_span_5_to_300_devices() -> None:
    sizes = [len(random_home(random.Random(seed)).devices) for seed in range(600)]
    assert min(sizes) == 5 and max(sizes) <= 300
    assert sum(size <= 15 for size in sizes) > 100  # small homes are the most common
    assert sum(size >= 60 for size in sizes) > 10
    for size in (5, 300):
        home = random_home(random.Random(size), size)
        assert len(home.devices) == size
        assert len({device.name for device in home.devices}) == size  # names are unique
        assert all(device.area is None or device.area in home.rooms for device in home.devices)


# --- retrieval in a home of 500 devices ---------------------------------------------------------


def home_of(devices: list[tuple[str, str, str | None]]) -> Home:
    rooms = list(dict.fromkeys(room for _, _, room in devices if room))
    return Home([HomeDevice(name, kind, room) for kind, name, room in devices], rooms)


REQUESTS = [
    ("turn on the kitchen ceiling light", "Kitchen ceiling light"),
    ("I fancy a cup of tea", "Kettle plug"),
    ("it's chilly in the office", "Office thermostat"),
    ("it's too dark in the nursery", "Nursery ceiling light"),
    ("close the garage door", "Garage door"),
]


def small_home_with(meant: str) -> Home:
    """Ten devices of the large home, the meant one among them."""
    everything = large_home()
    chosen = [d for d in everything if d[1] == meant]
    return home_of(chosen + [d for d in everything if d[1] != meant][:9])


@pytest.mark.parametrize(("request_text", "meant"), REQUESTS)
def test_retrieval_finds_the_meant_device_among_500_and_stays_bounded(
    request_text: str, meant: str
) -> None:
    home = home_of(large_home())
    assert len(home.devices) == 500 and len(home.rooms) == 49
    found = retrieve(request_text, home.devices, home.rooms)
    names = [device.name for device in found.devices]
    assert meant in names
    assert len(found.devices) <= MAX_DEVICES
    assert len(found.rooms) <= MAX_ROOMS
    # A call on the meant device's room ("the nursery lights") can name it too.
    area = home.by_name[meant].area
    if area and area.lower() in request_text:
        assert area in found.rooms
    # The same request in the same home gives the same candidates (llama.cpp reuses the prompt).
    assert retrieve(request_text, home.devices, home.rooms) == found


@pytest.mark.models
def test_the_prompt_of_a_500_device_home_is_as_short_as_a_10_device_one(
    settings: Settings, store: ModelStore
) -> None:
    from llama_cpp import Llama

    vocabulary = Llama(
        model_path=str(store.resolve(settings.llm.model, setting="llm.model")),
        vocab_only=True,
        verbose=False,
    )

    def tokens(text: str) -> int:
        return len(vocabulary.tokenize(text.encode("utf-8"), add_bos=True, special=False))

    big = home_of(large_home())
    for request_text, meant in REQUESTS:
        small = small_home_with(meant)
        assert len(small.devices) == 10
        prompts = [
            prompt_text(retrieve(request_text, home.devices, home.rooms), request_text)
            for home in (big, small)
        ]
        assert tokens(prompts[0]) <= 1.5 * tokens(prompts[1]), prompts
        assert tokens(prompts[0]) < 400  # far from llm.context_tokens = 1024


# --- the whole pipeline, a few steps ------------------------------------------------------------

# The dequantized base model is kept here between runs (about 80 s to make).
WORK = Path.home() / ".cache" / "assistant" / "training-test"


@pytest.fixture(scope="module")
def trained(
    settings: Settings, store: ModelStore, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("specialist")
    (WORK / "checkpoint.pt").unlink(missing_ok=True)  # train for real, not resume a past run
    events: list[dict[str, Any]] = []
    base = store.resolve(settings.llm.model, setting="llm.model")
    state = tmp_path_factory.mktemp("state")
    record = run(
        load_settings(None, storage={"state_dir": state}), base, out, WORK,
        Recipe(examples=16, batch_size=8), progress=events.append,
    )  # fmt: skip
    return {"record": record, "events": events, "out": out, "base": base}


@pytest.mark.models
def test_the_training_pipeline_runs_a_few_steps_end_to_end(
    trained: dict[str, Any], store: ModelStore, settings: Settings
) -> None:
    record, out = trained["record"], trained["out"]
    adapter = out / ADAPTER_NAME
    # What is needed to trust and rerun it: the inputs' and the output's hashes.
    (model_file,) = store.manifest.models[settings.llm.model].files
    assert record["base_sha256"] == model_file.sha256
    assert record["data_sha256"] == sha256_file(WORK / "examples.jsonl")
    assert record["adapter_sha256"] == sha256_file(adapter)
    assert record["adapter_bytes"] == adapter.stat().st_size
    assert record["examples"] == 16
    assert record["recipe"]["examples"] == 16 and record["recipe"]["batch_size"] == 8
    assert json.loads((out / f"{ADAPTER_NAME}.json").read_text()) == record
    # Two steps of eight examples, each with a finite loss.
    steps = [event for event in trained["events"] if "step" in event]
    assert [event["step"] for event in steps] == [1, 2]
    losses = [event["loss"] for event in steps]
    assert all(math.isfinite(loss) and loss > 0 for loss in losses)
    assert record["loss_every_tenth"] == losses
    assert record["loss_first_tenth"] == losses[0] and record["loss_last_tenth"] == losses[1]
    assert not (out / f"{ADAPTER_NAME}.partial").exists()


@pytest.mark.models
def test_the_trained_adapter_loads_in_llama_cpp(
    trained: dict[str, Any], settings: Settings
) -> None:
    from llama_cpp import Llama

    base, adapter = trained["base"], trained["out"] / ADAPTER_NAME
    loaded = Llama(
        model_path=str(base), lora_path=str(adapter), vocab_only=False, n_ctx=256, verbose=False
    )
    # llama-cpp-python does not notice when llama.cpp refuses an adapter (it checks a NULL
    # pointer with `is None`); evaluating with a refused one would crash, so look first.
    assert loaded._lora_adapter, "llama.cpp did not accept the adapter"
    del loaded
    # The runtime's own loader, with and without it: the adapter changes the scores.
    prompt = "Devices: Kettle plug (switch, Kitchen)\nRooms: Kitchen\nRequest: I fancy a tea\nCall:"
    scores = []
    for with_adapter in (adapter, None):
        model = LlamaCpp(base, with_adapter, settings.llm)
        scores.append(model.next_scores(model.tokenize(prompt, bos=True)).copy())
    assert all(np.isfinite(s).all() for s in scores)
    assert not np.array_equal(scores[0], scores[1])


@pytest.mark.models
def test_new_data_with_the_same_recipe_is_trained_not_resumed(
    trained: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    record = trained["record"]
    garden = Home([HomeDevice("Greenhouse heater", "switch", "Garden")], ["Garden"])
    events: list[dict[str, Any]] = []
    again = run(
        load_settings(None, storage={"state_dir": tmp_path / "state"}), trained["base"],
        tmp_path / "out", WORK, Recipe(examples=16, batch_size=8), home=garden,
        progress=events.append,
    )  # fmt: skip
    assert again["data_sha256"] != record["data_sha256"]
    assert [event["step"] for event in events if "step" in event] == [1, 2]
