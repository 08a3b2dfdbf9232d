"""Speech for the audio levels: the dev set spoken by Piper and espeak-ng, clean and noisy.

Two synthesizers, so the transcriber is not only ever tested on the voice the assistant itself
speaks with: every third item is spoken by espeak-ng, in turn with an American, a British, a
female and a Scottish voice. Each utterance gets 0.3 s of silence before and 1 s after (the end
of speech needs silence to be decided), at 16 kHz. Noise is white or pink, seeded by the item
and condition, scaled against the speech alone (not its silences) to the wanted SNR and added
over the whole clip. Everything is cached under `~/.cache/assistant/eval-audio`, keyed by a
hash of everything that changes the sound, so a second run synthesizes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, Audio
from assistant.audio.wav import load_for_models, write_wav
from assistant.engines import Engines
from assistant.errors import ConfigError
from assistant.evaluation.devset import DevItem

LEAD_SECONDS, TRAIL_SECONDS = 0.3, 1.0
CONDITIONS: dict[str, float | None] = {"clean": None, "snr20": 20.0, "snr10": 10.0}
"""Audio conditions and their signal-to-noise ratio in dB (None: no noise added)."""
ESPEAK_VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-scotland")
ESPEAK_EVERY = 3
# Bump when the way audio is made changes, so stale cache entries are not reused.
_CACHE_FORMAT = 1


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assistant" / "eval-audio"


@dataclass(frozen=True)
class Voice:
    engine: str
    """piper or espeak"""
    name: str

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.name}"


def voice_for(index: int, piper_voice: str) -> Voice:
    """The voice of the item at this position of the full dev set (stable across subsets)."""
    if index % ESPEAK_EVERY == ESPEAK_EVERY - 1:
        return Voice("espeak", ESPEAK_VOICES[(index // ESPEAK_EVERY) % len(ESPEAK_VOICES)])
    return Voice("piper", piper_voice)


def _seed(*parts: str) -> int:
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:12], 16)


def pink_noise(length: int, rng: np.random.Generator) -> Audio:
    """1/f noise: white noise shaped in the frequency domain, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    frequencies = np.arange(len(spectrum), dtype=np.float64)
    frequencies[0] = 1.0  # no infinite gain at DC
    shaped = np.fft.irfft(spectrum / np.sqrt(frequencies), n=length)
    return (shaped / (np.sqrt(np.mean(shaped**2)) or 1.0)).astype(np.float32)


def add_noise(speech: Audio, padded: Audio, snr_db: float, *, seed: int, pink: bool) -> Audio:
    """`padded` (speech with its silences) plus noise at `snr_db` relative to `speech`'s power."""
    rng = np.random.default_rng(seed)
    if pink:
        noise = pink_noise(len(padded), rng)
    else:
        noise = rng.standard_normal(len(padded)).astype(np.float32)
    speech_rms = (
        float(np.sqrt(np.mean(np.square(speech, dtype=np.float64)))) if speech.size else 0.0
    )
    noise_rms = speech_rms / (10 ** (snr_db / 20))
    mixed = padded + noise * noise_rms
    return np.clip(mixed, -1.0, 1.0).astype(np.float32)


class SpeechMaker:
    """WAV files of dev-set items, per voice and condition, made once and kept on disk."""

    def __init__(self, engines: Engines, directory: Path | None = None) -> None:
        self.engines = engines
        self.directory = directory or cache_dir()
        self.piper_voice = engines.settings.tts.voice
        self.synthesized = 0

    def _voice_identity(self, voice: Voice) -> str:
        if voice.engine == "espeak":
            return voice.name
        manifest = self.engines.store.manifest
        if voice.name in manifest.models:
            return ",".join(file.sha256 for file in manifest.models[voice.name].files)
        return str(Path(voice.name).expanduser().resolve())

    def _key(self, voice: Voice, text: str) -> str:
        key = json.dumps(
            {"format": _CACHE_FORMAT, "engine": voice.engine, "voice": self._voice_identity(voice),
             "length_scale": self.engines.settings.tts.length_scale, "text": text,
             "rate": SAMPLE_RATE_HZ},
            sort_keys=True,
        )  # fmt: skip
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    def speech(self, voice: Voice, text: str) -> Audio:
        """Just the speech, 16 kHz mono, synthesized on first use."""
        path = self.directory / f"{voice.engine}-{self._key(voice, text)}.wav"
        if not path.is_file():
            audio = (
                self._espeak(voice.name, text) if voice.engine == "espeak" else self._piper(text)
            )
            write_wav(path, audio, SAMPLE_RATE_HZ)
            self.synthesized += 1
        audio, _ = load_for_models(path)
        return audio

    def wav(self, item: DevItem, voice: Voice, condition: str) -> Path:
        """The item spoken in this voice, with its silences and the condition's noise."""
        snr_db = CONDITIONS[condition]
        path = self.directory / f"{voice.engine}-{self._key(voice, item.text)}-{condition}.wav"
        if path.is_file():
            return path
        speech = self.speech(voice, item.text)
        padded = np.concatenate([
            np.zeros(round(LEAD_SECONDS * SAMPLE_RATE_HZ), dtype=np.float32), speech,
            np.zeros(round(TRAIL_SECONDS * SAMPLE_RATE_HZ), dtype=np.float32),
        ])  # fmt: skip
        if snr_db is not None:
            seed = _seed(item.text, voice.label, condition)
            padded = add_noise(speech, padded, snr_db, seed=seed, pink=seed % 2 == 1)
        write_wav(path, padded, SAMPLE_RATE_HZ)
        return path

    def _piper(self, text: str) -> Audio:
        return self.engines.tts.speak_all(text, sample_rate_hz=SAMPLE_RATE_HZ).audio

    @staticmethod
    def _espeak(voice: str, text: str) -> Audio:
        program = shutil.which("espeak-ng")
        if program is None:
            raise ConfigError(
                "espeak-ng is not installed; run ./bootstrap.sh (apt-get install espeak-ng)"
            )
        with tempfile.TemporaryDirectory(prefix="assistant-eval-") as scratch:
            out = Path(scratch) / "espeak.wav"
            subprocess.run(
                [program, "-v", voice, "-s", "160", "-w", str(out), text],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            audio, _ = load_for_models(out)  # mixed to mono and resampled to 16 kHz
        return audio
