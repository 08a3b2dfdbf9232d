"""`assistant model tune`, the child side: train on this home and these skills, check, swap in.

Runs at the lowest CPU priority. The new adapter goes into its own run folder; it is made
current only after its sha256 is recorded and it loads in llama.cpp and answers a fixed slice
of this home's requests at least as well as a floor. The previous adapter stays as `previous`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.modelstore.store import ModelStore
from assistant.modelstore.tuned import swap_in, tuned_folder, verified_adapter
from assistant.training.finetune import Recipe
from assistant.training.homes import Home, HomeDevice
from assistant.training.pipeline import run

CHECK_FLOOR = 0.6
"""Share of this home's check requests the new adapter must get exactly right."""


def home_from_file(path: Path) -> Home:
    """The home `assistant model tune` saved: names, kinds, rooms and aliases only."""
    data = json.loads(path.read_text(encoding="utf-8"))
    devices = [
        HomeDevice(d["name"], d["kind"], d.get("area"), tuple(d.get("aliases", ())))
        for d in data["devices"]
    ]
    return Home(devices, list(data["rooms"]))


def tune(settings: Settings, home: Home, examples: int, work: Path, progress: Any) -> Path:
    """Train, check and swap in; returns the new run folder."""
    os.nice(19)
    store = ModelStore(settings.models.dir)
    base = store.resolve(settings.llm.model, setting="llm.model")
    run_folder = tuned_folder(store.directory) / time.strftime("run-%Y%m%d-%H%M%S")
    recipe = Recipe(examples=examples)
    run(settings, base, run_folder, work, recipe, home=home, progress=progress)
    adapter = verified_adapter(run_folder)
    if adapter is None:
        raise RuntimeError(f"the new adapter in {run_folder} does not verify")
    score = check(settings, base, adapter, home)
    progress({"stage": "check", "exact": score, "floor": CHECK_FLOOR})
    if score < CHECK_FLOOR:
        raise RuntimeError(
            f"the new adapter got {score:.0%} of the checks, below {CHECK_FLOOR:.0%}"
        )
    swap_in(store.directory, run_folder)
    progress({"stage": "swapped", "current": run_folder.name})
    return run_folder


def check(settings: Settings, base: Path, adapter: Path, home: Home) -> float:
    """Exact calls on simple requests over this home's own devices, through the real decoder."""
    from assistant.llm.llama_cpp import LlamaCpp
    from assistant.skill_host.loader import Tool
    from assistant.training.pipeline import installed_tools
    from assistant.understanding.model_decoder import ConstrainedDecoder
    from assistant.understanding.model_format import prompt_text
    from assistant.understanding.model_stage import tool_shapes
    from assistant.understanding.retrieval import retrieve

    tools: dict[str, Tool] = installed_tools(settings)
    switchable = [d for d in home.devices if d.kind in ("light", "switch", "fan")][:10]
    requests = [(f"turn on the {d.name.lower()}", ("HassTurnOn", d.name)) for d in switchable]
    requests += [(f"switch off the {d.name.lower()}", ("HassTurnOff", d.name)) for d in switchable]
    if not requests:
        return 1.0
    decoder = ConstrainedDecoder(LlamaCpp(base, adapter, settings.llm), max_answer_tokens=96)
    right = 0
    for text, (tool, name) in requests:
        candidates = retrieve(text, home.devices, home.rooms)
        calls, _ = decoder.decode(prompt_text(candidates, text), tool_shapes(tools, candidates),
                                  timeout_seconds=30)  # fmt: skip
        right += calls == [(tool, {"name": name})]
    return right / len(requests)
