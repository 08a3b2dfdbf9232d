"""Training examples: a request in a random home, the prompt the runtime would build for it, and
the answer's token ids, tokenized segment by segment exactly as the constrained decoder emits.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.skill_host.loader import Tool
from assistant.training.homes import random_home
from assistant.training.requests import parameter_order, random_request
from assistant.understanding.model_format import call_segments, prompt_text
from assistant.understanding.retrieval import retrieve

HERE_SHARE = 0.3
"""How often the request comes from a satellite whose room is known."""


@dataclass(frozen=True)
class Example:
    prompt: str
    segments: list[str]
    category: str
    calls: list[list[Any]]


def _covered(calls: Any, names: set[str], rooms: set[str]) -> bool:
    """Whether every device and room the calls need is among the prompt's candidates."""
    return all(
        arguments.get("name", next(iter(names), None)) in names
        and arguments.get("area", next(iter(rooms), None)) in rooms
        for _, arguments in calls
    )


def generate(
    tools: dict[str, Tool], count: int, *, seed: int, home_devices: Any = None
) -> Iterator[Example]:
    """`count` examples, reproducible from `seed`, over random homes; with `home_devices` (a
    `Home`: `assistant model tune`), half of them over that home's own names."""
    rng = random.Random(seed)
    order = {name: parameter_order(tool) for name, tool in tools.items()}
    made = 0
    home = home_devices
    while made < count:
        if home_devices is not None:
            # Half this home's own names, half random homes, so tuning does not forget.
            home = home_devices if rng.random() < 0.5 else random_home(rng)
        elif home is None or rng.random() < 0.35:
            home = random_home(rng)
        assert home is not None
        home.here = rng.choice(home.rooms) if home.rooms and rng.random() < HERE_SHARE else None
        request = random_request(tools, home, rng)
        if request is None:
            continue
        candidates = retrieve(request.text, home.devices, home.rooms, here=home.here)
        names = {device.name for device in candidates.devices}
        # Timers' "name" is the timer's, not a device's.
        device_calls = [c for c in request.calls if "Timer" not in c[0]]
        if not _covered(device_calls, names, set(candidates.rooms)):
            continue  # retrieval missed what was meant: nothing right to learn from it
        yield Example(
            prompt=prompt_text(candidates, request.text, here=home.here),
            segments=call_segments(request.calls, order),
            category=request.category,
            calls=[[tool, arguments] for tool, arguments in request.calls],
        )
        made += 1


def write_jsonl(examples: list[Example], path: Path) -> str:
    """Write the examples; returns the sha256 of the file, which the training record keeps."""
    text = "".join(
        json.dumps(asdict(e), ensure_ascii=False, sort_keys=True) + "\n" for e in examples
    )
    path.write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_jsonl(path: Path) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        return [Example(**json.loads(line)) for line in handle if line.strip()]
