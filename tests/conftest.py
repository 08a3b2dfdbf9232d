"""Shared fixtures: the real configuration, model store and engines, and synthesized speech.

The models are loaded once per session (the machine has two cores). Test audio is spoken by
`assistant.skill_testing.Speech` (Piper, the project's own voice, or Debian's espeak-ng) and
cached on disk, so a second run synthesizes nothing. The helpers a skill's own tests need (the
simulated home, the toolbox, turns in and out, speech) are in `assistant.skill_testing`; what is
here is for this project's own suite.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pytest

from assistant.config import MqttSettings, Settings, load_settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.sim import Simulator
from assistant.engines import EngineName, Engines
from assistant.modelstore.store import ModelStore
from assistant.pipeline.assembly import Assembled
from assistant.skill_testing import (
    SAMPLE_RATE_HZ,
    FloatAudio,
    Speech,
    assembled_in,
    eventually,
    simulated_home,
    write_pcm16_wav,  # noqa: F401 (not used here: several test modules import it from here)
)

# --- small helpers used by several test modules ----------------------------------------------


def rms(audio: FloatAudio) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0


def speech_end_seconds(audio: FloatAudio, *, floor: float = 0.01, window_ms: int = 10) -> float:
    """End of the last 10 ms window whose RMS is above `floor` (-40 dBFS): where speech ends."""
    window = SAMPLE_RATE_HZ * window_ms // 1000
    usable = len(audio) - len(audio) % window
    levels = np.sqrt(np.mean(np.square(audio[:usable].reshape(-1, window)), axis=1))
    loud = np.nonzero(levels > floor)[0]
    assert loud.size, "the audio holds no speech at all"
    return float((loud[-1] + 1) * window / SAMPLE_RATE_HZ)


_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
    "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven", "12": "twelve",
    "15": "fifteen", "20": "twenty", "30": "thirty", "40": "forty", "50": "fifty",
    "100": "hundred",
}  # fmt: skip


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation, with digits spelt out ("10" -> "ten")."""
    text = text.lower().replace("%", " percent").replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text).replace("'", "")
    return [_NUMBERS.get(word, word) for word in text.split()]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance over the reference length, after `normalise`."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, start=1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)
            )
        previous = current
    return previous[-1] / max(1, len(ref))


def settings_with(settings: Settings, section: str, **changes: Any) -> Settings:
    """A validated copy of `settings` with some keys of one section changed."""
    data = settings.model_dump()
    data[section] = {**data[section], **changes}
    return Settings.model_validate(data)


def assistant_command() -> list[str]:
    """The installed `assistant` script beside this interpreter, else `python -m assistant.cli`."""
    script = Path(sys.executable).with_name("assistant")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "assistant.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: no stray ASSISTANT_* settings, offline hub."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_")}
    env["HF_HUB_OFFLINE"] = "1"
    env.update(extra)
    return env


@contextlib.contextmanager
def simulated_home_env(
    assistant: list[str], *simulate: str, **extra: str
) -> Iterator[dict[str, str]]:
    """A private broker with `assistant simulate` running on it (`simulate` are its options);
    yields the environment in which `assistant` commands reach that home."""
    with PrivateBroker() as broker:
        env = clean_env(
            ASSISTANT_MQTT__HOST=broker.host, ASSISTANT_MQTT__PORT=str(broker.port), **extra
        )
        simulator = subprocess.Popen(
            [*assistant, "simulate", *simulate],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        first = cast(IO[str], simulator.stdout).readline()  # stdout=PIPE: always a stream
        assert first.startswith("Simulating"), first + (
            simulator.stderr.read() if simulator.stderr else ""
        )
        try:
            yield env
        finally:
            simulator.terminate()
            simulator.wait(timeout=30)


@contextlib.asynccontextmanager
async def assembled_home(
    broker: PrivateBroker, state_dir: Path, prefix: str, *, engines: tuple[EngineName, ...] = (),
    **sections: dict[str, Any],
) -> AsyncIterator[tuple[Assembled, Simulator]]:  # fmt: skip
    """The assistant (with `engines`; none by default) and the simulated home, in their own
    discovery namespace `prefix` on the module's shared `broker`, so tests sharing a broker
    never see each other's devices; the runtime's own MQTT deadlines, not QUICK_MQTT's;
    `sections` are more settings ("audio", "vad", …)."""
    mqtt = MqttSettings(discovery_prefix=prefix)
    async with (
        simulated_home(broker, mqtt=mqtt) as home,
        assembled_in(home, state_dir, engines=engines, **sections) as assembled,
    ):
        yield assembled, home.simulator


def large_home() -> list[tuple[str, str, str | None]]:
    """(kind, name, room) of 500 devices: ten in each of 49 rooms ("Kitchen ceiling light",
    "Office thermostat", ...) and ten more with names of their own ("Kettle plug")."""
    rooms = [
        "Kitchen", "Living room", "Lounge", "Bedroom", "Master bedroom", "Guest room",
        "Kids room", "Nursery", "Bathroom", "En suite", "Hallway", "Landing", "Porch", "Garage",
        "Office", "Study", "Dining room", "Utility room", "Conservatory", "Attic", "Basement",
        "Garden", "Patio", "Playroom", "Laundry", "Pantry", "Front room", "Back room", "Den",
        "Library", "Gym", "Workshop", "Consultation room", "Waiting room", "Ward 2", "Reception",
        "Treatment room", "Staff room", "Loft", "Cellar", "Shed", "Sun room", "Boot room",
        "Studio", "Entrance", "Stairs", "Upstairs hall", "Downstairs toilet", "Games room",
    ]  # fmt: skip
    kinds = [
        ("light", "ceiling light"), ("light", "lamp"), ("light", "spotlights"), ("switch", "plug"),
        ("fan", "fan"), ("cover", "blinds"), ("climate", "thermostat"), ("lock", "door lock"),
        ("sensor", "temperature sensor"), ("binary_sensor", "window"),
    ]  # fmt: skip
    devices: list[tuple[str, str, str | None]] = [
        (kind, f"{room} {what}", room) for room in rooms for kind, what in kinds
    ]
    devices += [
        ("switch", "Kettle plug", "Kitchen"), ("switch", "Coffee machine", "Kitchen"),
        ("switch", "TV plug", "Living room"), ("light", "Desk lamp", "Office"),
        ("light", "Floor lamp", "Lounge"), ("fan", "Ceiling fan", "Bedroom"),
        ("cover", "Garage door", "Garage"), ("lock", "Front door", "Hallway"),
        ("light", "Fairy lights", "Garden"), ("climate", "Heating", None),
    ]  # fmt: skip
    assert len(devices) == 500 and len({name for _, name, _ in devices}) == 500
    return devices


async def until(condition: Callable[[], bool], what: str, timeout_seconds: float = 60.0) -> None:
    """The skill kit's `eventually`, failing with what was awaited; the deadline is generous:
    it only matters when the test fails."""
    if not await eventually(condition, timeout_seconds):
        raise AssertionError(f"not within {timeout_seconds} s: {what}")


# --- session fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def store(settings: Settings) -> ModelStore:
    return ModelStore(settings.models.dir)


@pytest.fixture(scope="session")
def engines(settings: Settings, store: ModelStore) -> Iterator[Engines]:
    """The real models; each is loaded on first use and kept for the whole session."""
    loaded = Engines(settings, store)
    yield loaded
    loaded.close()


@pytest.fixture(scope="session")
def tts(engines: Engines) -> Any:
    return engines.tts


@pytest.fixture(scope="session")
def speech(engines: Engines) -> Speech:
    return Speech(engines)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key, made by openssl
    (for the Wyoming listeners' TLS)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key
