"""Reading and writing WAV files, with precise errors for files that are not usable audio.

Python's `wave` module rejects float and WAVE_FORMAT_EXTENSIBLE files and silently returns
fewer frames for a truncated file, so the RIFF chunks are parsed here instead.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, Audio, from_pcm16, to_pcm16
from assistant.audio.resample import resample
from assistant.errors import AudioError, AudioSilent

_FORMAT_PCM = 0x0001
_FORMAT_FLOAT = 0x0003
_FORMAT_EXTENSIBLE = 0xFFFE
# Below this peak a recording holds nothing a microphone would call sound (about -66 dBFS).
_SILENCE_PEAK = 5e-4


@dataclass(frozen=True)
class WavInfo:
    sample_rate_hz: int
    channels: int
    bits_per_sample: int
    encoding: str  # "pcm" or "float"
    frames: int

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate_hz


def read_wav(path: Path) -> tuple[Audio, WavInfo]:
    """Decode a WAV file to float32 samples in [-1, 1], shape (frames, channels)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a folder, not a WAV file") from None
    except OSError as error:
        raise AudioError(f"{path}: cannot be read: {error.strerror}") from None
    return decode_wav(data, name=str(path))


def decode_wav(data: bytes, *, name: str = "audio") -> tuple[Audio, WavInfo]:  # noqa: PLR0912
    if not data:
        raise AudioError(f"{name}: the file is empty")
    if len(data) < 12 or data[0:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError(f"{name}: not a WAV file (no RIFF/WAVE header)")
    fmt: bytes | None = None
    payload: bytes | None = None
    declared_data_bytes = 0
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        body = data[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt ":
            fmt = body
        elif chunk_id == b"data":
            payload = body
            declared_data_bytes = size
            break
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    if fmt is None or len(fmt) < 16:
        raise AudioError(f"{name}: WAV file has no valid 'fmt ' chunk")
    if payload is None:
        raise AudioError(f"{name}: WAV file has no 'data' chunk")
    format_tag, channels, sample_rate_hz, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if format_tag == _FORMAT_EXTENSIBLE and len(fmt) >= 26:
        (format_tag,) = struct.unpack_from("<H", fmt, 24)  # first two bytes of the sub-format GUID
    if channels < 1 or sample_rate_hz < 1000 or bits == 0:
        raise AudioError(
            f"{name}: implausible WAV header "
            f"({channels} channels, {sample_rate_hz} Hz, {bits} bits)"
        )
    if block_align != channels * ((bits + 7) // 8):
        raise AudioError(f"{name}: inconsistent WAV header (block align {block_align})")
    # 0xFFFFFFFF (or 0) is what streaming writers put before they know the length.
    streaming = declared_data_bytes in (0, 0xFFFFFFFF)
    if not streaming and len(payload) < declared_data_bytes:
        raise AudioError(
            f"{name}: truncated: the header announces {declared_data_bytes} bytes of audio "
            f"but only {len(payload)} are present"
        )
    if streaming:
        payload = data[offset + 8 :]
    usable = len(payload) - len(payload) % block_align
    samples = _samples(payload[:usable], format_tag, bits, name)
    frames = samples.size // channels
    if frames == 0:
        raise AudioError(f"{name}: the WAV file contains no audio frames")
    audio = samples.reshape(frames, channels)
    encoding = "float" if format_tag == _FORMAT_FLOAT else "pcm"
    return audio, WavInfo(sample_rate_hz, channels, bits, encoding, frames)


def _samples(payload: bytes, format_tag: int, bits: int, name: str) -> Audio:
    if format_tag == _FORMAT_FLOAT and bits in (32, 64):
        floats = np.frombuffer(payload, dtype="<f4" if bits == 32 else "<f8")
        return np.nan_to_num(floats.astype(np.float32), nan=0.0).clip(-1.0, 1.0)
    if format_tag != _FORMAT_PCM:
        raise AudioError(f"{name}: unsupported WAV encoding {format_tag:#06x} with {bits} bits")
    if bits == 8:  # 8-bit WAV is the one unsigned format
        return (np.frombuffer(payload, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if bits == 16:
        return from_pcm16(np.frombuffer(payload, dtype="<i2"))
    if bits == 24:
        raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float32) / float(1 << 23)
    if bits == 32:
        return (np.frombuffer(payload, dtype="<i4").astype(np.float64) / 2147483648.0).astype(
            np.float32
        )
    raise AudioError(f"{name}: unsupported PCM sample width of {bits} bits")


def to_model_input(audio: Audio, info: WavInfo, *, name: str = "audio") -> Audio:
    """Mix down to mono, resample to the models' rate, and refuse audio that is only silence."""
    mono = audio.mean(axis=1, dtype=np.float32) if audio.ndim == 2 else audio
    peak = float(np.max(np.abs(mono))) if mono.size else 0.0
    if peak < _SILENCE_PEAK:
        level = 20 * np.log10(peak) if peak > 0 else float("-inf")
        raise AudioSilent(
            f"{name}: the recording is silent (peak level {level:.0f} dBFS over "
            f"{info.duration_seconds:.1f} s)"
        )
    return resample(mono, info.sample_rate_hz, SAMPLE_RATE_HZ)


def load_for_models(path: Path) -> tuple[Audio, WavInfo]:
    audio, info = read_wav(path)
    return to_model_input(audio, info, name=str(path)), info


def write_wav(path: Path, audio: Audio, sample_rate_hz: int) -> None:
    """Write mono float samples as 16-bit PCM."""
    pcm = to_pcm16(audio).astype("<i2", copy=False).tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + len(pcm), b"WAVE",
        b"fmt ", 16, _FORMAT_PCM, 1, sample_rate_hz, sample_rate_hz * 2, 2, 16,
        b"data", len(pcm),
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(header + pcm)
    temporary.replace(path)
