"""The "hostile evening", re-run: a reliability harness for the runtime's command line.

    .venv/bin/python -m tests.reliability [--quick] [--json OUT] [--seed N] [--only PART]
                                          [--keep]

Not part of the pytest suite (the name does not start with `test_`): it takes minutes, needs
Mosquitto and the installed models, and produces figures rather than a pass/fail per case.
It prints a table and the anomalies behind any non-zero count; exit status 0 when every defect
count is zero, 1 otherwise, 130 when interrupted. `--quick` takes about 2 minutes, the full
run about 5 on the 2-core development machine.

Four parts, each against real processes (`assistant ask -`, `assistant simulate`,
`assistant once`) and a Mosquitto started here (helpers in `reliability_processes.py`, the
hostile inputs in `reliability_inputs.py`):

1. **kills**: three long-lived `ask -` processes, each owning two devices of the simulated
   home, send commands with explicit target states (on, off, a brightness) while the broker is
   SIGKILLed three times per run, at random moments, and restarted on the same port. What the
   devices really did comes from the simulator's own log (every command a device took, and
   its whole state after it), stamped with the time the broker delivered it to the harness's
   own MQTT client (subscribed to `#`, reconnected before the runtime's clients after a
   restart). A request's window runs from its sending to the sending of the next request for
   the same device; what the device took in it is compared with the reply and with the late
   confirmations logged, announced and audited afterwards.
2. **fuzz**: malformed retained discovery configs and state payloads while one `ask -` runs,
   with probe commands in between and after, lights whose command templates are hostile, a
   name made ambiguous by look-alikes, and then a freshly started `ask -` over all the retained
   junk. Hostile templates try to create files in a marker folder.
3. **stream**: a long `ask -` stream of commands and questions; every utterance must get its
   reply; resident memory (VmRSS) at 100 utterances, half way and at the end.
4. **wavs**: malformed WAV files through `assistant once --json --no-wake`: each must get its
   JSON object with an error code, with no traceback on standard error.

Every wait has a deadline; the only fixed pauses are the random gaps between commands and
between broker kills, which are the test's own pacing. The inputs are made from `--seed`; the
timing of a run, and so its figures, is not reproducible to the command, which is why every
anomaly is listed with what the device took and when.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from tests.reliability_inputs import FUZZ_BASE, WavCase, fuzz_messages, template_lamps, wav_cases
from tests.reliability_processes import (
    REPLY_SECONDS,
    STARTUP_SECONDS,
    Ask,
    Children,
    Device,
    Home,
    Observer,
    Scene,
    Seen,
    Took,
    Turn,
    assistant_command,
    clean_env,
)

TRACEBACK = "Traceback (most recent call last)"


# --- commands with explicit targets ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    state: str
    """"on" or "off"."""
    percent: int | None = None

    def words(self, name: str, rng: random.Random) -> str:
        if self.percent is not None:
            return f"set the {name} to {self.percent} percent"
        phrasing = rng.choice(["turn {s} the {n}", "switch {s} the {n}", "turn the {n} {s}"])
        return phrasing.format(s=self.state, n=name)

    def met_by(self, state: dict[str, Any], device: Device) -> bool:
        if state.get("state") != self.state:
            return False
        if self.percent is None:
            return True
        brightness = state.get("brightness")
        return (
            isinstance(brightness, int | float)
            and abs(brightness * 100 / device.scale - self.percent) <= 1
        )


def next_target(rng: random.Random, previous: Target, dimmable: bool) -> Target:
    """Never the previous target again, so that every command changes what the device does
    (unless the previous one was lost)."""
    percent = rng.choice([p for p in range(10, 100, 10) if p != previous.percent])
    if previous.state == "off":
        return Target("on", percent) if dimmable and rng.random() < 0.5 else Target("on")
    return Target("on", percent) if dimmable and rng.random() < 0.4 else Target("off")


# --- part 1: broker kills --------------------------------------------------------------------

OWNED = [
    ("kitchen_ceiling", "living_room_plug"),
    ("bedroom_lamp", "living_room_fan"),
    ("bedroom_reading_lamp", "consultation_light"),
]
"""Each `ask -` process owns two devices and is the only one to command them, so what a device
took in a request's window is that request's doing (several processes, one home)."""
KILLS_PER_RUN = 3


@dataclass
class Request:
    run: int
    process: int
    device: str
    target: Target
    warmup: bool
    turn: Turn

    @property
    def status(self) -> str:
        """done (confirmed or sent), failed (failed, unavailable, refused, or an error),
        other (no action and no error: not understood, a question back), none (no reply)."""
        reply = self.turn.reply
        if reply is None:
            return "none"
        statuses = [action.get("status") for action in reply.get("actions") or []]
        if reply.get("error") or any(s in ("failed", "unavailable", "refused") for s in statuses):
            return "failed"
        if statuses and all(s in ("confirmed", "sent") for s in statuses):
            return "done"
        return "other"

    @property
    def service(self) -> str | None:
        actions = (self.turn.reply or {}).get("actions") or []
        return str(actions[0].get("service")) if actions else None


class Progress:
    """Commands sent so far across the senders; the killer waits on it."""

    def __init__(self, senders: int) -> None:
        self.sent = 0
        self.running = senders
        self._changed = threading.Condition()

    def add(self) -> None:
        with self._changed:
            self.sent += 1
            self._changed.notify_all()

    def done(self) -> None:
        with self._changed:
            self.running -= 1
            self._changed.notify_all()

    def wait_until(self, sent: int, stop: threading.Event) -> bool:
        with self._changed:
            while self.sent < sent:
                if self.running == 0 or stop.is_set():
                    return False
                self._changed.wait(0.5)  # also re-checks `stop`, set from another thread
            return True


@dataclass(frozen=True)
class Kill:
    at: float
    up_at: float


@dataclass
class KillCounts:
    runs: int = 0
    kills: int = 0
    tried: int = 0
    done: int = 0
    failed: int = 0
    other: int = 0
    no_reply: int = 0
    lost_silently: int = 0
    duplicated: int = 0
    phantom: int = 0
    falsely_done: int = 0
    falsely_failed_corrected: int = 0
    falsely_failed_uncorrected: int = 0
    late_wrongly_claimed: int = 0
    """Late confirmations (logged, announced, audited) of a command the device never took."""
    delivered_after_failed: int = 0
    crashed: int = 0
    hung: int = 0
    tracebacks: int = 0
    late_logged: int = 0
    late_announced: int = 0
    late_audited: int = 0
    done_already: int = 0
    """Confirmed though the device took nothing, because it already was in that state."""
    observer_gaps: int = 0
    """Commands a device took whose delivery the harness's client missed (a kill fell between
    the broker's two writes); such a command is stamped when the simulator logged it."""
    not_taken: int = 0
    """Commands the broker delivered that no device took (the simulator was reconnecting)."""
    anomalies: list[dict[str, Any]] = field(default_factory=list)

    def add(self, run: KillCounts) -> None:
        for name, value in vars(run).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        self.anomalies += run.anomalies


_LATE_LOG = re.compile(r"late confirmation: (?P<entity>\S+) (?P<service>\S+):")
_ANNOUNCED = re.compile(r"announcement: (?:\[\S+\] )?The .+? after all")


def kills_part(
    children: Children, work: Path, seed: int, *, runs: int, per_process: int
) -> KillCounts:
    counts = KillCounts()
    for run in range(runs):
        print(f"  run {run + 1} of {runs}", flush=True)
        with Scene(children, work / f"kills-{run}") as scene:
            counts.add(KillRun(scene, seed, run, per_process).run())
    return counts


class KillRun:
    """One run: the processes warmed up, the commands sent while the broker is killed, then
    everything on its way waited for, and judged."""

    def __init__(self, scene: Scene, seed: int, run: int, per_process: int) -> None:
        self.scene, self.seed, self.run_index, self.per_process = scene, seed, run, per_process
        self.requests: list[Request] = []
        self.kills: list[Kill] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def sent(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    def run(self) -> KillCounts:
        asks = [self.scene.ask(f"ask-{p}") for p in range(len(OWNED))]
        try:
            plans = [self._warm_up(p, ask) for p, ask in enumerate(asks)]
            self._drive(asks, plans)
            verdict = self._settle(asks)
        finally:
            self._stop.set()
        self._write_timeline()
        return verdict

    def _warm_up(self, p: int, ask: Ask) -> list[tuple[str, Target]]:
        """Not counted: each owned device to a known state ("off"), which is also how a
        process shows it has started (its first reply); then its plan of commands."""
        devices = self.scene.home.devices
        for device_id in OWNED[p]:
            turn = ask.say(f"turn off the {devices[device_id].name.lower()}", STARTUP_SECONDS)
            if turn.reply is None:
                raise RuntimeError(f"{ask.name} did not start: {ask.err.text()[-800:]}")
            self.requests.append(Request(self.run_index, p, device_id, Target("off"), True, turn))
        rng = random.Random(f"{self.seed}-plan-{self.run_index}-{p}")
        last = dict.fromkeys(OWNED[p], Target("off"))
        plan = []
        for _ in range(self.per_process):
            device_id = rng.choice(OWNED[p])
            last[device_id] = next_target(rng, last[device_id], devices[device_id].kind == "light")
            plan.append((device_id, last[device_id]))
        return plan

    def _drive(self, asks: list[Ask], plans: list[list[tuple[str, Target]]]) -> None:
        progress = Progress(len(asks))
        total = sum(len(plan) for plan in plans)
        rng = random.Random(f"{self.seed}-kills-{self.run_index}")
        # Kills fall when the commands sent reach random points of the run, so that all of
        # them land while commands are still being sent, whatever the machine's speed.
        thresholds = sorted(
            rng.randint(max(1, total // 10), total * 85 // 100) for _ in range(KILLS_PER_RUN)
        )
        threads = [
            threading.Thread(target=self._send, args=(p, ask, plans[p], progress), daemon=True)
            for p, ask in enumerate(asks)
        ]
        threads.append(
            threading.Thread(target=self._kill, args=(rng, thresholds, progress), daemon=True)
        )
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)  # in slices, so that Ctrl-C reaches the main thread

    def _send(self, p: int, ask: Ask, plan: list[tuple[str, Target]], progress: Progress) -> None:
        rng = random.Random(f"{self.seed}-send-{self.run_index}-{p}")
        try:
            for device_id, target in plan:
                # Pacing between commands, as a person gives them; not a wait for anything.
                if self._stop.wait(rng.uniform(0.1, 0.6)) or not ask.alive or ask.hung:
                    return
                text = target.words(self.scene.home.devices[device_id].name.lower(), rng)
                progress.add()
                turn = ask.say(text)
                with self._lock:
                    self.requests.append(Request(self.run_index, p, device_id, target, False, turn))
        finally:
            progress.done()

    def _kill(self, rng: random.Random, thresholds: list[int], progress: Progress) -> None:
        broker, observer = self.scene.broker, self.scene.observer
        for threshold in thresholds:
            if not progress.wait_until(threshold, self._stop):
                return
            # The threshold is crossed as a command is sent: half the kills fall within its
            # round trip (about 10-20 ms on loopback), the others anywhere in the next 0.4 s.
            delay = rng.uniform(0.0, 0.03) if rng.random() < 0.5 else rng.uniform(0.0, 0.4)
            if self._stop.wait(delay):
                return
            at = broker.kill()
            observer.drop()
            self._stop.wait(rng.uniform(0.3, 2.5))  # down for a random while
            up_at = broker.start()
            observer.connect()
            self.kills.append(Kill(at, up_at))
            if self._stop.wait(rng.uniform(1.0, 2.5)):  # up for a while before the next kill
                return

    def _settle(self, asks: list[Ask]) -> KillCounts:
        last_event = max(
            [k.up_at for k in self.kills] + [r.turn.replied or r.turn.sent for r in self.requests]
        )
        # Everything on its way has arrived once the simulator's and the processes' logs are
        # quiet for a second.
        for lines in [self.scene.home.err, *(ask.err for ask in asks)]:
            lines.wait_quiet(1.0, time.monotonic() + 10.0)
        # A command reported failed that the device did take should be corrected by a late
        # confirmation: wait for those, up to 20 s after the last event.
        deadline = last_event + 20.0
        while Judge(self, asks).counts.falsely_failed_uncorrected and time.monotonic() < deadline:
            time.sleep(0.5)  # a late confirmation is a log line: read the logs again
        for ask in asks:
            ask.finish()
        return Judge(self, asks, audits=[self.scene.audit(ask) for ask in asks]).counts

    def _write_timeline(self) -> None:
        """What was sent and when, beside the processes' logs, for diagnosis (`--keep`)."""
        with (self.scene.folder / "timeline.jsonl").open("w") as timeline:
            for kill in self.kills:
                timeline.write(json.dumps({"kill": kill.at, "up": kill.up_at}) + "\n")
            for r in self.requests:
                line = {"process": r.process, "sent": r.turn.sent, "replied": r.turn.replied,
                        "text": r.turn.text, "status": r.status, "warmup": r.warmup}  # fmt: skip
                timeline.write(json.dumps(line) + "\n")


_LOG_LAG = 1.0
"""How long after its delivery a simulator's log line may be read, at most (in practice a
few ms; a not-taken delivery of the same command is seconds older: its request failed first)."""
_STAMP_SKEW = 0.25
"""Two threads stamp the delivery and the log line; either may run a little late."""


@dataclass(frozen=True)
class Timed:
    at: float
    took: Took
    observed: bool
    """False when the harness's client missed the delivery: `at` is then the log's time."""


class Judge:
    """One run's requests against what their devices took, and its late confirmations
    against the requests they claim to correct."""

    def __init__(
        self, run: KillRun, asks: list[Ask], audits: list[list[dict[str, Any]]] | None = None
    ) -> None:
        self.run_index, self.kills = run.run_index, list(run.kills)
        self.home = run.scene.home
        self.counts = KillCounts(runs=1, kills=len(self.kills))
        self.timed = self._timed(self.home, run.scene.observer)
        self.counts.observer_gaps = sum(not t.observed for t in self.timed)
        self.by_device: dict[str, list[Request]] = defaultdict(list)
        requests = run.sent()
        for request in sorted(requests, key=lambda r: r.turn.sent):
            self.by_device[request.device].append(request)
        self.windows = self._windows()
        self.claimed = self._claims(asks)
        for request in requests:
            self._judge(request)
        for ask in asks:
            self._judge_process(ask)
        for audit in audits or []:
            self.counts.late_audited += sum(e.get("outcome") == "confirmed-late" for e in audit)

    def _timed(self, home: Home, observer: Observer) -> list[Timed]:
        """What each device took, in order, stamped with when the broker delivered it.

        A log line of the simulator is matched to the delivery of the same command that the
        observer saw just before the line was read (within `_LOG_LAG`): a delivery seen
        earlier than that was never taken (the simulator was not connected), and one seen
        after it belongs to a later line.
        """
        delivered: dict[str, list[Seen]] = defaultdict(list)
        for seen in observer.since(0.0):
            device = home.by_command_topic.get(seen.topic)
            if device is not None:
                delivered[device].append(seen)
        took: dict[str, list[Took]] = defaultdict(list)
        for item in home.took():
            took[item.device].append(item)
        timed: list[Timed] = []
        for device in set(took) | set(delivered):
            wire, index, matched = delivered.get(device, []), 0, 0
            for item in took.get(device, []):
                key = (item.topic, item.payload)
                found = next(
                    (k for k in range(index, len(wire))
                     if item.read_at - _LOG_LAG <= wire[k].at <= item.read_at + _STAMP_SKEW
                     and (wire[k].topic, wire[k].payload.decode("utf-8", "replace")) == key),
                    None,
                )  # fmt: skip
                if found is None:
                    timed.append(Timed(item.read_at, item, False))
                    continue
                timed.append(Timed(wire[found].at, item, True))
                index, matched = found + 1, matched + 1
            self.counts.not_taken += len(wire) - matched
        return sorted(timed, key=lambda t: t.at)

    def _windows(self) -> dict[int, list[Timed]]:
        """What each request's device took between its sending and the next request's;
        anything taken outside every window, or by a device nobody commands, is a phantom."""
        windows: dict[int, list[Timed]] = defaultdict(list)
        for item in self.timed:
            earlier = [
                r for r in self.by_device.get(item.took.device, []) if r.turn.sent <= item.at
            ]
            if earlier:
                windows[id(earlier[-1])].append(item)
                continue
            self.counts.phantom += 1
            self.counts.anomalies.append({
                "run": self.run_index, "kind": "phantom", "device": item.took.device,
                "topic": item.took.topic, "payload": item.took.payload,
            })  # fmt: skip
        return windows

    def _claims(self, asks: list[Ask]) -> dict[int, float]:
        """Each late confirmation a process logged, given to the request it speaks of: that
        process's latest request reported failed on that device with that service, replied
        before it and not yet claimed (the runtime watches each failed command on its own)."""
        by_entity = {device.entity: device.id for device in self.home.devices.values()}
        claimed: dict[int, float] = {}
        for process, ask in enumerate(asks):
            for at, line in ask.err.snapshot():
                found = _LATE_LOG.search(line)
                if found is None:
                    continue
                device, service = by_entity.get(found["entity"], "?"), found["service"]
                candidates = [
                    r for r in self.by_device.get(device, [])
                    if r.process == process and r.status == "failed" and r.service == service
                    and r.turn.replied is not None and r.turn.replied <= at
                    and id(r) not in claimed
                ]  # fmt: skip
                if candidates:
                    claimed[id(candidates[-1])] = at
                    continue
                self.counts.late_wrongly_claimed += 1
                self.counts.anomalies.append({
                    "run": self.run_index, "kind": "late confirmation of no failed request",
                    "process": process, "line": line,
                })  # fmt: skip
        return claimed

    def _judge(self, request: Request) -> None:
        device = self.home.devices[request.device]
        items = self.windows.get(id(request), [])
        fits = [item for item in items if request.target.met_by(item.took.now, device)]
        before = [t for t in self.timed if t.took.device == device.id and t.at < request.turn.sent]
        final = items[-1].took.now if items else (before[-1].took.now if before else None)
        status, replied = request.status, request.turn.replied
        duplicates = sum(
            n - 1 for n in Counter((i.took.topic, i.took.payload) for i in items).values()
        )
        wrong = len(items) - len(fits)
        # 0.25 s: the tolerance between two stamps taken on two threads.
        after_failed = sum(
            status == "failed" and replied is not None and item.at > replied + 0.25 for item in fits
        )
        ends_right = final is not None and request.target.met_by(final, device)
        # Done without the device taking anything is lost, unless the device already was as
        # asked (its previous command was lost and reported failed): then the report of its
        # state after the reconnect rightly confirms it. "Other" replies (not understood, a
        # question back) say themselves that nothing was done, and are listed apart.
        lost = status == "none" or (status == "done" and not fits and not ends_right)
        already = status == "done" and not fits and ends_right
        falsely_done = status == "done" and not ends_right
        falsely_failed = status == "failed" and bool(fits)
        late_at = self.claimed.get(id(request))
        corrected = falsely_failed and late_at is not None
        wrongly_claimed = late_at is not None and not fits
        counts = self.counts
        if not request.warmup:
            counts.tried += 1
            attribute = "no_reply" if status == "none" else status
            setattr(counts, attribute, getattr(counts, attribute) + 1)
            counts.lost_silently += lost
            counts.done_already += already
            counts.falsely_done += falsely_done
            counts.falsely_failed_corrected += corrected
            counts.falsely_failed_uncorrected += falsely_failed and not corrected
        counts.late_wrongly_claimed += wrongly_claimed
        counts.duplicated += duplicates
        counts.phantom += wrong
        counts.delivered_after_failed += after_failed
        failed_text = "falsely failed, " + ("corrected late" if corrected else "uncorrected")
        checks = [
            ("confirmed-late, but the device never took this command", wrongly_claimed),
            (f"{duplicates} duplicate(s)", duplicates), (f"{wrong} not as requested", wrong),
            ("delivered after it was reported failed", after_failed), ("lost silently", lost),
            ("falsely done", falsely_done), (failed_text, falsely_failed),
            ("not acted on: " + str((request.turn.reply or {}).get("response")), status == "other"),
        ]  # fmt: skip
        problems = [text for text, present in checks if present]
        if problems:
            self._describe(
                request, items=items, before=before, final=final, problems=problems,
                late_at=late_at,
            )  # fmt: skip

    def _describe(
        self, request: Request, *, items: list[Timed], before: list[Timed],
        final: dict[str, Any] | None, problems: list[str], late_at: float | None,
    ) -> None:  # fmt: skip
        reply = request.turn.reply or {}
        actions = reply.get("actions") or [{}]
        kills_before = [request.turn.sent - k.at for k in self.kills if k.at <= request.turn.sent]
        anomaly: dict[str, Any] = {
            "run": self.run_index, "process": request.process, "text": request.turn.text,
            "warmup": request.warmup, "status": request.status,
            "reason": actions[0].get("reason") or (reply.get("error") or {}).get("message"),
            "device_took": [f"{i.took.topic} {i.took.payload}" for i in items],
            "state_before": before[-1].took.now if before else None, "state_after": final,
            "sent_after_kill_s": round(min(kills_before), 2) if kills_before else None,
            "problems": problems,
        }  # fmt: skip
        replied = request.turn.replied
        if late_at is not None and replied is not None:
            anomaly["late_confirmation_s_after_reply"] = round(late_at - replied, 1)
            # The last request for this device sent before the late confirmation: if it asked
            # for the same state, it is what the device confirmed, not this one.
            cause = [
                r for r in self.by_device[request.device]
                if request.turn.sent < r.turn.sent <= late_at
            ]  # fmt: skip
            if cause:
                anomaly["just_after"] = f"{cause[-1].turn.text!r}: {cause[-1].status}"
        self.counts.anomalies.append(anomaly)

    def _judge_process(self, ask: Ask) -> None:
        errors = ask.err.snapshot()
        counts = self.counts
        counts.tracebacks += ask.tracebacks()
        counts.hung += ask.hung
        counts.late_logged += sum(bool(_LATE_LOG.search(line)) for _, line in errors)
        counts.late_announced += sum(bool(_ANNOUNCED.search(line)) for _, line in errors)
        crashed = not ask.alive and not ask.closed_by_us
        # `ask` exits 1 when a turn had an error (a failed command is one): both are normal.
        if crashed or (ask.closed_by_us and ask.exit_code not in (0, 1)):
            counts.crashed += 1
            counts.anomalies.append({
                "run": self.run_index, "kind": "crash" if crashed else "bad exit",
                "process": ask.name, "exit": ask.process.returncode,
                "stderr": ask.err.text()[-1500:],
            })  # fmt: skip


# --- part 2: malformed retained payloads -----------------------------------------------------


@dataclass(frozen=True)
class Probe:
    text: str
    device: str | None
    """The simulated device the command must reach; None for a question."""
    target: Target | None = None
    answers: tuple[str, ...] = ()
    """The reply to a question must contain one of these."""


PROBES = [
    Probe("turn on the living room plug", "living_room_plug", Target("on")),
    Probe(
        "set the consultation room ceiling light to 40 percent",
        "consultation_light",
        Target("on", 40),
    ),
    Probe("turn off the living room plug", "living_room_plug", Target("off")),
    Probe("how warm is the nursery", None, answers=("21.5",)),
    Probe("turn off the consultation room ceiling light", "consultation_light", Target("off")),
]
"""The fuzz leaves the availability of these two devices alone (a fresh process rightly takes
a device whose only retained availability is junk as not known to be online)."""
_CONNECTION_LOST = re.compile(r"mqtt\.connection: connection to \S+ lost")
_CONNECTED_AGAIN = re.compile(r"mqtt\.connection: connected to \S+ again")
IDLE_SECONDS = 5.0
IDLE_CPU_LIMIT = 25.0
"""% of one core an `ask -` may use while idle after the fuzz before it counts as a defect
(an idle one uses about 1 %)."""
FRESH_PROBES = [
    # The nursery's retained state may be junk now, and the simulator reports again only on a
    # change: a process started now rightly has no reading, or else the real one.
    replace(p, answers=(*p.answers, "no temperature reading")) if p.answers else p
    for p in PROBES
]


@dataclass
class FuzzCounts:
    published: int = 0
    """Malformed payloads (configs and states) published, retained."""
    valid: int = 0
    """Valid fuzz configs published among them (targets for malformed updates and states)."""
    configs: int = 0
    states: int = 0
    not_acknowledged: int = 0
    crashes: int = 0
    hangs: int = 0
    wrong_device: int = 0
    unexplained_publishes: int = 0
    probes: int = 0
    probes_correct: int = 0
    lookalike_probe: str = ""
    template_lamps: dict[str, str] = field(default_factory=dict)
    escapes: int = 0
    tracebacks: int = 0
    fresh_start_seconds: float | None = None
    fresh_probes: int = 0
    fresh_probes_correct: int = 0
    connection: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per process: broker connections lost, and regained, as its log says."""
    exit_codes: dict[str, int | None] = field(default_factory=dict)
    idle_cpu_percent: dict[str, float] = field(default_factory=dict)
    """Each process's CPU time over an idle span after the fuzz, in % of one core."""
    idle_subscribes: dict[str, int] = field(default_factory=dict)
    """SUBSCRIBE packets each process sent the broker in that span (none is normal)."""
    kinds: dict[str, int] = field(default_factory=dict)
    anomalies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lamps_answered(self) -> int:
        return sum(outcome != "no reply" for outcome in self.template_lamps.values())


def fuzz_part(children: Children, work: Path, seed: int, count: int) -> FuzzCounts:
    with Scene(children, work / "fuzz") as scene:
        return FuzzRun(scene, seed, count).run()


class FuzzRun:
    def __init__(self, scene: Scene, seed: int, count: int) -> None:
        self.scene, self.seed, self.count = scene, seed, count
        self.counts = FuzzCounts()
        self.markers = scene.folder / "markers"
        self.markers.mkdir()
        self.mine: set[str] = set()
        """Topics the harness published to (the fuzz): never commands."""
        self.windows: list[tuple[float, float, set[str]]] = []
        """(start, end, command topics allowed) of each probe."""

    def run(self) -> FuzzCounts:
        counts, home = self.counts, self.scene.home
        ask = self.scene.ask("ask-fuzz")
        if ask.say("is the living room plug on", STARTUP_SECONDS).reply is None:
            raise RuntimeError(f"ask did not start: {ask.err.text()[-800:]}")
        probed = {probe.device for probe in PROBES}
        topics = [
            topic for device in home.devices.values()
            for topic in [*device.states, *([] if device.id in probed else [device.availability])]
        ]  # fmt: skip
        rng = random.Random(f"{self.seed}-fuzz")
        messages = fuzz_messages(rng, self.count, state_topics=topics, marker_dir=self.markers)
        lamps = template_lamps(self.markers)
        for lamp in lamps:
            self._publish(lamp.topic, lamp.payload)
        every = max(1, self.count // 8)
        for index, message in enumerate(messages):
            counts.published += message.kind.startswith(("config:", "state:"))
            counts.configs += message.kind.startswith("config:")
            counts.states += message.kind.startswith("state:")
            counts.valid += message.kind.startswith("valid:")
            self._publish(message.topic, message.payload)
            if index % every == every - 1:
                self._probe(ask, PROBES[(index // every) % len(PROBES)], "during")
        counts.kinds = dict(Counter(message.kind for message in messages))
        for probe in PROBES:  # afterwards: still alive, still right
            self._probe(ask, probe, "after")
        counts.lookalike_probe = self._lookalike(ask)
        for lamp in lamps:
            counts.template_lamps[lamp.name] = self._lamp(ask, lamp.name, lamp.command_topic)
        self._idle_cpu(ask)
        self._fresh()
        home.err.wait_quiet(0.5, time.monotonic() + 5.0)
        self._wrong_publishes()
        counts.escapes = sum(1 for _ in self.markers.iterdir())
        for each in self.scene.asks:
            crashed = not each.alive
            each.finish()  # end of input: a process exits 0 or 1, with no traceback
            errors = each.err.snapshot()
            counts.tracebacks += each.tracebacks()
            counts.hangs += each.hung
            counts.exit_codes[each.name] = each.exit_code
            counts.connection[each.name] = (
                sum(bool(_CONNECTION_LOST.search(line)) for _, line in errors),
                sum(bool(_CONNECTED_AGAIN.search(line)) for _, line in errors),
            )
            if crashed or each.exit_code not in (0, 1):
                counts.crashes += 1
                counts.anomalies.append({
                    "kind": "crash" if crashed else "bad exit", "process": each.name,
                    "exit": each.exit_code, "stderr": each.err.text()[-1500:],
                })  # fmt: skip
            elif each.tracebacks():  # its end says what was raised, and where
                counts.anomalies.append({"kind": "traceback", "process": each.name,
                                         "stderr": each.err.text()[-450:]})  # fmt: skip
        return counts

    def _publish(self, topic: str, payload: bytes) -> None:
        self.mine.add(topic)
        if not self.scene.observer.publish(topic, payload, retain=True):
            self.counts.not_acknowledged += 1

    def _fresh(self) -> None:
        """A process started now reads all the retained junk at once, before its first reply."""
        fresh = self.scene.ask("ask-fresh")
        started = time.monotonic()
        if fresh.say("is the living room plug on", STARTUP_SECONDS).reply is None:
            self.counts.anomalies.append({"kind": "fresh process did not answer",
                                          "stderr": fresh.err.text()[-1500:]})  # fmt: skip
            return
        self.counts.fresh_start_seconds = round(time.monotonic() - started, 1)
        for probe in FRESH_PROBES:
            self.counts.fresh_probes += 1
            self.counts.fresh_probes_correct += self._probe(fresh, probe, "fresh process")
        self._idle_cpu(fresh)

    def _idle_cpu(self, ask: Ask) -> None:
        """CPU used while nothing is asked: a process still busy with the junk (a loop, a
        flood it keeps re-reading) shows here. A measuring span, not a wait for anything."""
        broker = self.scene.broker
        subscribed = broker.subscribes(ask.process.pid)
        before, started = ask.cpu_seconds(), time.monotonic()
        time.sleep(IDLE_SECONDS)
        after = ask.cpu_seconds()
        if before is not None and after is not None:
            share = 100 * (after - before) / (time.monotonic() - started)
            self.counts.idle_cpu_percent[ask.name] = round(share, 1)
        self.counts.idle_subscribes[ask.name] = broker.subscribes(ask.process.pid) - subscribed

    def _commands_in(self, start: float, end: float) -> list[str]:
        """Topics the broker delivered in [start, end] that were commands (to a real device or
        to a fuzz entity) rather than what the harness or the simulator published."""
        return [
            seen.topic for seen in self.scene.observer.since(start)
            if seen.at <= end and self._is_command(seen.topic)
        ]  # fmt: skip

    def _is_command(self, topic: str) -> bool:
        return topic in self.scene.home.by_command_topic or (
            topic.startswith(f"{FUZZ_BASE}/") and topic not in self.mine
        )

    def _say(self, ask: Ask, text: str, allowed: set[str]) -> Turn | None:
        if not ask.alive or ask.hung:
            return None
        turn = ask.say(text, REPLY_SECONDS)
        self.windows.append((turn.sent, (turn.replied or time.monotonic()) + 0.3, allowed))
        return turn

    def _probe(self, ask: Ask, probe: Probe, when: str) -> bool:
        home = self.scene.home
        device = home.devices[probe.device] if probe.device else None
        allowed = set(device.commands) if device else set()
        self.counts.probes += when != "fresh process"
        turn = self._say(ask, probe.text, allowed)
        problems = []
        reply = turn.reply if turn else None
        if turn is None or reply is None:
            problems.append("no reply" if ask.alive else "process died")
        else:
            actions = [(a.get("entity"), a.get("status")) for a in reply.get("actions") or []]
            if device is not None:
                if actions != [(device.entity, "confirmed")]:
                    problems.append(f"actions {actions}")
                if not self._reached(probe, device, turn.sent):
                    problems.append("the device did not end in the commanded state")
            elif actions or not any(a in str(reply.get("response")) for a in probe.answers):
                problems.append(f"answer {reply.get('response')!r}")
            end = self.windows[-1][1]
            stray = [t for t in self._commands_in(turn.sent, end) if t not in allowed]
            if stray:
                problems.append(f"commands to other topics: {stray}")
        if problems:
            self.counts.anomalies.append({"kind": f"probe {when}", "text": probe.text,
                                          "problems": problems,
                                          "reply": (reply or {}).get("response")})  # fmt: skip
        elif when != "fresh process":
            self.counts.probes_correct += 1
        return not problems

    def _reached(self, probe: Probe, device: Device, since: float) -> bool:
        """The simulated device took a command after `since` and is now as commanded."""
        assert probe.target is not None
        deadline = time.monotonic() + 5.0
        while True:
            took = [
                t for t in self.scene.home.took() if t.device == device.id and t.read_at > since
            ]
            if took and probe.target.met_by(took[-1].now, device):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)  # the simulator's log line may be a moment behind the reply

    def _lookalike(self, ask: Ask) -> str:
        """ "Turn on the kitchen ceiling light" while look-alike names may exist: acting on
        the real light, or asking which one, are both right; commanding another is wrong (and
        counted as a wrong-device action from the observer's view)."""
        allowed = set(self.scene.home.devices["kitchen_ceiling"].commands)
        turn = self._say(ask, "turn on the kitchen ceiling light", allowed)
        if turn is None or turn.reply is None:
            self.counts.anomalies.append({"kind": "look-alike probe: no reply"})
            return "no reply"
        actions = [(a.get("entity"), a.get("status")) for a in turn.reply.get("actions") or []]
        if actions == [("light.kitchen_ceiling_light", "confirmed")]:
            return "acted on the real light"
        if not actions:
            return f"asked {turn.reply.get('response')!r}"
        self.counts.anomalies.append({"kind": "look-alike probe", "actions": actions})
        return f"actions {actions}"

    def _lamp(self, ask: Ask, name: str, command_topic: str) -> str:
        """Turning on a light whose command template is hostile renders it: any answer will
        do, so long as one comes, nothing escapes, and no other device is commanded."""
        turn = self._say(ask, f"turn on the {name.lower()}", {command_topic})
        if turn is None or turn.reply is None:
            return "no reply"
        actions = turn.reply.get("actions") or []
        if not actions:
            return f"no action: {turn.reply.get('response')!r}"
        return f"{actions[0].get('status')}: {actions[0].get('reason')!r}"

    def _wrong_publishes(self) -> None:
        """Every command outside a probe's window, or inside one to another device, is a
        wrong-device action; a publish on a topic nobody here uses is counted too."""
        home = self.scene.home
        known = {t for d in home.devices.values() for t in (*d.states, d.availability)}
        for seen in self.scene.observer.since(0.0):
            if self._is_command(seen.topic):
                if not any(a <= seen.at <= b and seen.topic in ok for a, b, ok in self.windows):
                    self.counts.wrong_device += 1
                    self.counts.anomalies.append({
                        "kind": "wrong-device action", "topic": seen.topic,
                        "payload": seen.payload[:200].decode("utf-8", "replace"),
                    })  # fmt: skip
            elif not (
                seen.topic in self.mine or seen.topic in known
                or seen.topic.startswith(("homeassistant/", "assistant-sim/"))
            ):  # fmt: skip
                self.counts.unexplained_publishes += 1
                self.counts.anomalies.append({"kind": "unexpected topic", "topic": seen.topic})


# --- part 3: a long stream -------------------------------------------------------------------


def stream_utterances(rng: random.Random, count: int) -> list[str]:
    """Commands on every kind of device, questions, follow-ups, small talk and requests only
    the language model reads; about a third of them act on a device."""
    lights = ["kitchen ceiling light", "bedroom lamp", "bedroom reading lamp",
              "consultation room ceiling light"]  # fmt: skip
    makers: list[Callable[[], str]] = [
        lambda: f"turn on the {rng.choice(lights)}",
        lambda: f"turn off the {rng.choice(lights)}",
        lambda: f"set the {rng.choice(lights)} to {rng.randrange(10, 100, 10)} percent",
        lambda: f"switch {rng.choice(['on', 'off'])} the living room plug",
        lambda: f"turn {rng.choice(['on', 'off'])} the living room fan",
        lambda: f"set the hallway thermostat to {rng.choice([18, 19, 20, 21, 22])} degrees",
        lambda: f"{rng.choice(['open', 'close'])} the living room blinds",
        lambda: "what time is it",
        lambda: f"is the {rng.choice(lights)} on",
        lambda: "how warm is the nursery",
        lambda: "what is the temperature of the medicine fridge",
        lambda: "is the front door open",
        lambda: "turn it off",
        lambda: "thank you",
        lambda: "what can you do",
        lambda: rng.choice(["tell me a joke", "what's the capital of France",
                            "I fancy a cup of tea", "it's a bit dark in here"]),
    ]  # fmt: skip
    return [rng.choice(makers)() for _ in range(count)]


@dataclass
class StreamCounts:
    sent: int = 0
    answered: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    not_understood: int = 0
    rss_mb: dict[int, float] = field(default_factory=dict)
    turn_ms_p50: float | None = None
    turn_ms_p95: float | None = None
    alive_at_end: bool = False
    tracebacks: int = 0


def stream_part(children: Children, work: Path, seed: int, count: int) -> StreamCounts:
    counts = StreamCounts()
    with Scene(children, work / "stream") as scene:
        ask = scene.ask("ask-stream")
        if ask.say("what time is it", STARTUP_SECONDS).reply is None:
            raise RuntimeError(f"ask did not start: {ask.err.text()[-800:]}")
        checkpoints = {100, count // 2, count}
        durations = []
        for index, text in enumerate(stream_utterances(random.Random(f"{seed}-stream"), count), 1):
            turn = ask.say(text)
            counts.sent += 1
            if turn.reply is None or turn.replied is None:
                break
            counts.answered += 1
            durations.append((turn.replied - turn.sent) * 1000)
            error = turn.reply.get("error")
            if error:
                code = str(error.get("code"))
                counts.errors[code] = counts.errors.get(code, 0) + 1
            counts.not_understood += "didn't understand" in str(turn.reply.get("response"))
            rss = ask.rss_kb() if index in checkpoints else None
            if rss is not None:
                counts.rss_mb[index] = round(rss / 1024, 1)
        if len(durations) > 1:
            counts.turn_ms_p50 = round(statistics.median(durations), 1)
            counts.turn_ms_p95 = round(statistics.quantiles(durations, n=20)[18], 1)
        counts.alive_at_end = ask.alive
        ask.finish()
        counts.tracebacks = ask.tracebacks()
    return counts


# --- part 4: malformed WAVs ------------------------------------------------------------------


@dataclass
class WavCounts:
    files: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None
    tracebacks: int = 0

    @property
    def with_code(self) -> int:
        return sum(file["code"] is not None for file in self.files)

    @property
    def as_expected(self) -> int:
        return sum(file["as_expected"] for file in self.files)


def wav_part(children: Children, work: Path, seed: int) -> WavCounts:
    """All files through one `once` (the models load once); a file the batch never answered
    (it died or hung first) is run alone, so that each file gets its own verdict."""
    folder = work / "wavs"
    folder.mkdir(parents=True)
    cases = wav_cases(random.Random(f"{seed}-wavs"))
    for case in cases:
        case.write(folder / case.name)
    counts = WavCounts()
    objects, counts.exit_code, stderr = _once(children, folder, [c.name for c in cases], 600.0)
    counts.tracebacks = stderr.count(TRACEBACK)
    for case in cases:
        found = objects.get(case.name)
        if found is None:
            alone, _, alone_err = _once(children, folder, [case.name], 300.0)
            counts.tracebacks += alone_err.count(TRACEBACK)
            found = alone.get(case.name)
        counts.files.append(_wav_verdict(case, found))
    return counts


def _once(
    children: Children, folder: Path, names: list[str], timeout: float
) -> tuple[dict[str, dict[str, Any]], int | None, str]:
    """`assistant once --json --no-wake` with no broker configured: the JSON objects by input,
    the exit code (None if it had to be ended) and standard error."""
    process = children.start(
        [*assistant_command(), "once", "--json", "--no-wake", *names], env=clean_env(), cwd=folder
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        children.end(process)
        return {}, None, "timed out"
    children.end(process)
    objects = {}
    for line in out.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(ValueError):
            data = json.loads(line)
            if isinstance(data, dict):
                objects[str(data.get("input"))] = data
    return objects, process.returncode, err.decode("utf-8", "replace")


def _wav_verdict(case: WavCase, found: dict[str, Any] | None) -> dict[str, Any]:
    error = (found or {}).get("error") or {}
    code = error.get("code")
    right = code is not None and case.expected in ("any", code)
    return {"file": case.name, "expected": case.expected, "code": code,
            "message": error.get("message"), "as_expected": right}  # fmt: skip


# --- the report ------------------------------------------------------------------------------

_KILL_DEFECTS = (
    "no_reply", "lost_silently", "duplicated", "phantom", "falsely_done",
    "falsely_failed_uncorrected", "late_wrongly_claimed", "delivered_after_failed", "crashed",
    "hung", "tracebacks",
)  # fmt: skip
_FUZZ_DEFECTS = ("crashes", "hangs", "wrong_device", "unexplained_publishes", "escapes")


def failures(results: dict[str, Any]) -> list[str]:
    """Every non-zero defect count, by name: the verdict line and the exit status."""
    failed = []
    kills: KillCounts | None = results.get("kills")
    if kills is not None:
        failed += [f"kills.{name}" for name in _KILL_DEFECTS if getattr(kills, name)]
    fuzz: FuzzCounts | None = results.get("fuzz")
    if fuzz is not None:
        failed += [f"fuzz.{name}" for name in _FUZZ_DEFECTS if getattr(fuzz, name)]
        if fuzz.tracebacks:
            failed.append("fuzz.tracebacks")
        if fuzz.probes_correct < fuzz.probes:
            failed.append("fuzz.probes")
        if fuzz.fresh_start_seconds is None or fuzz.fresh_probes_correct < fuzz.fresh_probes:
            failed.append("fuzz.fresh_process")
        if fuzz.lamps_answered < len(fuzz.template_lamps):
            failed.append("fuzz.template_lamps")
        if any(share > IDLE_CPU_LIMIT for share in fuzz.idle_cpu_percent.values()) or any(
            fuzz.idle_subscribes.values()
        ):
            failed.append("fuzz.busy_when_idle")
    stream: StreamCounts | None = results.get("stream")
    if stream is not None and (stream.answered < stream.sent or not stream.alive_at_end):
        failed.append("stream.unanswered")
    if stream is not None and stream.tracebacks:
        failed.append("stream.tracebacks")
    wavs: WavCounts | None = results.get("wavs")
    if wavs is not None:
        if wavs.with_code < len(wavs.files):
            failed.append("wavs.no_error_code")
        if wavs.tracebacks:
            failed.append("wavs.tracebacks")
    return failed


def _kill_rows(k: KillCounts) -> list[tuple[str, str, str]]:
    return [
        ("broker kills", "runs x ask processes; broker SIGKILLs",
         f"{k.runs} x {len(OWNED)}; {k.kills}"),
        ("", "commands tried", str(k.tried)),
        ("", "replies done / failed / other / none",
         f"{k.done} / {k.failed} / {k.other} / {k.no_reply}"),
        ("", "lost silently", str(k.lost_silently)),
        ("", "done though not delivered: the device already was so", str(k.done_already)),
        ("", "duplicated (one request, same command twice)", str(k.duplicated)),
        ("", "phantom (nobody asked, or not what was asked)", str(k.phantom)),
        ("", "falsely done", str(k.falsely_done)),
        ("", "falsely failed: corrected late / uncorrected",
         f"{k.falsely_failed_corrected} / {k.falsely_failed_uncorrected}"),
        ("", "confirmed-late, but the device never took it", str(k.late_wrongly_claimed)),
        ("", "delivered after reported failed", str(k.delivered_after_failed)),
        ("", "late confirmations logged / announced / audited",
         f"{k.late_logged} / {k.late_announced} / {k.late_audited}"),
        ("", "ask crashed / hung; tracebacks", f"{k.crashed} / {k.hung}; {k.tracebacks}"),
        ("", "harness: observer gaps / deliveries no device took",
         f"{k.observer_gaps} / {k.not_taken}"),
    ]  # fmt: skip


def _fuzz_rows(f: FuzzCounts) -> list[tuple[str, str, str]]:
    fresh = (
        f"{f.fresh_start_seconds} s; {f.fresh_probes_correct} / {f.fresh_probes}"
        if f.fresh_start_seconds is not None
        else "did not start"
    )
    return [
        ("fuzz", "malformed retained payloads (configs / states); valid",
         f"{f.published} ({f.configs} / {f.states}); {f.valid}"),
        ("", "crashes / hangs / wrong-device actions",
         f"{f.crashes} / {f.hangs} / {f.wrong_device}"),
        ("", "probe commands right, during and after", f"{f.probes_correct} / {f.probes}"),
        ("", "'kitchen ceiling light' beside look-alikes", f.lookalike_probe),
        ("", "hostile command templates answered",
         f"{f.lamps_answered} / {len(f.template_lamps)}"),
        ("", "sandbox escapes (marker files); tracebacks", f"{f.escapes}; {f.tracebacks}"),
        ("", "long-lived / fresh: broker connection lost, regained; exit code",
         " / ".join(f"{lost}, {back}; {f.exit_codes.get(name)}"
                    for name, (lost, back) in f.connection.items())),
        ("", "fresh process over the junk: first reply; probes right", fresh),
        ("", f"idle {IDLE_SECONDS:.0f} s after, long-lived / fresh: CPU; SUBSCRIBEs",
         " / ".join(f"{share:.0f} %" for share in f.idle_cpu_percent.values()) + "; "
         + " / ".join(str(n) for n in f.idle_subscribes.values())),
    ]  # fmt: skip


def _stream_rows(s: StreamCounts) -> list[tuple[str, str, str]]:
    marks = sorted(s.rss_mb)
    rss = " / ".join(f"{s.rss_mb[m]:.1f}" for m in marks)
    growth = s.rss_mb[marks[-1]] - s.rss_mb[marks[0]] if marks else 0.0
    errors = f"{sum(s.errors.values())} {s.errors}" if s.errors else "0"
    return [
        ("long stream", "utterances answered", f"{s.answered} / {s.sent}"),
        ("", f"RSS MB at {' / '.join(map(str, marks))}", f"{rss} ({growth:+.1f})"),
        ("", "turn ms p50 / p95", f"{s.turn_ms_p50} / {s.turn_ms_p95}"),
        ("", "errors; 'didn't understand'", f"{errors}; {s.not_understood}"),
    ]


def _wav_rows(w: WavCounts) -> list[tuple[str, str, str]]:
    codes = Counter(str(file["code"]) for file in w.files)
    return [
        ("malformed WAVs", "files with a JSON error code", f"{w.with_code} / {len(w.files)}"),
        ("", "codes", ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))),
        ("", "code as expected", f"{w.as_expected} / {len(w.files)}"),
        ("", "tracebacks on stderr; exit code", f"{w.tracebacks}; {w.exit_code}"),
    ]


def table(results: dict[str, Any], mode: str, seed: int, seconds: float) -> str:
    rows: list[tuple[str, str, str]] = []
    for part, make in (("kills", _kill_rows), ("fuzz", _fuzz_rows), ("stream", _stream_rows),
                       ("wavs", _wav_rows)):  # fmt: skip
        if part in results:
            rows += make(results[part])
    width = [max((len(row[i]) for row in rows), default=0) for i in range(2)]
    minutes, rest = divmod(round(seconds), 60)
    lines = [f"Reliability harness: {mode} run, seed {seed}, {minutes} min {rest:02d} s", ""]
    lines += [f"{a:<{width[0]}}  {b:<{width[1]}}  {c}" for a, b, c in rows]
    failed = failures(results)
    lines += ["", "verdict: " + (", ".join(failed) if failed else "no defect counted")]
    return "\n".join(lines)


def details(results: dict[str, Any]) -> str:
    """Per-file WAV codes, the hostile templates' outcomes and the anomalies behind any
    non-zero count."""
    lines = []
    wavs: WavCounts | None = results.get("wavs")
    if wavs is not None:
        lines.append("\nWAV files: expected, code")
        for file in wavs.files:
            mark = "" if file["as_expected"] else "   <-- not as expected"
            lines.append(f"  {file['file']:<32} {file['expected']:<14} {file['code']}{mark}")
    fuzz: FuzzCounts | None = results.get("fuzz")
    if fuzz is not None:
        lines.append("\nHostile command templates:")
        lines += [f"  {name}: {outcome[:150]}" for name, outcome in fuzz.template_lamps.items()]
    for part in ("kills", "fuzz"):
        anomalies = getattr(results.get(part), "anomalies", [])
        if anomalies:
            lines.append(f"\n{part}: {len(anomalies)} anomalies (the first 25):")
            lines += [f"  {json.dumps(a, ensure_ascii=False)[:700]}" for a in anomalies[:25]]
    return "\n".join(lines)


def as_json(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        data = {key: as_json(item) for key, item in vars(value).items()}
        for name in ("with_code", "as_expected", "lamps_answered"):
            if hasattr(type(value), name):
                data[name] = getattr(value, name)
        return data
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value


# --- main ------------------------------------------------------------------------------------

PARTS = ("kills", "fuzz", "stream", "wavs")


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run like Ctrl-C: through the cleanup, never around it.
    SIGINT too, even where it was inherited ignored (a job started with `&` by a script)."""
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, _interrupted) for s in stopping}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_parts(children: Children, work: Path, parts: list[str], *, quick: bool, seed: int
              ) -> dict[str, Any]:  # fmt: skip
    results: dict[str, Any] = {}
    if "kills" in parts:
        print("part 1: broker kills", flush=True)
        results["kills"] = kills_part(
            children, work, seed, runs=1 if quick else 3, per_process=8 if quick else 24
        )
    if "fuzz" in parts:
        print("part 2: malformed retained payloads", flush=True)
        results["fuzz"] = fuzz_part(children, work, seed, 120 if quick else 480)
    if "stream" in parts:
        print("part 3: one long ask - stream", flush=True)
        results["stream"] = stream_part(children, work, seed, 200 if quick else 1000)
    if "wavs" in parts:
        print("part 4: malformed WAVs", flush=True)
        results["wavs"] = wav_part(children, work, seed)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a small version (about 2 min)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every figure as JSON")
    parser.add_argument("--seed", type=int, default=1, help="makes the inputs (default 1)")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    work = Path(tempfile.mkdtemp(prefix="assistant-reliability-"))
    children = Children()
    started = time.monotonic()
    try:
        with _stopping_on_signals():
            results = run_parts(
                children, work, args.only or list(PARTS), quick=args.quick, seed=args.seed
            )
    except KeyboardInterrupt:
        print("\ninterrupted: every process started here has been ended", file=sys.stderr)
        return 130
    finally:
        children.end_all()
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - started
    print()
    print(table(results, mode, args.seed, seconds))
    print(details(results))
    if args.json is not None:
        document = {"mode": mode, "seed": args.seed, "seconds": round(seconds, 1),
                    "failures": failures(results), **as_json(results)}  # fmt: skip
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
