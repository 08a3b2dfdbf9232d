"""`assistant bench`: the live loop timed, turn by turn, on this machine.

Spoken commands synthesized with Piper are played into a virtual sound card in real time; the
live loop (the same code as `assistant run`) hears them, acts on the simulated home (or the
configured broker) and replies. End-to-end latency is measured at the card, from the moment
the last voiced sample of the spoken command reached the capture callback to the first audible
sample of the reply at the playback callback, so it includes the endpoint's wait for silence,
every stage and the audio buffers. The per-stage figures come from the turns' events.

Every command is said twice in the same run, pair by pair: as configured, and as the baseline
(early commit off, Whisper padded to 30 s), so the ratio compares like with like on the same
machine at the same moment. A false cut-off is an early commit decided before the command's
last voiced sample had been heard. After the turns, the loop only listens for the wake word
for `--idle-seconds`, and the process's CPU time over that span is the idle figure.
`--json` ends the output with one JSON object on its last line (the README's contract).

`--satellite` says every command a third time, to a satellite of this runtime over loopback
(`bench_satellite`): from the last voiced sample at the satellite's microphone to the first
reply sample at its speaker, beside the single board's figure for the same command.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ
from assistant.cli.bench_satellite import satellite_on_loopback
from assistant.cli.demo import demo_home
from assistant.config import Settings
from assistant.engines import EngineName
from assistant.live.loop import LiveAssistant
from assistant.live.virtual_card import VirtualSoundCard
from assistant.pipeline.assembly import Assembled, assemble
from assistant.pipeline.events import (
    ActionsTaken,
    Event,
    IntentMatched,
    SpeakingStarted,
    SpeechEnded,
    Transcript,
)
from assistant.stt.faster_whisper import FasterWhisper

COMMANDS = [
    "turn on the kitchen light",
    "what time is it",
    "set the bedroom lamp to 40 percent",
    "turn off the kitchen light",
    "close the living room blinds",
    "what's the temperature in the nursery",
    "turn on the living room fan",
    "set the hallway thermostat to 21 degrees",
    "is the front door locked",
    "turn off the living room fan",
]
_TURN_TIMEOUT_SECONDS = 30.0
_STAGES = ("endpoint wait", "stt", "understand", "act", "tts first audio")
_VOICED = 0.02


def _resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


class PeakMemory:
    """The process's peak resident memory over chosen spans, not over its whole life: the
    baseline's padded encoder briefly holds activations for 30 s of audio (about 60 MB more)
    that the configured runtime never needs. Linux resets the peak when 5 is written to
    /proc/self/clear_refs; where that is refused, the peak is the process's lifetime one."""

    def __init__(self) -> None:
        self.resettable = True

    def reset(self) -> None:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            self.resettable = False

    def peak_mb(self) -> float:
        if self.resettable:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentiles(values: list[float]) -> str:
    summary = _summary(values)
    if summary["p50"] is None or summary["p95"] is None:
        return f"{'–':>7} {'–':>7}"
    return f"{summary['p50']:7.0f} {summary['p95']:7.0f}"


class StageTimes:
    """Per-stage durations collected from the turns' events, and when each turn's end of
    speech was decided."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = defaultdict(list)
        self.last_end: tuple[str, float] | None = None
        """(reason, time.monotonic()) of the latest end of speech."""

    def __call__(self, event: Event) -> None:
        if isinstance(event, SpeechEnded):
            self.last_end = (event.reason, time.monotonic())
            wait_ms = (event.endpoint_seconds - event.speech_end_seconds) * 1000
            self.values["endpoint wait"].append(wait_ms)
        elif isinstance(event, Transcript):
            self.values["stt"].append(event.elapsed_ms)
        elif isinstance(event, IntentMatched):
            self.values["understand"].append(event.elapsed_ms)
        elif isinstance(event, ActionsTaken):
            self.values["act"].append(event.elapsed_ms)
        elif isinstance(event, SpeakingStarted):
            self.values["tts first audio"].append(event.first_audio_ms)


@dataclass
class Mode:
    """One way of running the loop: as configured, or the baseline."""

    latencies_ms: list[float] = field(default_factory=list)
    stages: StageTimes = field(default_factory=StageTimes)
    early_commits: int = 0
    false_cutoffs: int = 0
    peak_mb: float = 0.0
    """Peak resident memory over this mode's turns (`PeakMemory`)."""


def _voiced_seconds(speech: np.ndarray) -> float:
    """The speech's length up to its last voiced sample (Piper ends with a little silence)."""
    voiced = np.flatnonzero(np.abs(speech) > _VOICED)
    return (voiced[-1] + 1) / SAMPLE_RATE_HZ if len(voiced) else 0.0


@dataclass
class Board:
    """Where a command is said and its reply heard: the single board, or a satellite."""

    card: VirtualSoundCard
    turns: Callable[[], int]
    """Turns answered so far."""
    drained: Callable[[], Awaitable[None]]
    """Until its speaker has played everything queued."""


async def _timed_turn(
    board: Board, spoken: np.ndarray, mode: Mode, memory: PeakMemory
) -> float | None:
    """Say one command; milliseconds from its last voiced sample to the first reply sample."""
    lead_seconds = 0.3
    silence = np.zeros(int(lead_seconds * SAMPLE_RATE_HZ), dtype=np.float32)
    card = board.card
    before = board.turns()
    mode.stages.last_end = None
    memory.reset()
    start = card.say(np.concatenate([silence, spoken, silence, silence, silence]), SAMPLE_RATE_HZ)
    deadline = time.monotonic() + _TURN_TIMEOUT_SECONDS
    while board.turns() == before and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await board.drained()
    await asyncio.sleep(0.5)
    mode.peak_mb = max(mode.peak_mb, memory.peak_mb())
    spoken_end = card.delivered_at(start + lead_seconds + _voiced_seconds(spoken))
    if spoken_end is not None and mode.stages.last_end is not None:
        reason, decided_at = mode.stages.last_end
        mode.early_commits += reason == "early"
        mode.false_cutoffs += reason == "early" and decided_at < spoken_end
    reply = card.first_sound_after(spoken_end) if spoken_end is not None else None
    return None if spoken_end is None or reply is None else (reply - spoken_end) * 1000


def _switch(assembled: Assembled, *, baseline: bool, settings: Settings) -> None:
    """Early commit and unpadded Whisper as configured, or both off (the baseline)."""
    assembled.turns.early_commit = settings.vad.early_commit and not baseline
    stt = assembled.engines.stt
    if isinstance(stt, FasterWhisper):
        stt.pad_to_30_seconds = settings.stt.pad_to_30_seconds or baseline


async def _idle_cpu_percent(seconds: float) -> float:
    """This process's CPU time while the loop only listens, as a percentage of one core."""
    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    return 100 * (time.process_time() - cpu) / (time.monotonic() - wall)


async def run_bench(
    settings: Settings, turns: int, *, idle_seconds: float, as_json: bool, satellite: bool = False
) -> int:
    modes = {False: Mode(), True: Mode()}  # keyed by "is the baseline"
    remote = Mode() if satellite else None  # the satellite's
    engines: tuple[EngineName, ...] = ("wake", "vad", "stt", "tts")
    if settings.understanding.model:
        engines += ("llm",)
    memory = PeakMemory()
    async with (
        demo_home(settings) as home,
        assemble(settings, engines=engines, home=home, role="bench") as assembled,
    ):
        card = VirtualSoundCard()
        assistant = LiveAssistant(assembled, settings, card)
        single = Board(card, lambda: assistant.stats.turns, assistant.speaker.drained)
        stop = asyncio.Event()
        task = asyncio.create_task(assistant.run(stop))
        while not assistant.listening_for_wake.is_set():
            await asyncio.sleep(0.05)
        async with contextlib.AsyncExitStack() as stack:
            far = None
            if remote is not None:
                sat = await stack.enter_async_context(satellite_on_loopback(assembled, settings))
                far = Board(sat.card, sat.turns, sat.satellite.station.speaker.drained)
            run = _Run(assembled, settings, memory, modes, single, far, remote)
            await run.turns(turns)
        # The satellite has stopped: the idle figure is the single board's alone.
        print(f"\nlistening only for the wake word for {idle_seconds:.0f} s …")
        memory.reset()
        idle_cpu = await _idle_cpu_percent(idle_seconds)
        stop.set()
        await task
    configured, base = modes[False], modes[True]
    peak_mb = max(configured.peak_mb, memory.peak_mb())  # the turns as configured, and idle
    _print_table(modes, run.pairs, remote, run.gaps_ms)
    span = "" if memory.resettable else " over the whole run, baseline included"
    print(f"\nfalse cut-offs: {configured.false_cutoffs} of {configured.early_commits} early "
          f"commits; peak resident memory {peak_mb:.0f} MB as configured{span} (this process, "
          f"models included; baseline {base.peak_mb:.0f} MB); idle CPU {idle_cpu:.1f} % of one "
          f"core over {idle_seconds:.0f} s")  # fmt: skip
    if as_json:
        print(json.dumps(_report(run, turns, peak_mb=peak_mb, idle_cpu=idle_cpu)))
    replied = [len(mode.latencies_ms) for mode in (configured, base, remote) if mode is not None]
    return 0 if all(count == turns for count in replied) else 1


@dataclass
class _Run:
    """The turns of one bench run: each command said as configured, as the baseline, and to
    the satellite when there is one."""

    assembled: Assembled
    settings: Settings
    memory: PeakMemory
    modes: dict[bool, Mode]
    single: Board
    far: Board | None
    remote: Mode | None
    pairs: list[tuple[float, float]] = field(default_factory=list)
    """(as configured, baseline) milliseconds of each command measured both ways."""
    gaps_ms: list[float] = field(default_factory=list)
    """The satellite's latency less the single board's, command by command, once both had
    said the reply before (from the second round of commands on): the satellite always
    comes after the single board, whose reply it would otherwise find already made."""

    async def turns(self, count: int) -> None:
        extra = f" {'satellite':>9}" if self.far else ""
        print(f"{'turn':>6} {'ms':>7} {'baseline':>9}{extra} {'ratio':>6} {'MB':>6}  command")
        for index in range(count):
            command = COMMANDS[index % len(COMMANDS)]
            speech = self.assembled.engines.tts.speak_all(
                f"Hey Jarvis, {command}.", sample_rate_hz=SAMPLE_RATE_HZ
            ).audio
            measured: dict[bool, float | None] = {}
            for baseline, mode in self.modes.items():
                _switch(self.assembled, baseline=baseline, settings=self.settings)
                measured[baseline] = await self._measured(self.single, speech, mode)
            _switch(self.assembled, baseline=False, settings=self.settings)
            beside, now, then = "", measured[False], measured[True]
            if self.far is not None and self.remote is not None:
                far_ms = await self._measured(self.far, speech, self.remote)
                beside = f" {_ms(far_ms):>9}"
                if far_ms is not None and now is not None and index >= len(COMMANDS):
                    self.gaps_ms.append(far_ms - now)
            if now is not None and then is not None:
                self.pairs.append((now, then))
            ratio = f"{then / now:5.1f}x" if now and then else "     –"
            print(f"{index + 1:6d} {_ms(now)} {_ms(then):>9}{beside} {ratio} "
                  f"{_resident_mb():6.0f}  {command}")  # fmt: skip

    async def _measured(self, board: Board, spoken: np.ndarray, mode: Mode) -> float | None:
        """One command timed on `board`, its stages counted in `mode`."""
        unsubscribe = self.assembled.turns.bus.subscribe(mode.stages)
        try:
            latency_ms = await _timed_turn(board, spoken, mode, self.memory)
        finally:
            unsubscribe()
        if latency_ms is not None:
            mode.latencies_ms.append(latency_ms)
        return latency_ms


def _report(run: _Run, turns: int, *, peak_mb: float, idle_cpu: float) -> dict[str, object]:
    """The JSON object of `--json` (the README's contract)."""
    configured, base, remote = run.modes[False], run.modes[True], run.remote
    report: dict[str, object] = {
        "turns": turns,
        "end_to_end_ms": _summary(configured.latencies_ms),
        "baseline_end_to_end_ms": _summary(base.latencies_ms),
        "false_cutoffs": configured.false_cutoffs,
        "peak_rss_mb": round(peak_mb, 1),
        "idle_cpu_percent": round(idle_cpu, 2),
        "stages_ms": _stages(configured),
        "baseline_stages_ms": _stages(base),
        "early_commits": configured.early_commits,
        "replied": len(configured.latencies_ms),
    }
    if remote is not None:
        report["satellite_end_to_end_ms"] = _summary(remote.latencies_ms)
        report["satellite_stages_ms"] = _stages(remote)
        report["satellite_minus_single_ms"] = _summary(run.gaps_ms)
        report["satellite_replied"] = len(remote.latencies_ms)
    return report


def _stages(mode: Mode) -> dict[str, dict[str, float | None]]:
    return {stage: _summary(values) for stage, values in mode.stages.values.items()}


def _print_table(
    modes: dict[bool, Mode], pairs: list[tuple[float, float]], satellite: Mode | None,
    gaps_ms: list[float],
) -> None:  # fmt: skip
    configured, baseline = modes[False], modes[True]
    far = f"   {'satellite':>15}" if satellite else ""
    print(f"\n{'stage':<28} {'p50 ms':>7} {'p95 ms':>7}   {'baseline':>15}{far}")
    rows: list[tuple[str, str | None]] = [("end of speech → reply", None)]
    rows += [(f"  {stage}", stage) for stage in _STAGES]
    for label, stage in rows:
        beside = f"   {_percentiles(_values(satellite, stage))}" if satellite else ""
        print(f"{label:<28} {_percentiles(_values(configured, stage))}   "
              f"{_percentiles(_values(baseline, stage))}{beside}")  # fmt: skip
    if pairs:
        ratios = sorted(then / now for now, then in pairs)
        print(f"\nbaseline ÷ as configured, pair by pair: median {statistics.median(ratios):.2f}x, "
              f"lowest {ratios[0]:.2f}x, highest {ratios[-1]:.2f}x")  # fmt: skip
    if satellite is not None:
        gap = _summary(gaps_ms)
        said = (f"median {gap['p50']:+.0f} ms, p95 {gap['p95']:+.0f} ms" if gaps_ms
                else "no command said twice yet")  # fmt: skip
        print(f"satellite − single board, command by command, once both had said the reply "
              f"before: {said}")  # fmt: skip


def _values(mode: Mode, stage: str | None) -> list[float]:
    """A stage's durations, or (None) the end-to-end latencies."""
    return mode.latencies_ms if stage is None else mode.stages.values[stage]


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1)}


def _ms(value: float | None) -> str:
    return f"{value:7.0f}" if value is not None else "      –"
