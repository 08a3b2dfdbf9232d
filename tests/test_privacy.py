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


def _isolated(script: str) -> list[str]:
    """The script in a network namespace with only loopback, where this machine allows one
    (root with CAP_SYS_ADMIN, or user namespaces); where it does not (a locked-down container),
    the script runs as it is and the telemetry check below still holds."""
    isolated = ["unshare", "-n", "sh", "-c", f"ip link set lo up && {script}"]
    try:
        probe = subprocess.run(
            [*isolated[:-1], "ip link set lo up"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ["sh", "-c", script]
    return isolated if probe.returncode == 0 else ["sh", "-c", script]


@pytest.mark.models
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
        f"{command} once {shlex.quote(str(wav))} --json && {command} ask 'what time is it' --json"
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
        _isolated(script),
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    replies = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(replies) == 2
    assert all(reply["error"] is None and reply["response"] for reply in replies), replies
    assert not (home / ".cache" / "Microsoft").exists()
