"""Timers asked for in one-shot commands: kept by the running service, or refused.

`assistant ask` ends once it has answered, so a timer started there would never ring. With
`assistant run` running on the same state folder the timer is handed over and rings there (the
service logs each announcement it makes); without one it is refused and nothing is kept. The
commands run as processes, the service as systemd runs it (its readiness on $NOTIFY_SOCKET), on
a machine with no sound card, which it waits for: timers still ring, into the log.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import pytest

from .conftest import assistant_command, clean_env
from .processes import Lines, notify_socket, until

READY_TIMEOUT_SECONDS = 120.0
# A ring comes at its time on an idle machine; a loaded one may be late. The tests are about
# whether and where it rings, not how promptly a busy machine gets to it.
RING_TIMEOUT_SECONDS = 30.0


def timers_file(state: Path) -> Path:
    return state / "skills" / "timers" / "timers.json"


def kept_timers(state: Path) -> list[dict[str, Any]]:
    if not timers_file(state).exists():
        return []
    timers: list[dict[str, Any]] = json.loads(timers_file(state).read_text())["timers"]
    return timers


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # The rules understand every timer sentence here; without the language model both commands
    # start in a few seconds.
    return clean_env(
        ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state"), ASSISTANT_UNDERSTANDING__MODEL="false"
    )


def ask(env: dict[str, str], cwd: Path, text: str) -> dict[str, Any]:
    result = subprocess.run(
        [*assistant_command(), "ask", text, "--json"], env=env, cwd=cwd, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    turn: dict[str, Any] = json.loads(result.stdout)
    return turn


def test_without_the_service_a_timer_is_refused_and_nothing_is_kept(
    env: dict[str, str], tmp_path: Path
) -> None:
    state = Path(env["ASSISTANT_STORAGE__STATE_DIR"])
    turn = ask(env, tmp_path, "set a timer for 5 minutes")
    assert turn["intent"]["name"] == "HassStartTimer"
    assert turn["response"] == (
        "I can't keep a timer: timers ring only while the assistant is running, and it isn't. "
        "Start it with 'assistant run', then ask again."
    )
    assert kept_timers(state) == []
    assert ask(env, tmp_path, "how much time is left")["response"] == "You have no timers."


class Asking:
    """`assistant ask -`, one line at a time, each answer read before the next is sent."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [*assistant_command(), "ask", "-", "--json"], env=env, cwd=cwd, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.answers = Lines(cast(IO[str], self.process.stdout))

    def say(self, text: str) -> str:
        count = len(self.answers.lines)
        stdin = cast(IO[str], self.process.stdin)
        stdin.write(text + "\n")
        stdin.flush()
        answered = until(lambda: len(self.answers.lines) > count, READY_TIMEOUT_SECONDS)
        assert answered, f"no answer to {text!r}"
        response: str = json.loads(self.answers.lines[count])["response"]
        return response

    def close(self) -> None:
        cast(IO[str], self.process.stdin).close()
        assert self.process.wait(60) == 0


@pytest.fixture
def service(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """`assistant run`, ready (READY=1), with its log read line by line; stopped at the end."""
    with notify_socket(tmp_path) as (path, fields, ready):
        process = subprocess.Popen(
            [*assistant_command(), "run"], env={**env, "NOTIFY_SOCKET": path}, cwd=tmp_path,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        log = Lines(cast(IO[str], process.stderr))
        try:
            assert ready.wait(READY_TIMEOUT_SECONDS), log.lines
            yield process, log
            process.send_signal(signal.SIGTERM)
            assert process.wait(5) == 0
            assert "STOPPING=1" in fields
        finally:
            process.kill()
            process.wait()


def test_a_timer_set_by_ask_rings_on_the_running_service(
    service: tuple[subprocess.Popen[str], Lines], env: dict[str, str], tmp_path: Path
) -> None:
    _, log = service
    asking = Asking(env, tmp_path)
    started = asking.say("set a timer for 2 seconds")
    log.wait_for(r"announcement: \[timer\] Your 2 second timer is done\.", RING_TIMEOUT_SECONDS)
    assert started == "Started a timer for 2 seconds; the running assistant will ring it."

    # Changed or cancelled from a one-shot command, it changes or goes on the service too. The
    # tea timer ends after the pasta timer would have: once it has rung, the pasta timer
    # would have rung before it.
    assert asking.say("set a timer for 3 seconds called pasta").startswith("Started the pasta")
    assert asking.say("cancel the pasta timer") == "Cancelled your pasta timer."
    assert asking.say("set a timer for 4 seconds called tea").startswith("Started the tea")
    assert asking.say("how much time is left on the tea timer").endswith("left on your tea timer.")
    log.wait_for(r"announcement: \[timer\] Your tea timer is done\.", RING_TIMEOUT_SECONDS)
    assert log.matching("pasta") == []
    asking.close()
    assert kept_timers(Path(env["ASSISTANT_STORAGE__STATE_DIR"])) == []  # rung, so gone


def test_a_second_service_on_the_same_state_folder_is_refused(
    service: tuple[subprocess.Popen[str], Lines], env: dict[str, str], tmp_path: Path
) -> None:
    """Two would ring every timer twice."""
    running, _ = service
    second = subprocess.run(
        [*assistant_command(), "run"], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert second.returncode == 2
    assert f"already running on this state folder (pid {running.pid})" in second.stderr
