"""`assistant bench`: the live loop timed, turn by turn, on this machine.

Spoken commands synthesized with Piper are played into a virtual sound card in real time; the
live loop (the same code as `assistant run`) hears them, acts on the simulated home (or the
configured broker) and replies. End-to-end latency is measured at the card, from the moment
the last sample of the spoken command reached the capture callback to the first audible sample
of the reply at the playback callback, so it includes the endpoint's wait for silence, every
stage and the audio buffers. The per-stage figures come from the turn's events.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, seconds
from assistant.cli.demo import demo_home
from assistant.config import Settings
from assistant.engines import EngineName
from assistant.live.loop import LiveAssistant
from assistant.live.virtual_card import VirtualSoundCard
from assistant.pipeline.assembly import assemble
from assistant.pipeline.events import (
    ActionsTaken,
    Event,
    IntentMatched,
    SpeakingStarted,
    SpeechEnded,
    Transcript,
)

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


def _resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _percentiles(values: list[float]) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):7.0f} {p95:7.0f}"


class StageTimes:
    """Per-stage durations collected from the turns' events."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = defaultdict(list)

    def __call__(self, event: Event) -> None:
        if isinstance(event, SpeechEnded):
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


async def _timed_turn(
    assistant: LiveAssistant, card: VirtualSoundCard, spoken: np.ndarray
) -> float | None:
    """Say one command; milliseconds from its last sample to the first reply sample."""
    lead_seconds = 0.3
    silence = np.zeros(int(lead_seconds * SAMPLE_RATE_HZ), dtype=np.float32)
    before = assistant.stats.turns
    start = card.say(np.concatenate([silence, spoken, silence, silence, silence]), SAMPLE_RATE_HZ)
    deadline = time.monotonic() + _TURN_TIMEOUT_SECONDS
    while assistant.stats.turns == before and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await assistant.speaker.drained()
    await asyncio.sleep(0.5)
    spoken_end = card.delivered_at(start + lead_seconds + seconds(spoken))
    reply = card.first_sound_after(spoken_end) if spoken_end is not None else None
    return None if spoken_end is None or reply is None else (reply - spoken_end) * 1000


async def run_bench(settings: Settings, turns: int) -> int:
    stages = StageTimes()
    engines: tuple[EngineName, ...] = ("wake", "vad", "stt", "tts")
    if settings.understanding.model:
        engines += ("llm",)
    end_to_end: list[float] = []
    async with (
        demo_home(settings) as home,
        assemble(settings, engines=engines, home=home, role="bench") as assembled,
    ):
        assembled.turns.bus.subscribe(stages)
        card = VirtualSoundCard()
        assistant = LiveAssistant(assembled, settings, card)
        stop = asyncio.Event()
        task = asyncio.create_task(assistant.run(stop))
        while not assistant.listening_for_wake.is_set():
            await asyncio.sleep(0.05)
        resident_mb = [_resident_mb()]
        for index in range(turns):
            command = COMMANDS[index % len(COMMANDS)]
            speech = assembled.engines.tts.speak_all(
                f"Hey Jarvis, {command}.", sample_rate_hz=SAMPLE_RATE_HZ
            )
            latency_ms = await _timed_turn(assistant, card, speech.audio)
            if latency_ms is None:
                print(f"  turn {index + 1:2d}: no reply heard to {command!r}")
                continue
            end_to_end.append(latency_ms)
            resident_mb.append(_resident_mb())
            print(
                f"  turn {index + 1:2d}: {latency_ms:6.0f} ms  {resident_mb[-1]:5.0f} MB  {command}"
            )
        stop.set()
        await task
    print(f"\n{'stage':<28} {'p50 ms':>7} {'p95 ms':>7}")
    print(f"{'end of speech → reply':<28} {_percentiles(end_to_end)}")
    for stage in ("endpoint wait", "stt", "understand", "act", "tts first audio"):
        print(f"{'  ' + stage:<28} {_percentiles(stages.values[stage])}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{len(end_to_end)} of {turns} turns replied; peak memory {peak_mb:.0f} MB "
          f"(resident, this process, models included)")  # fmt: skip
    half = len(resident_mb) // 2
    if half:
        print(f"resident memory: {resident_mb[0]:.0f} MB when ready, "
              f"{statistics.mean(resident_mb[1 : half + 1]):.0f} MB over the first half of the "
              f"turns, {statistics.mean(resident_mb[half + 1 :] or resident_mb[-1:]):.0f} MB over "
              "the second")  # fmt: skip
    return 0 if len(end_to_end) == turns else 1
