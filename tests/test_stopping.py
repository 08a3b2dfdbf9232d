"""Stopping promptly: SIGTERM at many points of start-up, sent to the real commands.

Each command is started as systemd or a script starts it, in a session of its own, so that
anything it leaves behind (a Mosquitto, a worker process) is found after it is gone. One start
of each command runs to readiness, which measures how long start-up takes on this machine; the
others get SIGTERM at a random point of each equal slice of that span, so every stage is hit
(imports, each model load, skills, warm-up, waiting for input) whatever the machine's speed.
Each must end within `DEADLINE_SECONDS` with the conventional status, leaving nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import pytest

from assistant.devices.broker import PrivateBroker
from assistant.tasks import cancel_and_wait

from .conftest import assistant_command, clean_env
from .processes import Lines, notify_socket, session_members, until

# Stopping takes well under a second; this leaves room for a loaded machine and is far below
# what systemd waits (TimeoutStopSec=30) before it kills.
DEADLINE_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 120.0
# Conventional statuses: 128 + SIGTERM for a command stopped before it finished; 0 for the
# service, whose normal end is being stopped (the unit has no SuccessExitStatus=, so systemd
# counts only 0, or death by the signal itself, as a clean stop). A signal that comes before
# Python has set up its handlers kills the process outright: -15, just as conventional.
ONE_SHOT = {128 + signal.SIGTERM, -signal.SIGTERM}
SERVICE = {0, -signal.SIGTERM}


@dataclass
class Run:
    """One start of a command, stopped by SIGTERM `delay` seconds in (None: once ready)."""

    delay: float | None
    ready_seconds: float | None = None
    finished_first: bool = False
    """It was done (a file processed) before the signal came: nothing to stop."""
    exit_seconds: float | None = None
    """From the signal to the exit; None when it had not ended by the deadline."""
    returncode: int | None = None
    left_behind: list[str] = field(default_factory=list)
    notifications: list[str] = field(default_factory=list)

    def problem(self, statuses: set[int]) -> str | None:
        when = "once ready" if self.delay is None else f"{self.delay:.2f} s in"
        if self.exit_seconds is None:
            return f"SIGTERM {when}: still running {DEADLINE_SECONDS:.0f} s later"
        if self.left_behind:
            return f"SIGTERM {when}: left {self.left_behind} running"
        if self.returncode not in statuses and not self.finished_first:
            return f"SIGTERM {when}: exit status {self.returncode}, not one of {sorted(statuses)}"
        return None


@dataclass
class Command:
    args: list[str]
    statuses: set[int]
    stdin: str = ""
    notify: bool = False
    """Ready is READY=1 on $NOTIFY_SOCKET (the service); otherwise its first output line."""
    finishes: bool = False
    """It ends by itself once ready (a file processed): its first start only measures."""


def start_and_stop(command: Command, delay: float | None, env: dict[str, str], cwd: Path) -> Run:
    run = Run(delay)
    with contextlib.ExitStack() as stack:
        ready = threading.Event()
        fields: list[str] = []
        if command.notify:
            path, fields, ready = stack.enter_context(notify_socket(cwd))
            env = {**env, "NOTIFY_SOCKET": path}
        process = subprocess.Popen(
            [*assistant_command(), *command.args], env=env, cwd=cwd, start_new_session=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        started = time.monotonic()
        stdout = cast(IO[str], process.stdout)
        if not command.notify:
            ready = Lines(stdout).first
        stdin = cast(IO[str], process.stdin)
        stdin.write(command.stdin)  # and left open: `ask -` waits for more
        stdin.flush()
        try:
            if delay is None:
                assert ready.wait(READY_TIMEOUT_SECONDS), "never got ready"
                run.ready_seconds = time.monotonic() - started
                if command.finishes:
                    process.wait(READY_TIMEOUT_SECONDS)
            else:
                time.sleep(delay)
            run.finished_first = process.poll() is not None
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.returncode = process.wait(DEADLINE_SECONDS)
                run.exit_seconds = time.monotonic() - signalled
            if run.exit_seconds is not None:
                # A child told to die with its parent takes a moment to be gone.
                until(lambda: not session_members(process.pid), 2.0)
                run.left_behind = session_members(process.pid)
                if command.notify and run.returncode == 0:
                    until(lambda: "STOPPING=1" in fields, 2.0)  # sent before the exit
            run.notifications = list(fields)
        finally:
            for member in session_members(process.pid):  # whatever failed, clean up
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(member.split()[0]), signal.SIGKILL)
            process.wait()
            stdin.close()
            stdout.close()
    return run


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


SPREAD = {"ask": 8, "once": 4, "run": 4}


@pytest.mark.models
@pytest.mark.parametrize("name", list(SPREAD))
def test_sigterm_at_any_point_of_start_up_stops_promptly(
    name: str, tmp_path: Path, broker: PrivateBroker
) -> None:
    wav = tmp_path / "quiet.wav"  # a second of near silence: start-up is what is tested
    with wave.open(str(wav), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16_000)
        handle.writeframes(bytes(32_000))
    command = {
        "ask": Command(["ask", "-", "--json"], ONE_SHOT, stdin="what time is it\n"),
        "once": Command(["once", str(wav), "--json", "--no-wake"], ONE_SHOT, finishes=True),
        "run": Command(["run"], SERVICE, notify=True),
    }[name]
    env = clean_env(
        ASSISTANT_MQTT__HOST=broker.host, ASSISTANT_MQTT__PORT=str(broker.port),
        ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state"),
    )  # fmt: skip
    first = start_and_stop(command, None, env, tmp_path)  # stopped once ready
    assert first.ready_seconds is not None
    slices = SPREAD[name]
    delays = [first.ready_seconds * (i + random.random()) / slices for i in range(slices)]
    runs = [first] + [start_and_stop(command, delay, env, tmp_path) for delay in delays]
    problems = [problem for run in runs if (problem := run.problem(command.statuses))]
    assert problems == [], f"ready after {first.ready_seconds:.1f} s; " + "; ".join(problems)
    if command.notify:
        # systemd hears that the stop is under way, not a crash, whenever it came.
        for run in runs:
            assert run.returncode != 0 or "STOPPING=1" in run.notifications, run
    seconds = [run.exit_seconds for run in runs if run.exit_seconds is not None]
    print(
        f"{name}: ready after {first.ready_seconds:.1f} s; exits took {max(seconds):.2f} s at most"
    )


def test_a_private_broker_dies_with_its_owner_even_when_the_owner_is_killed(
    tmp_path: Path,
) -> None:
    """SIGKILL (systemd's last word after TimeoutStopSec) runs no cleanup at all."""
    owner_code = (
        "import sys, time\n"
        "from assistant.devices.broker import PrivateBroker\n"
        "broker = PrivateBroker()\n"
        "broker.start()\n"
        "print(broker._process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", owner_code], stdout=subprocess.PIPE, text=True, cwd=tmp_path,
        start_new_session=True,
    )  # fmt: skip
    try:
        mosquitto = int(cast(IO[str], owner.stdout).readline())
        assert f"{mosquitto} mosquitto" in session_members(owner.pid)
        owner.kill()
        owner.wait()
        gone = until(lambda: not session_members(owner.pid), DEADLINE_SECONDS)
        assert gone, f"left running: {session_members(owner.pid)}"
    finally:
        for member in session_members(owner.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(member.split()[0]), signal.SIGKILL)
        owner.wait()


# --- ending a task without swallowing a stop ----------------------------------------------------


async def test_a_stop_that_arrives_while_a_task_is_ended_is_not_swallowed() -> None:
    # The capture ends its pending frame request as it returns; a stop that lands just then
    # used to be taken for that request's own cancellation, and the live loop never stopped.
    started, cancelled, release = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow_to_end() -> None:
        try:
            started.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            await release.wait()  # a frame request that takes a moment to unwind
            raise

    async def finishing() -> str:
        request = asyncio.ensure_future(slow_to_end())
        await started.wait()
        await cancel_and_wait(request)
        return "carried on"

    caller = asyncio.ensure_future(finishing())
    await asyncio.wait_for(cancelled.wait(), 10)
    caller.cancel()  # the stop, while the caller waits for the request's end
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    # Without a stop, the task's own cancellation and failure stay with it.
    waiting = asyncio.ensure_future(asyncio.Event().wait())
    await cancel_and_wait(waiting)
    assert waiting.cancelled()
