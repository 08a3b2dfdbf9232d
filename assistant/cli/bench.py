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
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ
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


async def _timed_turn(
    assistant: LiveAssistant, card: VirtualSoundCard, spoken: np.ndarray, mode: Mode,
    memory: PeakMemory,
) -> float | None:  # fmt: skip
    """Say one command; milliseconds from its last voiced sample to the first reply sample."""
    lead_seconds = 0.3
    silence = np.zeros(int(lead_seconds * SAMPLE_RATE_HZ), dtype=np.float32)
    before = assistant.stats.turns
    mode.stages.last_end = None
    memory.reset()
    start = card.say(np.concatenate([silence, spoken, silence, silence, silence]), SAMPLE_RATE_HZ)
    deadline = time.monotonic() + _TURN_TIMEOUT_SECONDS
    while assistant.stats.turns == before and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await assistant.speaker.drained()
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


async def run_bench(settings: Settings, turns: int, *, idle_seconds: float, as_json: bool) -> int:
    modes = {False: Mode(), True: Mode()}  # keyed by "is the baseline"
    engines: tuple[EngineName, ...] = ("wake", "vad", "stt", "tts")
    if settings.understanding.model:
        engines += ("llm",)
    pairs: list[tuple[float, float]] = []
    memory = PeakMemory()
    async with (
        demo_home(settings) as home,
        assemble(settings, engines=engines, home=home, role="bench") as assembled,
    ):
        card = VirtualSoundCard()
        assistant = LiveAssistant(assembled, settings, card)
        stop = asyncio.Event()
        task = asyncio.create_task(assistant.run(stop))
        while not assistant.listening_for_wake.is_set():
            await asyncio.sleep(0.05)
        print(f"{'turn':>6} {'ms':>7} {'baseline':>9} {'ratio':>6} {'MB':>6}  command")
        for index in range(turns):
            command = COMMANDS[index % len(COMMANDS)]
            speech = assembled.engines.tts.speak_all(
                f"Hey Jarvis, {command}.", sample_rate_hz=SAMPLE_RATE_HZ
            )
            measured: dict[bool, float | None] = {}
            for baseline, mode in modes.items():
                _switch(assembled, baseline=baseline, settings=settings)
                unsubscribe = assembled.turns.bus.subscribe(mode.stages)
                try:
                    measured[baseline] = await _timed_turn(
                        assistant, card, speech.audio, mode, memory
                    )
                finally:
                    unsubscribe()
                if (latency_ms := measured[baseline]) is not None:
                    mode.latencies_ms.append(latency_ms)
            _switch(assembled, baseline=False, settings=settings)
            now, then = measured[False], measured[True]
            if now is not None and then is not None:
                pairs.append((now, then))
            ratio = f"{then / now:5.1f}x" if now and then else "     –"
            print(f"{index + 1:6d} {_ms(now)} {_ms(then):>9} {ratio} {_resident_mb():6.0f}  "
                  f"{command}")  # fmt: skip
        print(f"\nlistening only for the wake word for {idle_seconds:.0f} s …")
        memory.reset()
        idle_cpu = await _idle_cpu_percent(idle_seconds)
        stop.set()
        await task
    configured, base = modes[False], modes[True]
    peak_mb = max(configured.peak_mb, memory.peak_mb())  # the turns as configured, and idle
    _print_table(modes, pairs)
    span = "" if memory.resettable else " over the whole run, baseline included"
    print(f"\nfalse cut-offs: {configured.false_cutoffs} of {configured.early_commits} early "
          f"commits; peak resident memory {peak_mb:.0f} MB as configured{span} (this process, "
          f"models included; baseline {base.peak_mb:.0f} MB); idle CPU {idle_cpu:.1f} % of one "
          f"core over {idle_seconds:.0f} s")  # fmt: skip
    if as_json:
        print(json.dumps({
            "turns": turns,
            "end_to_end_ms": _summary(configured.latencies_ms),
            "baseline_end_to_end_ms": _summary(base.latencies_ms),
            "false_cutoffs": configured.false_cutoffs,
            "peak_rss_mb": round(peak_mb, 1),
            "idle_cpu_percent": round(idle_cpu, 2),
            "stages_ms": {stage: _summary(values)
                          for stage, values in configured.stages.values.items()},
            "baseline_stages_ms": {stage: _summary(values)
                                   for stage, values in base.stages.values.items()},
            "early_commits": configured.early_commits,
            "replied": len(configured.latencies_ms),
        }))  # fmt: skip
    return 0 if len(configured.latencies_ms) == turns == len(base.latencies_ms) else 1


def _print_table(modes: dict[bool, Mode], pairs: list[tuple[float, float]]) -> None:
    configured, baseline = modes[False], modes[True]
    print(f"\n{'stage':<28} {'p50 ms':>7} {'p95 ms':>7}   {'baseline':>15}")
    rows = [("end of speech → reply", configured.latencies_ms, baseline.latencies_ms)]
    rows += [(f"  {stage}", configured.stages.values[stage], baseline.stages.values[stage])
             for stage in _STAGES]  # fmt: skip
    for label, now, then in rows:
        print(f"{label:<28} {_percentiles(now)}   {_percentiles(then)}")
    if pairs:
        ratios = sorted(then / now for now, then in pairs)
        print(f"\nbaseline ÷ as configured, pair by pair: median {statistics.median(ratios):.2f}x, "
              f"lowest {ratios[0]:.2f}x, highest {ratios[-1]:.2f}x")  # fmt: skip


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1)}


def _ms(value: float | None) -> str:
    return f"{value:7.0f}" if value is not None else "      –"
