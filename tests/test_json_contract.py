"""The `--json` contract of `assistant ask` and `assistant once`, compared with recorded samples.

The samples in `tests/fixtures/contract/` were recorded from the runtime against the simulated
home. Everything is compared exactly (keys, their order, values) except what depends on the
machine: timings, wake scores, positions in the audio and the transcript, which are compared
by type only. Re-record with `ASSISTANT_RECORD_CONTRACT=1` after a deliberate contract change,
and say so in the change log: scripts depend on this shape.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Speech, assistant_command, simulated_home_env, write_pcm16_wav

FIXTURES = Path(__file__).parent / "fixtures" / "contract"
RECORD = os.environ.get("ASSISTANT_RECORD_CONTRACT") == "1"

ASKED = [
    "turn on the kitchen light",
    "set the bedroom lamp to 40 percent",
    "is the front door locked",
    "unlock the front door",
    "order a pizza for me",
]
SPOKEN = "Hey Jarvis, turn on the kitchen lights."

# Values that depend on the machine (CPU kernels, load): compared by type, never by value.
_BY_TYPE = {
    ("timings_ms", "*"),
    ("wake", "score"),
    ("wake", "audio_seconds"),
    ("audio", "*"),
}
_TRANSCRIPT = ("transcript",)


def _masked(value: Any, by_type: set[tuple[str, ...]], path: tuple[str, ...] = ()) -> Any:
    """The value with machine-dependent leaves replaced by their type's name."""
    if any(
        len(pattern) == len(path)
        and all(want in ("*", got) for want, got in zip(pattern, path, strict=True))
        for pattern in by_type
    ):
        return f"<{type(value).__name__}>" if value is not None else None
    if isinstance(value, dict):
        return {key: _masked(item, by_type, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, by_type, (*path, "[]")) for item in value]
    return value


def _ordered(value: Any) -> Any:
    """Dicts as lists of pairs: two objects with the same keys in another order differ."""
    if isinstance(value, dict):
        return [[key, _ordered(item)] for key, item in value.items()]
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


@pytest.fixture(scope="module")
def home_env() -> Iterator[dict[str, str]]:
    with simulated_home_env(assistant_command(), ASSISTANT_SAFETY__AUDIT_LOG="false") as env:
        yield env


def _run(
    env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None
) -> list[dict[str, Any]]:
    result = subprocess.run(
        [*assistant_command(), *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _compare(name: str, produced: list[dict[str, Any]], by_type: set[tuple[str, ...]]) -> None:
    sample = FIXTURES / f"{name}.jsonl"
    masked = [_masked(line, by_type) for line in produced]
    if RECORD:
        sample.parent.mkdir(parents=True, exist_ok=True)
        sample.write_text("".join(json.dumps(line) + "\n" for line in masked))
    recorded = [json.loads(line) for line in sample.read_text().splitlines() if line.strip()]
    assert _ordered(masked) == _ordered(recorded)


def test_ask_json_matches_the_recorded_contract(home_env: dict[str, str], tmp_path: Path) -> None:
    asked = "".join(f"{text}\n" for text in ASKED)
    # A typed utterance is its own transcript: nothing about it depends on the machine.
    _compare("ask", _run(home_env, tmp_path, "ask", "-", "--json", stdin=asked), _BY_TYPE)


@pytest.mark.models
def test_once_json_matches_the_recorded_contract(
    home_env: dict[str, str], tmp_path: Path, speech: Speech
) -> None:
    write_pcm16_wav(tmp_path / "spoken.wav", speech.audio(SPOKEN, trail_seconds=3.0))
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"not audio\n" * 50)
    produced = _run(home_env, tmp_path, "once", "spoken.wav", "garbage.wav", "--json",
                    "--out", "replies")  # fmt: skip
    _compare("once", produced, _BY_TYPE | {_TRANSCRIPT})
