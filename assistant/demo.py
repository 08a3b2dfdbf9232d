"""`assistant demo`: speak a sample command, run it through the voice pipeline, narrate each stage.

Everything runs on the embedded defaults; the only files written are the sample and the reply
in the output folder (the user asked for them by running the demo).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from assistant.audio.wav import write_wav
from assistant.brain.heard import HeardBrain
from assistant.config import Settings
from assistant.events import (
    Event,
    EventBus,
    IntentMatched,
    SpeakingStarted,
    SpeechEnded,
    Transcript,
    TurnFailed,
    WakeDetected,
    WakeNotDetected,
)
from assistant.pipeline.engines import Engines
from assistant.pipeline.turn import TurnRunner

SAMPLE_TEXT = "Hey Jarvis, turn on the kitchen lights."
_SAMPLE_RATE_HZ = 16_000
_LEAD_SECONDS = 0.5
_TRAIL_SECONDS = 2.0


def _narrate(event: Event) -> None:
    if isinstance(event, WakeDetected):
        line = f"wake       {event.model} at {event.audio_seconds:.2f} s, score {event.score:.3f}"
        print(f"  {line:70} {event.elapsed_ms:7.0f} ms")
    elif isinstance(event, WakeNotDetected):
        print(f"  wake       not detected (best score {event.best_score:.3f})")
    elif isinstance(event, SpeechEnded):
        line = (
            f"endpoint   speech {event.speech_start_seconds:.2f}-{event.speech_end_seconds:.2f} s, "
            f"end decided at {event.endpoint_seconds:.2f} s ({event.reason})"
        )
        print(f"  {line:70} {event.elapsed_ms:7.0f} ms")
    elif isinstance(event, Transcript):
        print(f"  {'transcript ' + repr(event.text):70} {event.elapsed_ms:7.0f} ms")
    elif isinstance(event, IntentMatched):
        what = event.name or "no intent (the understanding cascade is not wired in yet)"
        print(f"  {'understand ' + what:70} {event.elapsed_ms:7.0f} ms")
    elif isinstance(event, SpeakingStarted):
        line = f"speak      {event.text!r}, first audio after"
        print(f"  {line:70} {event.first_audio_ms:7.0f} ms")
    elif isinstance(event, TurnFailed):
        print(f"  error      [{event.code}] {event.message}")


async def run_demo(settings: Settings, out_dir: Path) -> int:
    print("Loading models (embedded defaults):")
    engines = Engines(settings)
    try:
        for name in ("wake", "vad", "stt", "tts"):
            started = time.perf_counter()
            engines.load(name)
            print(f"  {name:6} {(time.perf_counter() - started) * 1000:6.0f} ms")

        sample = out_dir / "sample.wav"
        if sample.is_file():
            print(f"\nUsing the spoken sample {sample}")
        else:
            speech = engines.tts.speak_all(SAMPLE_TEXT, sample_rate_hz=_SAMPLE_RATE_HZ).audio
            silence_before = np.zeros(int(_LEAD_SECONDS * _SAMPLE_RATE_HZ), dtype=np.float32)
            silence_after = np.zeros(int(_TRAIL_SECONDS * _SAMPLE_RATE_HZ), dtype=np.float32)
            write_wav(
                sample, np.concatenate([silence_before, speech, silence_after]), _SAMPLE_RATE_HZ
            )
            print(f"\nSynthesized the spoken sample {sample}: {SAMPLE_TEXT!r}")

        bus = EventBus()
        bus.subscribe(_narrate)
        runner = TurnRunner(engines, HeardBrain(), bus)
        print("\nStage      what happened" + " " * 56 + "time")
        result = await runner.from_wav(sample, use_wake=True, out_dir=out_dir)
    finally:
        engines.close()
    print(f"\n  total {result.timings_ms['total']:.0f} ms")
    if result.reply_wav:
        print(f"  reply kept as {result.reply_wav}")
    return 1 if result.error else 0
