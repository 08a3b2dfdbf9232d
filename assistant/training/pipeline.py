"""The whole training run: tools → examples → tokens → LoRA → GGUF adapter → record.

    python -m assistant.training --out models/specialist        # the shipped specialist
    assistant model tune                                          # this home, these skills

The record (`<adapter>.json`) keeps what is needed to rerun it and to trust the result: the
base model's sha256, the data's sha256, the seed, the recipe, the loss curve, the time taken
and the adapter's sha256.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.devices.registry import DeviceRegistry
from assistant.skill_host.host import SkillHost
from assistant.skill_host.loader import Tool
from assistant.training.dataset import Example, generate, write_jsonl
from assistant.training.export import export_adapter
from assistant.training.finetune import Recipe, prepare_base, train
from assistant.training.homes import Home

log = logging.getLogger(__name__)

ADAPTER_NAME = "specialist-lora.gguf"


def installed_tools(settings: Settings) -> dict[str, Tool]:
    """Every tool of every enabled skill (built-in, folders, entry points), as at run time."""

    async def load() -> dict[str, Tool]:
        host = SkillHost(settings, DeviceRegistry(None), None)
        await host.start()
        try:
            return dict(host.toolbox.tools)
        finally:
            await host.stop()

    return asyncio.run(load())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Tokens:
    """llama.cpp's own tokenizer for the base model, so training and inference agree."""

    def __init__(self, gguf_path: Path) -> None:
        from llama_cpp import Llama

        self._llama = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
        self.pad = self._llama.token_eos()

    def encode(self, example: Example) -> tuple[list[int], int]:
        prompt = self._llama.tokenize(example.prompt.encode("utf-8"), add_bos=True, special=False)
        answer = [
            token
            for segment in example.segments
            for token in self._llama.tokenize(segment.encode("utf-8"), add_bos=False, special=False)
        ]
        return prompt + answer, len(prompt)


def run(
    settings: Settings,
    base_gguf: Path,
    out_dir: Path,
    work: Path,
    recipe: Recipe,
    *,
    home: Home | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train and export; returns the record written beside the adapter."""
    started = time.monotonic()
    report = progress or (lambda _: None)
    work.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    tools = installed_tools(settings)
    report({"stage": "data", "tools": len(tools)})
    examples = list(generate(tools, recipe.examples, seed=recipe.seed, home_devices=home))
    data_sha256 = write_jsonl(examples, work / "examples.jsonl")
    tokens = Tokens(base_gguf)
    sequences = [tokens.encode(example) for example in examples]
    report({"stage": "base", "examples": len(examples)})
    base_folder = prepare_base(base_gguf, work)
    model = train(
        sequences, base_folder, work, recipe,
        pad_token=tokens.pad, data_sha256=data_sha256, progress=report,
    )  # fmt: skip
    adapter = out_dir / ADAPTER_NAME
    partial = out_dir / (ADAPTER_NAME + ".partial")
    adapter_sha256 = export_adapter(model, recipe.alpha, partial)
    partial.replace(adapter)
    losses: list[float] = model.losses
    tenth = max(1, len(losses) // 10)
    record = {
        "base_model": base_gguf.name,
        "base_sha256": sha256_of(base_gguf),
        "data_sha256": data_sha256,
        "code_commit": _code_commit(),
        "tools": sorted(tools),
        "recipe": asdict(recipe),
        "examples": len(examples),
        "categories": _count(e.category for e in examples),
        "loss_first_tenth": round(sum(losses[:tenth]) / tenth, 4),
        "loss_last_tenth": round(sum(losses[-tenth:]) / tenth, 4),
        "loss_every_tenth": [
            round(sum(losses[i : i + tenth]) / len(losses[i : i + tenth]), 4)
            for i in range(0, len(losses), tenth)
        ],
        "seconds": round(time.monotonic() - started),
        "adapter": adapter.name,
        "adapter_sha256": adapter_sha256,
        "adapter_bytes": adapter.stat().st_size,
    }
    (out_dir / (ADAPTER_NAME + ".json")).write_text(json.dumps(record, indent=1) + "\n")
    report({"stage": "done", **{k: record[k] for k in ("adapter_sha256", "seconds")}})
    return record


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _code_commit() -> str | None:
    """The git commit of the code that made the data (with "-dirty" for local changes), so
    the data's sha256 can be checked by rerunning it; None outside a git checkout."""
    folder = Path(__file__).resolve().parent

    def git(*arguments: str) -> str:
        command = ["git", "-C", str(folder), *arguments]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    try:
        head, dirty = git("rev-parse", "HEAD"), git("status", "--porcelain", ".")
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("-dirty" if dirty else "")
