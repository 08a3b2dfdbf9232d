"""The `assistant` command line, run as a subprocess exactly as a script or a person would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.modelstore.manifest import load_manifest
from assistant.pipeline.contract import TIMING_KEYS
from assistant.skill_testing import Speech, read_pcm16_wav, write_pcm16_wav

from .conftest import assistant_command, clean_env, rms, word_error_rate

CONTRACT_KEYS = {"input", "place", "transcript", "intent", "actions", "response", "error",
                 "timings_ms"}  # fmt: skip
WAKE_COMMAND = "Hey Jarvis, turn on the kitchen lights."


def run(
    *args: str, cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*assistant_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(**env),
        timeout=180,
        check=False,
    )


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, speech: Speech) -> dict[str, Path]:
    """Good and bad input files for `assistant once`."""
    folder = tmp_path_factory.mktemp("once-inputs")
    good = write_pcm16_wav(folder / "good.wav", speech.audio(WAKE_COMMAND, trail_seconds=3.0))
    files = {
        "good": good,
        "no_wake": write_pcm16_wav(
            folder / "no-wake.wav", speech.audio("Turn on the kitchen lights.", trail_seconds=2.0)
        ),
        "garbage": folder / "garbage.wav",
        "empty": folder / "empty.wav",
        "truncated": folder / "truncated.wav",
        "silent": write_pcm16_wav(folder / "silent.wav", np.zeros(3 * 16_000, np.float32)),
    }
    files["garbage"].write_bytes(b"this is a text file that someone named .wav\n" * 20)
    files["empty"].write_bytes(b"")
    good_bytes = good.read_bytes()
    files["truncated"].write_bytes(good_bytes[: len(good_bytes) // 2])
    return files


# --- once ---------------------------------------------------------------------------------------


@pytest.mark.models
def test_once_json_contract_on_a_spoken_command(inputs: dict[str, Path], tmp_path: Path) -> None:
    out_dir = tmp_path / "replies"
    result = run("once", str(inputs["good"]), "--json", "--out", str(out_dir), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    turn = json.loads(lines[0])

    assert CONTRACT_KEYS | {"wake"} <= set(turn)
    assert set(turn["timings_ms"]) == set(TIMING_KEYS)
    assert turn["input"] == str(inputs["good"])
    assert turn["error"] is None
    assert turn["wake"]["detected"] is True
    assert turn["wake"]["model"] == "hey_jarvis"
    assert 0.5 < turn["wake"]["score"] <= 1.0
    assert word_error_rate("turn on the kitchen lights", turn["transcript"]) <= 0.2
    # No broker is configured here, so the home has no kitchen: nothing is understood or done.
    # (The same command against the simulated home: tests/test_devices_cli.py's demo test.)
    assert turn["intent"] is None
    assert turn["actions"] == []
    assert turn["response"] == "Sorry, I didn't understand that."

    timings = turn["timings_ms"]
    for stage in ("wake", "endpoint", "stt", "tts_first_audio", "total"):
        assert timings[stage] > 0, stage
    assert timings["understand"] >= 0
    assert timings["act"] is None  # nothing understood: no tool ran, so no time for one
    assert timings["total"] >= timings["stt"]

    audio = turn["audio"]
    assert audio["speech_start_seconds"] < audio["speech_end_seconds"] < audio["endpoint_seconds"]
    assert audio["endpoint_seconds"] <= audio["duration_seconds"]

    reply = Path(turn["reply_wav"])
    assert reply == out_dir / "good.reply.wav"
    assert reply.is_file()
    samples, rate = read_pcm16_wav(reply)
    assert rate == 22_050
    assert rms(samples) > 0.02
    assert 1.0 < len(samples) / rate < 6.0


@pytest.mark.models
def test_once_several_files_with_bad_ones(inputs: dict[str, Path], tmp_path: Path) -> None:
    order = ["garbage", "good", "empty", "truncated", "silent", "no_wake"]
    result = run("once", *(str(inputs[name]) for name in order), "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    turns = json_lines(result.stdout)
    assert [turn["input"] for turn in turns] == [str(inputs[name]) for name in order]
    by_name = dict(zip(order, turns, strict=True))
    for turn in turns:
        assert CONTRACT_KEYS | {"wake"} <= set(turn)

    expected_errors = {
        "garbage": ("audio-invalid", "not a WAV file"),
        "empty": ("audio-invalid", "the file is empty"),
        "truncated": ("audio-invalid", "truncated"),
        "silent": ("audio-silent", "the recording is silent"),
    }
    for name, (code, fragment) in expected_errors.items():
        error = by_name[name]["error"]
        assert error is not None, name
        assert error["code"] == code
        assert error["message"].startswith(f"{inputs[name]}: ")
        assert fragment in error["message"]
        # Nobody was talking to the assistant: no transcript, no reply.
        assert by_name[name]["transcript"] is None
        assert by_name[name]["response"] is None
        assert by_name[name]["reply_wav"] is None

    good = by_name["good"]
    assert good["error"] is None
    assert good["wake"]["detected"] is True
    assert word_error_rate("turn on the kitchen lights", good["transcript"]) <= 0.2

    # No wake word is not an error: nothing else runs.
    no_wake = by_name["no_wake"]
    assert no_wake["error"] is None
    assert no_wake["wake"]["detected"] is False
    assert no_wake["wake"]["model"] is None
    assert no_wake["wake"]["score"] < 0.5
    assert no_wake["transcript"] is None
    assert no_wake["response"] is None


@pytest.mark.models
def test_once_without_wake_word(inputs: dict[str, Path], tmp_path: Path) -> None:
    result = run("once", "--no-wake", str(inputs["no_wake"]), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (turn,) = json_lines(result.stdout)
    assert turn["wake"] == {"detected": False, "skipped": True, "model": None, "score": None}
    assert word_error_rate("Turn on the kitchen lights.", turn["transcript"]) <= 0.2
    assert turn["error"] is None
    assert turn["timings_ms"]["wake"] is None  # skipped: no time, not 0.0
    assert turn["timings_ms"]["stt"] > 0
    assert turn["reply_wav"] is None


@pytest.mark.models
def test_once_with_missing_model_exits_2_naming_the_fix(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    empty_store = tmp_path / "empty-store"
    empty_store.mkdir()
    result = run(
        "once", str(inputs["good"]), "--json", cwd=tmp_path, ASSISTANT_MODELS__DIR=str(empty_store)
    )
    assert result.returncode == 2
    assert result.stdout == ""
    *warnings, error = result.stderr.strip().splitlines()
    # The language model is optional (the rules answer without it), so its absence is only a
    # warning; the first required model that is missing stops the start-up, in one line.
    assert all(line.startswith("WARNING ") for line in warnings), result.stderr
    assert error.startswith("assistant: model ")
    assert "is not installed in" in error
    assert str(empty_store) in error
    assert "`assistant models fetch`" in error
    assert list(empty_store.iterdir()) == []  # a failed start-up writes nothing


# --- ask ----------------------------------------------------------------------------------------


def test_ask_json_has_the_contract_without_wake(tmp_path: Path) -> None:
    result = run("ask", "turn", "on", "the", "light", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (turn,) = json_lines(result.stdout)
    assert set(turn) == CONTRACT_KEYS
    assert turn["input"] == "turn on the light"
    assert turn["transcript"] == "turn on the light"
    # No broker configured: the rules understand, and the device skill says there is no light.
    assert turn["intent"] == {"name": "HassTurnOn", "slots": {"domain": "light"}, "source": "rules"}
    assert turn["response"] == "I don't know any lights."
    assert turn["error"] is None
    assert set(turn["timings_ms"]) == set(TIMING_KEYS)
    assert turn["timings_ms"]["stt"] is None  # typed: nothing was transcribed


def test_ask_reads_one_utterance_per_line_from_stdin(tmp_path: Path) -> None:
    stdin = "turn on the light\n\n  what time is it  \nlock the front door\n"
    result = run("ask", "-", "--json", cwd=tmp_path, stdin=stdin)
    assert result.returncode == 0, result.stderr
    turns = json_lines(result.stdout)
    assert [turn["input"] for turn in turns] == [
        "turn on the light",
        "what time is it",
        "lock the front door",
    ]
    assert all(set(turn) == CONTRACT_KEYS for turn in turns)
    intents = [turn["intent"] and turn["intent"]["name"] for turn in turns]
    assert intents == ["HassTurnOn", "HassGetCurrentTime", None]  # no lock without devices
    assert turns[1]["response"].startswith("It's ")
    assert turns[2]["response"] == "Sorry, I didn't understand that."


def test_ask_without_json_prints_readable_lines(tmp_path: Path) -> None:
    result = run("ask", "open the garage door", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "open the garage door:"
    assert "  heard: open the garage door" in lines
    assert "  reply: Sorry, I didn't understand that." in lines


# --- models -------------------------------------------------------------------------------------


@pytest.mark.models
def test_models_list_shows_every_default_model_verified(tmp_path: Path) -> None:
    result = run("models", "list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:] if line}
    for spec in load_manifest().defaults():
        assert spec.id in rows, f"{spec.id} not listed"
        assert "verified" in rows[spec.id], rows[spec.id]
        assert spec.role in rows[spec.id]


def test_models_list_on_an_empty_store_says_what_is_missing(tmp_path: Path) -> None:
    empty_store = tmp_path / "empty-store"
    result = run("models", "list", cwd=tmp_path, ASSISTANT_MODELS__DIR=str(empty_store))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == f"model store: {empty_store}"
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[2:] if line}
    defaults = load_manifest().defaults()
    for spec in defaults:
        assert "MISSING" in rows[spec.id]
    assert result.stderr.strip() == (
        f"{len(defaults)} default model(s) missing or corrupt: run `assistant models fetch`"
    )
