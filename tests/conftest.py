"""Shared fixtures: the real configuration, model store and engines, and synthesized speech.

The models are loaded once per session (the machine has two cores). Test audio is spoken by
Piper (the project's own TextToSpeech, at 16 kHz) or by Debian's espeak-ng, and cached as WAV
files under `${XDG_CACHE_HOME:-~/.cache}/assistant-tests/audio/`, keyed by a hash of the
engine, the text and every option that changes the sound, so a second run synthesizes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import numpy.typing as npt
import pytest
from scipy.signal import resample_poly

from assistant.config import Settings, load_settings
from assistant.devices.broker import PrivateBroker
from assistant.devices.sim import Simulator, load_home, simulator_connection
from assistant.engines import Engines
from assistant.modelstore.store import ModelStore
from assistant.pipeline.assembly import Assembled, assemble

SAMPLE_RATE_HZ = 16_000
# Bump when the way audio is made changes, so stale cache entries are not reused.
_CACHE_FORMAT = 1

FloatAudio = npt.NDArray[np.float32]


# --- small helpers used by several test modules ----------------------------------------------


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assistant-tests" / "audio"


def read_pcm16_wav(path: Path) -> tuple[FloatAudio, int]:
    """Read a 16-bit PCM WAV with the standard library (independent of the code under test)."""
    with wave.open(str(path), "rb") as handle:
        assert handle.getsampwidth() == 2, f"{path} is not 16-bit PCM"
        channels = handle.getnchannels()
        rate = handle.getframerate()
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    audio = pcm.astype(np.float32) / 32768.0
    if channels > 1:
        audio = audio.reshape(-1, channels).mean(axis=1).astype(np.float32)
    return audio, rate


def write_pcm16_wav(path: Path, audio: FloatAudio, rate: int = SAMPLE_RATE_HZ) -> Path:
    """Write mono float audio as 16-bit PCM, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with wave.open(str(temporary), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    temporary.replace(path)
    return path


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
    broker: PrivateBroker, state_dir: Path, prefix: str, *, engines: tuple[str, ...] = (),
    **sections: dict[str, Any],
) -> AsyncIterator[tuple[Assembled, Simulator]]:  # fmt: skip
    """The assistant (with `engines`; none by default) and the simulated home, in their own
    discovery namespace `prefix` on `broker`, so tests sharing a broker never see each other's
    devices; `sections` are more settings ("audio", "vad", …)."""
    settings = load_settings(
        mqtt={"host": broker.host, "port": broker.port, "discovery_prefix": prefix},
        storage={"state_dir": state_dir},
        **sections,
    )
    connection = simulator_connection(settings.mqtt, client_id=f"sim-{prefix}")
    await connection.start()
    assert await connection.wait_connected(5)
    simulator = Simulator(connection, load_home(), discovery_prefix=prefix,
                          control_topic=f"{prefix}/control")  # fmt: skip
    await simulator.start()
    try:
        async with assemble(settings, engines=engines, role=prefix) as assembled:
            yield assembled, simulator
    finally:
        await simulator.stop(remove=True)
        await connection.stop()


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


# --- synthesized speech -----------------------------------------------------------------------


class Speech:
    """Speech for the tests, 16 kHz mono float, cached on disk by (engine, text, options)."""

    def __init__(self, engines: Engines, directory: Path) -> None:
        self._engines = engines
        self.directory = directory

    def _voice_identity(self) -> str:
        settings = self._engines.settings.tts
        manifest = self._engines.store.manifest
        if settings.voice in manifest.models:
            return ",".join(file.sha256 for file in manifest.models[settings.voice].files)
        return str(Path(settings.voice).expanduser().resolve())

    def _cache_path(self, engine: str, text: str, options: dict[str, Any]) -> Path:
        key = json.dumps(
            {"format": _CACHE_FORMAT, "engine": engine, "text": text, "options": options},
            sort_keys=True,
        )
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return self.directory / f"{engine}-{digest}.wav"

    def raw(
        self,
        text: str,
        *,
        engine: str = "piper",
        voice: str | None = None,
        speed: int | None = None,
    ) -> FloatAudio:
        """Just the speech, no added silence."""
        if engine == "piper":
            settings = self._engines.settings.tts
            options: dict[str, Any] = {
                "voice": self._voice_identity(),
                "length_scale": settings.length_scale,
                "rate": SAMPLE_RATE_HZ,
            }
        elif engine == "espeak":
            options = {"voice": voice or "en-us", "speed": speed or 160, "rate": SAMPLE_RATE_HZ}
        else:
            raise ValueError(f"unknown speech engine {engine!r}")
        path = self._cache_path(engine, text, options)
        if not path.is_file():
            audio = self._piper(text) if engine == "piper" else self._espeak(text, options)
            write_pcm16_wav(path, audio)
        audio, rate = read_pcm16_wav(path)
        assert rate == SAMPLE_RATE_HZ
        return audio

    def audio(
        self,
        text: str,
        *,
        engine: str = "piper",
        lead_seconds: float = 0.5,
        trail_seconds: float = 3.0,
        voice: str | None = None,
        speed: int | None = None,
    ) -> FloatAudio:
        """Speech with silence before and after, as one 16 kHz float array."""
        speech = self.raw(text, engine=engine, voice=voice, speed=speed)
        before = np.zeros(round(lead_seconds * SAMPLE_RATE_HZ), dtype=np.float32)
        after = np.zeros(round(trail_seconds * SAMPLE_RATE_HZ), dtype=np.float32)
        return np.concatenate([before, speech, after]).astype(np.float32)

    def wav(self, text: str, path: Path, **options: Any) -> Path:
        """The same as `audio`, written to `path` as a 16-bit 16 kHz WAV file."""
        return write_pcm16_wav(path, self.audio(text, **options))

    def _piper(self, text: str) -> FloatAudio:
        chunk = self._engines.tts.speak_all(text, sample_rate_hz=SAMPLE_RATE_HZ)
        assert chunk.sample_rate_hz == SAMPLE_RATE_HZ
        return chunk.audio

    @staticmethod
    def _espeak(text: str, options: dict[str, Any]) -> FloatAudio:
        if shutil.which("espeak-ng") is None:
            pytest.fail("espeak-ng is missing: ./bootstrap.sh installs it")
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "espeak.wav"
            subprocess.run(
                ["espeak-ng", "-v", options["voice"], "-s", str(options["speed"]),
                 "-w", str(out), text],
                check=True, capture_output=True,
            )  # fmt: skip
            audio, rate = read_pcm16_wav(out)
        divisor = np.gcd(rate, SAMPLE_RATE_HZ)
        resampled = resample_poly(audio, SAMPLE_RATE_HZ // divisor, rate // divisor)
        return np.asarray(resampled, dtype=np.float32)


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
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return Speech(engines, directory)
