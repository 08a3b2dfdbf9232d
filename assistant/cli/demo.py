"""`assistant demo`: speak a sample command, run it through the voice pipeline, narrate each stage.

Everything runs on the embedded defaults. With no broker configured, the demo starts a private
Mosquitto on a loopback port and the simulated home on it, so the spoken command really
switches a (simulated) device, whose state is shown before and after. The only files written
are the sample and the reply in the output folder (the user asked for them by running the demo).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ
from assistant.audio.wav import write_wav
from assistant.cli.devices import describe_state
from assistant.cli.turns import one_shot_keeper
from assistant.config import Settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.home import DeviceHome
from assistant.devices.registry import Entity
from assistant.devices.sim import Simulator, load_home, simulator_connection
from assistant.engines import EngineName, Engines
from assistant.pipeline.assembly import assemble
from assistant.pipeline.events import (
    ActionsTaken,
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

SAMPLE_TEXT = "Hey Jarvis, turn on the kitchen lights."
_LEAD_SECONDS = 0.5
_TRAIL_SECONDS = 2.0
_ENGINES: tuple[EngineName, ...] = ("wake", "vad", "stt", "tts")


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
        call = event.intent.call if event.intent is not None else None
        what = f"{call.tool} {call.arguments}" if call else "no intent recognised"
        print(f"  {'understand ' + what:70} {event.elapsed_ms:7.0f} ms")
    elif isinstance(event, ActionsTaken):
        for action in event.actions:
            line = f"act        {action.entity_id} {action.service}: {action.status}"
            print(f"  {line:70} {event.elapsed_ms:7.0f} ms")
    elif isinstance(event, SpeakingStarted):
        line = f"speak      {event.text!r}, first audio after"
        print(f"  {line:70} {event.first_audio_ms:7.0f} ms")
    elif isinstance(event, TurnFailed):
        print(f"  error      [{event.code}] {event.message}")


@contextlib.asynccontextmanager
async def demo_home(settings: Settings) -> AsyncIterator[DeviceHome]:
    """The configured broker, or a private one with the simulated home on it."""
    async with contextlib.AsyncExitStack() as stack:
        if settings.mqtt.host:
            print(f"\nDevices on the configured broker {settings.mqtt.host}:{settings.mqtt.port}")
        else:
            broker = stack.enter_context(PrivateBroker())
            mqtt = settings.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
            settings = settings.model_copy(update={"mqtt": mqtt})
            connection = simulator_connection(mqtt)
            await connection.start()
            stack.push_async_callback(connection.stop)
            await connection.wait_connected(5)
            simulator = Simulator(connection, load_home(), discovery_prefix=mqtt.discovery_prefix)
            await simulator.start()
            stack.push_async_callback(simulator.stop)
            print(
                "\nNo broker configured: started a private Mosquitto on "
                f"{broker.host}:{broker.port} "
                f"with {len(simulator.devices)} simulated devices"
            )
        home = await stack.enter_async_context(
            DeviceHome(settings, role="demo", publish_status=False)
        )
        await home.ready()
        yield home


def _show(label: str, entities: list[Entity]) -> None:
    for entity in entities:
        print(f"  {label:7} {entity.entity_id:30} {describe_state(entity)}")


async def run_demo(settings: Settings, out_dir: Path) -> int:
    async with demo_home(settings) as home:
        bus = EventBus()
        async with assemble(
            settings, engines=_ENGINES, home=home, bus=bus, keeper=one_shot_keeper(settings)
        ) as assembled:
            print("Models loaded (embedded defaults):")
            for name in _ENGINES:
                print(f"  {name:6} {assembled.engines.load_seconds[name] * 1000:6.0f} ms")
            sample = _sample(assembled.engines, out_dir)
            lights = [e for e in home.registry.of_kind("light") if e.match_area == "kitchen"]
            print()
            _show("before", lights)
            bus.subscribe(_narrate)
            print("\nStage      what happened" + " " * 56 + "time")
            result = await assembled.turns.from_wav(sample, use_wake=True, out_dir=out_dir)
            print()
            # Looked up again: an entity announced anew during the turn is a new object.
            now = [home.registry.get(light.entity_id) for light in lights]
            _show("after", [light for light in now if light is not None])
    print(f"\n  total {result.timings.total_ms:.0f} ms")
    if result.reply_wav:
        print(f"  reply kept as {result.reply_wav}")
    return 1 if result.error else 0


def _sample(engines: Engines, out_dir: Path) -> Path:
    """The spoken sample: the user's own if they put one there, else synthesized once."""
    sample = out_dir / "sample.wav"
    if sample.is_file():
        print(f"\nUsing the spoken sample {sample}")
        return sample
    speech = engines.tts.speak_all(SAMPLE_TEXT, sample_rate_hz=SAMPLE_RATE_HZ).audio
    silence_before = np.zeros(int(_LEAD_SECONDS * SAMPLE_RATE_HZ), dtype=np.float32)
    silence_after = np.zeros(int(_TRAIL_SECONDS * SAMPLE_RATE_HZ), dtype=np.float32)
    write_wav(sample, np.concatenate([silence_before, speech, silence_after]), SAMPLE_RATE_HZ)
    print(f"\nSynthesized the spoken sample {sample}: {SAMPLE_TEXT!r}")
    return sample
