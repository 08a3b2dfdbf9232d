"""The processes of `tests.reliability`: Mosquitto, the harness's own MQTT client, the
simulated home and `assistant ask -`, each started here and ended here.

Every child runs in a session of its own, so Ctrl-C in the terminal reaches only the harness,
which then ends them one by one, by pid (`Children.end_all`). Their output is read on threads,
each line stamped with `time.monotonic()` when it arrived and copied to a log file in the
run's work folder (kept with `--keep`).
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

HOST = "127.0.0.1"
STARTUP_SECONDS = 240.0
"""An `ask -` loads the language model and every skill before its first reply: about 10 s
alone, several times that with three starting at once on two busy cores."""
REPLY_SECONDS = 60.0
"""Generous: a command waits at most 5 s for its confirmation (mqtt.confirm_timeout_seconds)."""
RATE_LIMIT = "1000000"
"""The safety rate limit (10 actions per device per minute) would refuse most of the commands
sent here; raised, so that every command takes the path through the broker."""


# --- processes -------------------------------------------------------------------------------


def assistant_command() -> list[str]:
    """The `assistant` script beside this interpreter, else `python -m assistant`."""
    script = Path(sys.executable).with_name("assistant")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "assistant"]


def clean_env(**extra: str) -> dict[str, str]:
    """No stray ASSISTANT_* settings from the caller's shell; nothing fetched from a hub."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    env["HF_HUB_OFFLINE"] = "1"
    env.update(extra)
    return env


class Children:
    """Every process the harness starts, so that each one is ended, by its pid, on any exit."""

    def __init__(self) -> None:
        self._running: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def start(
        self,
        command: list[str],
        *,
        env: dict[str, str],
        cwd: Path | None = None,
        stdin: int = subprocess.DEVNULL,
        stdout: int | IO[bytes] = subprocess.PIPE,
        stderr: int | IO[bytes] = subprocess.PIPE,
    ) -> subprocess.Popen[bytes]:
        # A session of its own: Ctrl-C in the terminal interrupts the harness only, which then
        # ends its children in order instead of every process tearing down at once.
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        with self._lock:
            self._running.append(process)
        return process

    def end(self, process: subprocess.Popen[bytes], *, grace_seconds: float = 10.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited within the grace; its exit code."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                process.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        with self._lock:
            if process in self._running:
                self._running.remove(process)
        return process.returncode

    def end_all(self) -> None:
        with self._lock:
            running = list(reversed(self._running))
        for process in running:
            self.end(process, grace_seconds=5.0)


class Lines:
    """A child's output, read on a thread of its own, each line stamped when it arrived.

    `accept` picks the lines that count (an `ask --json` reply is one JSON object per line);
    the others go to `rejected`, so a stray print cannot shift replies onto the wrong request.
    """

    def __init__(
        self, stream: IO[bytes], log: Path, accept: Callable[[str], bool] | None = None
    ) -> None:
        self.lines: list[tuple[float, str]] = []
        self.rejected: list[str] = []
        self.closed = False
        self._accept = accept
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream, log), daemon=True).start()

    def _read(self, stream: IO[bytes], log: Path) -> None:
        with log.open("a", encoding="utf-8") as copy:  # kept with --keep, for diagnosis
            for raw in iter(stream.readline, b""):
                at, line = time.monotonic(), raw.decode("utf-8", "replace").rstrip("\r\n")
                self._keep(at, line)
                copy.write(f"{at:.3f} {line}\n")
                copy.flush()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def _keep(self, at: float, line: str) -> None:
        with self._changed:
            if self._accept is None or self._accept(line):
                self.lines.append((at, line))
            else:
                self.rejected.append(line)
            self._changed.notify_all()

    def wait_for(self, count: int, deadline: float) -> bool:
        """Until `count` lines have come; False at the deadline or when the stream ended."""
        with self._changed:
            while len(self.lines) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return False
                self._changed.wait(remaining)
            return True

    def wait_quiet(self, quiet_seconds: float, deadline: float) -> bool:
        """Until nothing has come for `quiet_seconds` (all that was on its way has arrived)."""
        while time.monotonic() < deadline:
            with self._changed:
                last = self.lines[-1][0] if self.lines else 0.0
                if self.closed or time.monotonic() - last >= quiet_seconds:
                    return True
                self._changed.wait(min(quiet_seconds, max(0.0, deadline - time.monotonic())))
        return False

    def snapshot(self) -> list[tuple[float, str]]:
        with self._changed:
            return list(self.lines)

    def text(self) -> str:
        return "\n".join(line for _, line in self.snapshot())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Broker:
    """A Mosquitto on a fixed loopback port, configured like the runtime's PrivateBroker (no
    persistence: a restarted broker has lost every retained message, as after a crash)."""

    def __init__(self, children: Children, folder: Path) -> None:
        found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/sbin")
        if found is None:
            raise SystemExit("mosquitto is not installed (./bootstrap.sh installs it)")
        self.children, self.binary, self.port = children, found, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} {HOST}\nallow_anonymous true\npersistence false\n"
            "set_tcp_nodelay true\nlog_dest stderr\nlog_type error\nlog_type warning\n"
            # One line per SUBSCRIBE ("<time>: <client id> <qos> <filter>"): churn shows.
            "log_type subscribe\n"
        )
        self.log = folder / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self, timeout_seconds: float = 10.0) -> float:
        """Start and wait until it accepts connections; returns when it did."""
        with self.log.open("ab") as log:
            self.process = self.children.start(
                [self.binary, "-c", str(self.config)],
                env=clean_env(),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited at start: {self.log.read_text()[-300:]}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.2):
                return time.monotonic()
            time.sleep(0.005)  # polling a port: nothing to be notified by
        raise RuntimeError(f"mosquitto did not listen on {HOST}:{self.port} in time")

    def subscribes(self, pid: int) -> int:
        """SUBSCRIBEs so far from the runtime's client in process `pid` (its client id is
        assistant-<host>-<role>-<pid>-<random>)."""
        pattern = re.compile(rf"^\d+: \S+-{pid}-[0-9a-f]+ \d ")
        with contextlib.suppress(OSError):
            lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
            return sum(bool(pattern.match(line)) for line in lines)
        return 0

    def kill(self) -> float:
        """SIGKILL, as a crash or a pulled plug looks to every client; returns when."""
        assert self.process is not None
        at = time.monotonic()
        self.process.kill()
        self.children.end(self.process)
        self.kills += 1
        return at

    def stop(self) -> None:
        if self.process is not None:
            self.children.end(self.process)


@dataclass(frozen=True)
class Seen:
    at: float
    topic: str
    payload: bytes


class Observer:
    """The harness's own MQTT client: everything the broker delivers (`#`), stamped on
    arrival; it also publishes the fuzz. After a broker restart it is connected again at once,
    before the runtime's clients (whose reconnect backoff starts at 0.25 s) are back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._client: paho.Client | None = None
        self._connects = 0

    def _on_message(self, _client: paho.Client, _userdata: Any, message: Any) -> None:
        with self._lock:
            self.seen.append(Seen(time.monotonic(), message.topic, bytes(message.payload)))

    def connect(self, timeout_seconds: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_seconds
        while True:
            self._connects += 1
            client = paho.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=f"reliability-observer-{os.getpid()}-{self._connects}",
                protocol=paho.MQTTv311,
                clean_session=True,
                reconnect_on_failure=False,
            )
            connected, subscribed = threading.Event(), threading.Event()

            def on_connect(_c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
                if not reason.is_failure:
                    connected.set()  # noqa: B023 (this attempt's event, used before the next)

            def on_subscribe(_c: paho.Client, _u: Any, _m: Any, _codes: Any, _p: Any) -> None:
                subscribed.set()  # noqa: B023

            client.on_connect, client.on_subscribe = on_connect, on_subscribe
            client.on_message = self._on_message
            try:
                client.connect(HOST, self.port, keepalive=30)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.005)  # the broker is not listening yet
                continue
            client.loop_start()
            if connected.wait(max(0.0, deadline - time.monotonic())):
                client.subscribe("#", qos=1)
                if subscribed.wait(max(0.0, deadline - time.monotonic())):
                    self._client = client
                    return
            client.loop_stop()
            raise RuntimeError("the observer could not subscribe to the broker in time")

    def drop(self) -> None:
        """After the broker died: end this client's network thread (no reconnects of its own)."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.disconnect()
            client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool, timeout: float = 10.0) -> bool:
        """QoS 1; True once the broker acknowledged it."""
        client = self._client
        if client is None:
            return False
        info = client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            return False
        with contextlib.suppress(RuntimeError, ValueError):
            info.wait_for_publish(timeout)
        return bool(info.is_published())

    def since(self, start: float) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.at >= start]


# --- the simulated home ----------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    """One simulated device, as `assistant simulate` describes it."""

    id: str
    kind: str
    name: str
    commands: tuple[str, ...]
    states: tuple[str, ...]
    availability: str

    @property
    def entity(self) -> str:
        return f"{self.kind}.{re.sub(r'[^a-z0-9]+', '_', self.name.lower()).strip('_')}"

    @property
    def scale(self) -> int:
        """Brightness units: a Tasmota dimmer counts to 100, a Zigbee2MQTT bulb to 254."""
        return 100 if any(topic.startswith("cmnd/") for topic in self.commands) else 254


@dataclass(frozen=True)
class Took:
    """A command a simulated device took, from the simulator's log."""

    read_at: float
    device: str
    topic: str
    payload: str
    now: dict[str, Any]
    """The device's whole state after it."""


_DESCRIBE = re.compile(
    r"^(?P<id>\S+)\s+(?P<kind>\S+)\s+(?P<name>'[^']*'|\"[^\"]*\")\s+\S.*?"
    r"commands: (?P<commands>.*?); state: (?P<states>.*?); availability: (?P<avail>[^;]*)"
)
_TOOK = re.compile(
    r"^INFO assistant\.devices\.sim\.simulator: (?P<id>\S+) took "
    r"(?P<payload>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") on (?P<topic>.+?): now (?P<now>\{.*\})$"
)


class Home:
    """`assistant simulate` in a child process, logging at info: its log names every command
    each device took and the device's state after it, which is the ground truth here."""

    def __init__(self, children: Children, env: dict[str, str], folder: Path) -> None:
        self.children = children
        self.process = children.start(
            [*assistant_command(), "simulate", "--log-level", "info"], env=env
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.out = Lines(self.process.stdout, folder / "simulate.out")
        self.err = Lines(self.process.stderr, folder / "simulate.err")
        deadline = time.monotonic() + 60.0
        if not self.out.wait_for(1, deadline) or not self.out.lines[0][1].startswith("Simulating"):
            raise RuntimeError(f"the simulator did not start: {self.err.text()[-500:]}")
        count = int(self.out.lines[0][1].split()[1])
        if not self.out.wait_for(1 + count, deadline):
            raise RuntimeError("the simulator did not describe its devices")
        self.devices: dict[str, Device] = {}
        for _, line in self.out.snapshot()[1 : 1 + count]:
            found = _DESCRIBE.match(line)
            if found is None:
                raise RuntimeError(f"cannot read the simulator's description: {line!r}")
            listed = found["commands"].strip()
            self.devices[found["id"]] = Device(
                found["id"],
                found["kind"],
                ast.literal_eval(found["name"]),
                tuple(listed.split(", ")) if listed != "-" else (),
                tuple(found["states"].split(", ")),
                found["avail"].strip(),
            )
        self.by_command_topic = {
            topic: device.id for device in self.devices.values() for topic in device.commands
        }

    def took(self) -> list[Took]:
        result = []
        for at, line in self.err.snapshot():
            found = _TOOK.match(line)
            if found is not None:
                result.append(
                    Took(
                        at,
                        found["id"],
                        found["topic"],
                        ast.literal_eval(found["payload"]),
                        ast.literal_eval(found["now"]),
                    )
                )
        return result

    def stop(self) -> None:
        """Before the broker: the simulator says goodbye over it (else it waits 5 s per topic)."""
        self.children.end(self.process, grace_seconds=15.0)


# --- an `ask -` process ----------------------------------------------------------------------


@dataclass
class Turn:
    text: str
    sent: float
    replied: float | None = None
    reply: dict[str, Any] | None = None


def _is_json_object(line: str) -> bool:
    return line.startswith("{")


class Ask:
    """A long-lived `assistant ask - --json`, one utterance at a time."""

    def __init__(self, children: Children, env: dict[str, str], folder: Path, name: str) -> None:
        self.children, self.name = children, name
        self.process = children.start(
            [*assistant_command(), "ask", "-", "--json", "--log-level", "info"],
            env=env,
            stdin=subprocess.PIPE,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.out = Lines(self.process.stdout, folder / f"{name}.out", accept=_is_json_object)
        self.err = Lines(self.process.stderr, folder / f"{name}.err")
        self.turns: list[Turn] = []
        self.hung = False
        self.exit_code: int | None = None
        self.closed_by_us = False

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def say(self, text: str, timeout_seconds: float = REPLY_SECONDS) -> Turn:
        """Send one utterance and wait for its reply (replies come in order, one per line)."""
        turn = Turn(text, time.monotonic())
        self.turns.append(turn)
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(text.encode() + b"\n")
            stdin.flush()
        except OSError:  # the process is gone
            return turn
        if self.out.wait_for(len(self.turns), time.monotonic() + timeout_seconds):
            turn.replied, line = self.out.lines[len(self.turns) - 1]
            try:
                turn.reply = json.loads(line)
            except ValueError:
                turn.reply = {"unparsed": line, "actions": [], "error": None}
        elif self.alive:
            self.hung = True
        return turn

    def rss_kb(self) -> int | None:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def cpu_seconds(self) -> float | None:
        """User and system CPU time so far (/proc/PID/stat)."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return None

    def finish(self, timeout_seconds: float = 30.0) -> int:
        """End of input: it finishes what it has and exits; ended if it does not in time."""
        self.closed_by_us = True
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.exit_code = self.process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            self.exit_code = self.children.end(self.process)
        return self.exit_code

    def tracebacks(self) -> int:
        return sum("Traceback (most recent call last)" in line for _, line in self.err.snapshot())


def ask_env(broker: Broker, state_dir: Path) -> dict[str, str]:
    """An `ask` on this broker, with its own state folder (so its audit log is its own)."""
    return clean_env(
        ASSISTANT_MQTT__HOST=HOST,
        ASSISTANT_MQTT__PORT=str(broker.port),
        ASSISTANT_STORAGE__STATE_DIR=str(state_dir),
        ASSISTANT_SAFETY__RATE_LIMIT_ACTIONS=RATE_LIMIT,
    )


class Scene:
    """What every part runs on: a broker, the observer on it, the simulated home, and the
    `ask -` processes started for the part; closed in the right order."""

    def __init__(self, children: Children, folder: Path) -> None:
        self.children, self.folder = children, folder
        self.asks: list[Ask] = []
        self.broker = Broker(children, folder)
        self.broker.start()
        self.observer = Observer(self.broker.port)
        self.observer.connect()
        env = clean_env(ASSISTANT_MQTT__HOST=HOST, ASSISTANT_MQTT__PORT=str(self.broker.port))
        self.home = Home(children, env, folder)

    def ask(self, name: str) -> Ask:
        env = ask_env(self.broker, self.folder / f"state-{name}")
        started = Ask(self.children, env, self.folder, name)
        self.asks.append(started)
        return started

    def audit(self, ask: Ask) -> list[dict[str, Any]]:
        """The audit log's lines of one `ask` process."""
        path = self.folder / f"state-{ask.name}" / "audit.jsonl"
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def close(self) -> None:
        for ask in self.asks:
            if ask.alive:
                self.children.end(ask.process)
        self.home.stop()  # before the broker: it says goodbye over it
        self.observer.drop()
        self.broker.stop()

    def __enter__(self) -> Scene:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
