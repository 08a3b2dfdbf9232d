"""Nothing leaves the house: the one-shot commands work with no network but loopback, their
broker included, and they try no other address (traced with strace); no library phones home
(onnxruntime's telemetry would leave a device id under ~/.cache/Microsoft).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config.settings import default_model_dir

from .conftest import Speech, clean_env, write_pcm16_wav


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
    """The broker and the simulated home run inside the namespace too: both commands switch
    the kitchen light, and every address either one tried to reach is a loopback one."""
    wav = write_pcm16_wav(
        tmp_path / "command.wav",
        speech.audio("Hey Jarvis, turn on the kitchen light.", trail_seconds=2.0),
    )
    home = tmp_path / "home"
    home.mkdir()
    traces = tmp_path / "traces"
    traces.mkdir()
    driver = [sys.executable, "-m", "tests.loopback_home", str(wav), str(traces)]
    # A home of its own, so whatever a library writes under ~ is seen; the models are where
    # they were fetched.
    env = clean_env(
        HOME=str(home),
        XDG_DATA_HOME=str(default_model_dir().parents[1]),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    env.pop("ORT_DISABLE_TELEMETRY", None)  # the runtime must turn it off itself
    done = subprocess.run(
        _isolated(shlex.join(driver)),
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    replies = [json.loads(line) for line in lines if line.startswith("{")]
    assert [[(a["entity"], a["service"], a["status"]) for a in r["actions"]] for r in replies] == [
        [("light.kitchen_ceiling_light", "turn_on", "confirmed")],
        [("light.kitchen_ceiling_light", "turn_off", "confirmed")],
    ], replies
    tried = [line for line in lines if line.startswith("AF_")]
    assert "AF_INET 127.0.0.1" in tried, tried  # the trace saw the broker connection
    assert all(
        line in {"AF_INET 127.0.0.1", "AF_INET6 ::1"} or line in {"AF_UNIX", "AF_NETLINK"}
        for line in tried
    ), tried
    assert not (home / ".cache" / "Microsoft").exists()
