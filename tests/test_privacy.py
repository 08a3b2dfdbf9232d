"""Nothing leaves the house: the one-shot commands work with no network but loopback, and no
library phones home (onnxruntime's telemetry would leave a device id under ~/.cache/Microsoft).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from assistant.config.settings import default_model_dir

from .conftest import Speech, assistant_command, clean_env, write_pcm16_wav


def _only_loopback_works() -> bool:
    try:
        done = subprocess.run(
            ["unshare", "-n", "sh", "-c", "ip link set lo up"],
            capture_output=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.mark.models
@pytest.mark.skipif(not _only_loopback_works(), reason="needs unshare -n (root or user ns)")
def test_once_and_ask_work_with_only_loopback_and_leave_no_telemetry(
    speech: Speech, tmp_path: Path
) -> None:
    wav = write_pcm16_wav(
        tmp_path / "command.wav",
        speech.audio("Hey Jarvis, what time is it?", trail_seconds=2.0),
    )
    home = tmp_path / "home"
    home.mkdir()
    command = shlex.join(assistant_command())
    script = (
        "ip link set lo up && "
        f"{command} once {shlex.quote(str(wav))} --json && "
        f"{command} ask 'what time is it' --json"
    )
    # A home of its own, so whatever a library writes under ~ is seen; the models are where
    # they were fetched.
    env = clean_env(
        HOME=str(home),
        XDG_DATA_HOME=str(default_model_dir().parents[1]),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    env.pop("ORT_DISABLE_TELEMETRY", None)  # the runtime must turn it off itself
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    replies = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(replies) == 2
    assert all(reply["error"] is None and reply["response"] for reply in replies), replies
    assert not (home / ".cache" / "Microsoft").exists()
