"""`assistant eval`: the dev set against the simulated home, typed and spoken.

`--set` and `--home` run another set of items against another simulated home (the test split:
`eval/testset.jsonl` in `eval/testset-home.toml`).

Levels: `text` types each utterance (as `assistant ask` does); `audio` speaks it (as `assistant
once --no-wake` hears it) in three conditions: clean, and with noise at 20 dB and at 10 dB SNR.
The audio levels run on a fixed, seeded, stratified subset of the dev set so that the whole
evaluation fits in ten minutes on a 2-core board; the header says so when it applies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.devices.sim.home import DEFAULT_HOME
from assistant.engines import EngineName
from assistant.evaluation.audio import CONDITIONS, SpeechMaker, voice_for
from assistant.evaluation.devset import DEFAULT_DEVSET, DevItem, load_devset, stratified_subset
from assistant.evaluation.home import EvalHome
from assistant.evaluation.report import (
    format_level,
    format_overview,
    grouped,
    latency,
    word_error_rate,
)
from assistant.evaluation.scoring import ItemScore, score_item
from assistant.evaluation.session import Session
from assistant.pipeline.assembly import assemble
from assistant.understanding.cascade import Cascade

LEVELS = ("text", "audio")
AUDIO_SUBSET = 60
"""Items spoken per audio condition. The language model dominates the run (about 1.2 s a call
on 2 cores, and most of the dev set still reaches it), so the whole text level plus 3 x 60
spoken items take about 8.5 minutes, leaving room under ten."""
AUDIO_SEED = 7


def parse_levels(value: str) -> list[str]:
    """`text`, `audio` or `all` (the command line's --level) as a list of levels."""
    if value == "all":
        return list(LEVELS)
    if value not in LEVELS:
        raise ValueError(f"--level must be one of text, audio, all; not {value!r}")
    return [value]


def eval_settings(settings: Settings, home: EvalHome, state_dir: Path) -> Settings:
    """The user's settings (models, understanding, skills) on the evaluation's fixed home.

    The home's locks, garage doors and gates are exposed, so that unlocking or opening one
    exercises the confirmation question instead of a flat refusal.
    """
    mqtt = settings.mqtt.model_copy(update={
        "host": home.broker.host, "port": home.broker.port, "username": None, "password": None,
        "client_id": "",
        "tls": settings.mqtt.tls.model_copy(update={"enabled": False}),
        "discovery_prefix": "homeassistant",
    })  # fmt: skip
    safety = settings.safety.model_copy(update={
        "exposed": home.guarded_entities(), "hidden": [], "pin": None,
        # Hundreds of commands reach the same few devices within a minute; the rate limit is
        # for people, and would make later items fail for reasons unrelated to them.
        "rate_limit_actions": 1_000_000,
    })  # fmt: skip
    return settings.model_copy(update={
        "mqtt": mqtt, "safety": safety,
        "devices": settings.devices.model_copy(update={"file": None}),
        "storage": settings.storage.model_copy(update={"state_dir": state_dir}),
    })  # fmt: skip


def _progress(level: str, done: int, total: int, started: float) -> None:
    if done == total or done % 25 == 0:
        print(
            f"  {level}: {done}/{total} ({time.monotonic() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )


async def _run_text(session: Session, items: list[DevItem]) -> list[ItemScore]:
    scores = []
    started = time.monotonic()
    for done, item in enumerate(items, start=1):
        turns = await session.run_item(item, item.text)
        scores.append(score_item(item, turns, level="text"))
        _progress("text", done, len(items), started)
    return scores


async def _run_audio(
    session: Session, items: list[DevItem], positions: dict[str, int], condition: str
) -> list[ItemScore]:
    speech = SpeechMaker(session.assembled.engines)
    level = f"audio-{condition}"
    scores = []
    started = time.monotonic()
    for done, item in enumerate(items, start=1):
        voice = voice_for(positions[item.id], speech.piper_voice)
        # Synthesis runs on the TTS model's own worker thread, as the reply's synthesis does.
        wav = await session.assembled.engines.run("tts", speech.wav, item, voice, condition)
        turns = await session.run_item(item, wav)
        scores.append(score_item(item, turns, level=level, voice=voice.label))
        _progress(level, done, len(items), started)
    return scores


async def evaluate(
    settings: Settings,
    items: list[DevItem],
    *,
    levels: list[str],
    audio_items: list[DevItem],
    positions: dict[str, int],
    home_path: Path | None = None,
) -> tuple[dict[str, tuple[list[ItemScore], float]], dict[str, float] | None]:
    """Every item at every level, against the home file at `home_path` (default: the
    simulated home of `assistant simulate`); and where the model's time went."""
    # The model is loaded up front (as `assistant ask` does) so no item pays for loading it.
    engines: tuple[EngineName, ...] = ("llm",) if settings.understanding.model else ()
    if "audio" in levels:
        engines += ("vad", "stt", "tts")
    results: dict[str, tuple[list[ItemScore], float]] = {}
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as state_dir:
        async with EvalHome(home_path) as home:
            local = eval_settings(settings, home, Path(state_dir))
            async with assemble(local, engines=engines, role="eval") as assembled:
                assert assembled.home is not None
                if not await assembled.home.ready():
                    raise RuntimeError("the assistant could not reach the evaluation's broker")
                await assembled.home.registry.settle()
                home.attach(assembled.home.connection)
                session = Session(assembled, home)
                if "text" in levels:
                    started = time.monotonic()
                    scores = await _run_text(session, items)
                    results["text"] = (scores, time.monotonic() - started)
                if "audio" in levels:
                    for condition in CONDITIONS:
                        started = time.monotonic()
                        scores = await _run_audio(session, audio_items, positions, condition)
                        results[f"audio-{condition}"] = (scores, time.monotonic() - started)
                model = model_summary(assembled.brain)
    return results, model


def model_summary(brain: Cascade) -> dict[str, float] | None:
    """How often the model answered and was vetoed, and where its time went (means)."""
    if brain.model is None or not brain.model.recent:
        return None
    recent = list(brain.model.recent)

    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 1)

    return {
        "answers": brain.model_answers,
        "vetoed": brain.model_vetoes,
        "prompt_tokens": mean([s.prompt_tokens for s in recent]),
        "evaluated_tokens": mean([s.evaluated_tokens for s in recent]),
        "answer_tokens": mean([s.answer_tokens for s in recent]),
        "model_steps": mean([s.model_steps for s in recent]),
        "model_ms": mean([s.model_ms for s in recent]),
        "constraint_ms": mean([s.constraint_ms for s in recent]),
    }


def format_model_summary(summary: dict[str, float]) -> str:
    s = summary
    return (
        f"The model answered {s['answers']:.0f} requests; the grounding checks vetoed "
        f"{s['vetoed']:.0f}. A call on average: a {s['prompt_tokens']:.0f}-token prompt of which "
        f"{s['evaluated_tokens'] - s['answer_tokens']:.0f} evaluated (the rest cached), "
        f"{s['answer_tokens']:.0f} answer tokens in {s['model_steps']:.1f} model steps; "
        f"{s['model_ms']:.0f} ms in the model, {s['constraint_ms']:.0f} ms in the constraints."
    )


def run_eval(
    settings: Settings,
    *,
    levels: list[str],
    devset: Path | None,
    limit: int | None,
    json_out: Path | None,
    home: Path | None = None,
) -> int:
    """Run the dev set at the given levels, print the tables, optionally save every result.

    `home` is a simulated-home file (the format of `assistant/devices/sim/home.toml`, the
    default) for the items' devices; a mistake in it is a ConfigError (one line) before any
    broker or model starts.

    Returns 0: the numbers are the output, not a pass or fail.
    """
    if "all" in levels:
        levels = list(LEVELS)
    unknown = set(levels) - set(LEVELS)
    if unknown:
        raise ValueError(f"unknown evaluation levels {sorted(unknown)}; use text, audio or all")
    path = devset or DEFAULT_DEVSET
    every = load_devset(path)
    home_path = home or DEFAULT_HOME
    # Voices follow an item's place in the whole set, so a subset hears each item the same way.
    positions = {item.id: index for index, item in enumerate(every)}
    items = every[:limit] if limit else every
    audio_items = stratified_subset(items, AUDIO_SUBSET, seed=AUDIO_SEED)
    started = time.monotonic()
    # Every CallForAssistance item raises a real (simulated) alert, logged as a warning; in a
    # scripted run those lines would bury the progress.
    alerts = logging.getLogger("assistant.skill.assistance")
    level_before = alerts.level
    alerts.setLevel(logging.ERROR)
    try:
        results, model = asyncio.run(
            evaluate(
                settings, items, levels=levels, audio_items=audio_items, positions=positions,
                home_path=home_path,
            )
        )  # fmt: skip
    finally:
        alerts.setLevel(level_before)
    subset = ""
    if len(audio_items) < len(items):
        subset = f" (a fixed stratified subset of the {len(items)}, seed {AUDIO_SEED})"
    print(f"Dev set {path}: {len(items)} items; home {home_path}; model {settings.llm.model}, "
          f"speech to text {settings.stt.model}")  # fmt: skip
    for name, (scores, seconds) in results.items():
        print()
        print(format_level(name, scores, seconds, subset if name.startswith("audio") else ""))
    print()
    print(format_overview(results))
    if model is not None:
        print()
        print(format_model_summary(model))
    print(f"\nWhole evaluation: {time.monotonic() - started:.0f} s")
    if json_out is not None:
        report = _as_json(path, home_path, items, audio_items, results) | {"model": model}
        json_out.write_text(json.dumps(report, indent=1))
    return 0


def _as_json(
    path: Path,
    home_path: Path,
    items: list[DevItem],
    audio_items: list[DevItem],
    results: dict[str, tuple[list[ItemScore], float]],
) -> dict[str, Any]:
    return {
        "devset": str(path),
        "home": str(home_path),
        "items": len(items),
        "audio_items": [item.id for item in audio_items],
        "levels": {
            name: {
                "seconds": round(seconds, 1),
                "word_error_rate_pct": word_error_rate(scores) if name != "text" else None,
                "by_intent": grouped(scores, lambda s: s.expected_intent or "(nothing)"),
                "by_category": grouped(scores, lambda s: s.category),
                "latency_ms": latency(scores),
                "results": [score.as_json() for score in scores],
            }
            for name, (scores, seconds) in results.items()
        },
    }
