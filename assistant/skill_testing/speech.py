"""Synthesized speech for tests: a request said by Piper (the assistant's own voice) or by
espeak-ng (another voice, another accent), as 16 kHz mono audio or a WAV file.

Audio is cached under `${XDG_CACHE_HOME:-~/.cache}/assistant-tests/audio/`, keyed by a hash of
the engine, the text and every option that changes the sound, so a second run synthesizes
nothing. WAV files are read and written with the standard library, independently of the code
under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from assistant.engines import Engines

SAMPLE_RATE_HZ = 16_000
# Bump when the way audio is made changes, so stale cache entries are not reused.
_CACHE_FORMAT = 1

FloatAudio = npt.NDArray[np.float32]


def speech_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assistant-tests" / "audio"


def read_pcm16_wav(path: Path) -> tuple[FloatAudio, int]:
    """Read a 16-bit PCM WAV as mono float audio and its sample rate."""
    with wave.open(str(path), "rb") as handle:
        if handle.getsampwidth() != 2:
            raise ValueError(f"{path} is not 16-bit PCM")
        channels = handle.getnchannels()
        rate = handle.getframerate()
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    audio = pcm.astype(np.float32) / 32768.0
    if channels > 1:
        audio = audio.reshape(-1, channels).mean(axis=1).astype(np.float32)
    return audio, rate


def write_pcm16_wav(path: Path, audio: FloatAudio, rate: int = SAMPLE_RATE_HZ) -> Path:
    """Write mono float audio as 16-bit PCM, atomically (a reader never sees half a file)."""
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


class Speech:
    """Speech for tests, 16 kHz mono float, cached on disk by (engine, text, options).

    `engines` provides Piper (its `tts`, loaded on first use) and the voice's identity; espeak-ng
    is the program of that name."""

    def __init__(self, engines: Engines, directory: Path | None = None) -> None:
        self._engines = engines
        self.directory = directory or speech_cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True)

    def raw(
        self,
        text: str,
        *,
        engine: str = "piper",
        voice: str | None = None,
        speed: int | None = None,
    ) -> FloatAudio:
        """Just the speech, no added silence (`voice` and `speed` are espeak-ng's)."""
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
            audio = self._piper(text) if engine == "piper" else _espeak(text, options)
            write_pcm16_wav(path, audio)
        audio, rate = read_pcm16_wav(path)
        if rate != SAMPLE_RATE_HZ:
            raise ValueError(f"{path} is at {rate} Hz, not {SAMPLE_RATE_HZ}: delete it")
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
        """Speech with silence before and after (the pause that ends a request), as one array."""
        speech = self.raw(text, engine=engine, voice=voice, speed=speed)
        before = np.zeros(round(lead_seconds * SAMPLE_RATE_HZ), dtype=np.float32)
        after = np.zeros(round(trail_seconds * SAMPLE_RATE_HZ), dtype=np.float32)
        return np.concatenate([before, speech, after]).astype(np.float32)

    def wav(self, text: str, path: Path, **options: Any) -> Path:
        """The same as `audio`, written to `path` as a 16-bit 16 kHz WAV file."""
        return write_pcm16_wav(path, self.audio(text, **options))

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

    def _piper(self, text: str) -> FloatAudio:
        chunk = self._engines.tts.speak_all(text, sample_rate_hz=SAMPLE_RATE_HZ)
        if chunk.sample_rate_hz != SAMPLE_RATE_HZ:
            raise ValueError(f"Piper spoke at {chunk.sample_rate_hz} Hz, not {SAMPLE_RATE_HZ}")
        return chunk.audio


def _espeak(text: str, options: dict[str, Any]) -> FloatAudio:
    program = shutil.which("espeak-ng")
    if program is None:
        raise FileNotFoundError("espeak-ng is missing: apt-get install espeak-ng")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "espeak.wav"
        subprocess.run(
            [program, "-v", options["voice"], "-s", str(options["speed"]), "-w", str(out), text],
            check=True, capture_output=True,
        )  # fmt: skip
        audio, rate = read_pcm16_wav(out)
    divisor = np.gcd(rate, SAMPLE_RATE_HZ)
    resampled = resample_poly(audio, SAMPLE_RATE_HZ // divisor, rate // divisor)
    return np.asarray(resampled, dtype=np.float32)
