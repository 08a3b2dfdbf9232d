"""Reading and writing WAV files, with precise errors for files that are not usable audio.

A file is read in blocks of about a megabyte, and for the models each block is mixed to mono
and resampled to 16 kHz as it comes: memory follows what is kept (at most `MAX_SECONDS` at
16 kHz, 38 MB), not the size of the file. PCM and float samples are decoded here; compressed
encodings (ADPCM, a-law, µ-law, GSM) by libsndfile, through `soundfile`.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import BinaryIO

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, Audio, from_pcm16, to_pcm16
from assistant.audio.stream_resample import StreamResampler
from assistant.audio.wav_header import (
    COMPRESSED_ENCODINGS,
    FORMAT_FLOAT,
    FORMAT_PCM,
    MAX_SECONDS,
    WavInfo,
    WavLayout,
    check_duration,
    read_layout,
)
from assistant.errors import AudioError, AudioSilent

__all__ = [
    "MAX_SECONDS",
    "WavInfo",
    "decode_pcm",
    "decode_wav",
    "load_for_models",
    "read_wav",
    "to_model_input",
    "write_wav",
]

_BLOCK_BYTES = 1 << 20
# Below this peak a recording holds nothing a microphone would call sound (about -66 dBFS).
_SILENCE_PEAK = 5e-4

Blocks = Iterator[Audio]
"""Float32 samples in [-1, 1], shape (frames, channels), one block after another."""


def read_wav(path: Path) -> tuple[Audio, WavInfo]:
    """Decode a WAV file to float32 samples in [-1, 1], shape (frames, channels)."""
    with _opened(path) as (stream, size):
        return _whole(stream, size, str(path))


def decode_wav(data: bytes, *, name: str = "audio") -> tuple[Audio, WavInfo]:
    return _whole(io.BytesIO(data), len(data), name)


def load_for_models(path: Path) -> tuple[Audio, WavInfo]:
    """The file as the models hear it: mono, 16 kHz, read block by block."""
    name = str(path)
    with _opened(path) as (stream, size):
        layout = read_layout(stream, size, name)
        frames, blocks = _decode(stream, layout, name)
        info = layout.info(frames)
        return _mono_16k(blocks, info, name), info


def to_model_input(audio: Audio, info: WavInfo, *, name: str = "audio") -> Audio:
    """Mix down to mono, resample to the models' rate, and refuse audio that is only silence."""
    return _mono_16k(iter([audio if audio.ndim == 2 else audio[:, None]]), info, name)


@contextmanager
def _opened(path: Path) -> Iterator[tuple[BinaryIO, int]]:
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a folder, not a WAV file") from None
    except OSError as error:
        raise AudioError(f"{path}: cannot be read: {error.strerror}") from None
    with stream:
        try:
            yield stream, os.fstat(stream.fileno()).st_size
        except OSError as error:
            raise AudioError(f"{path}: cannot be read: {error.strerror}") from None


def _whole(stream: BinaryIO, size: int, name: str) -> tuple[Audio, WavInfo]:
    layout = read_layout(stream, size, name)
    _, blocks = _decode(stream, layout, name)
    audio = np.concatenate(list(blocks))
    return audio, layout.info(len(audio))


def _decode(stream: BinaryIO, layout: WavLayout, name: str) -> tuple[int, Blocks]:
    """The number of frames, and the blocks that hold them."""
    if layout.compressed:
        return _compressed(stream, layout, name)
    return layout.data_bytes // layout.block_align, _pcm_blocks(stream, layout, name)


def _pcm_blocks(stream: BinaryIO, layout: WavLayout, name: str) -> Blocks:
    align = layout.block_align
    block_bytes = max(1, _BLOCK_BYTES // align) * align
    remaining = layout.data_bytes - layout.data_bytes % align
    stream.seek(layout.data_offset)
    while remaining > 0:
        data = stream.read(min(remaining, block_bytes))
        data = data[: len(data) - len(data) % align]
        if not data:  # the file shrank while it was read
            raise AudioError(f"{name}: truncated while it was read")
        remaining -= len(data)
        samples = _samples(data, layout.format_tag, layout.bits, name)
        yield samples.reshape(-1, layout.channels)


def decode_pcm(payload: bytes, bits: int, *, name: str = "audio") -> Audio:
    """Little-endian PCM (8-bit unsigned; 16, 24 or 32-bit signed) as floats in [-1, 1],
    channels still interleaved."""
    return _samples(payload, FORMAT_PCM, bits, name)


def _samples(payload: bytes, format_tag: int, bits: int, name: str) -> Audio:
    if format_tag == FORMAT_FLOAT and bits in (32, 64):
        floats = np.frombuffer(payload, dtype="<f4" if bits == 32 else "<f8")
        return np.nan_to_num(floats.astype(np.float32), nan=0.0).clip(-1.0, 1.0)
    if format_tag != FORMAT_PCM:
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


def _compressed(stream: BinaryIO, layout: WavLayout, name: str) -> tuple[int, Blocks]:
    tag, bits = layout.format_tag, layout.bits
    unsupported = f"{name}: unsupported WAV encoding {tag:#06x} with {bits} bits"
    try:
        import soundfile  # type: ignore[import-untyped]
    except (ImportError, OSError) as error:  # OSError: the wheel's libsndfile did not load
        raise AudioError(f"{unsupported} (libsndfile is not available: {error})") from None
    stream.seek(0)
    try:
        sound = soundfile.SoundFile(stream)
    except soundfile.SoundFileError as error:
        if tag not in COMPRESSED_ENCODINGS:  # libsndfile would only call the header malformed
            raise AudioError(unsupported) from None
        raise AudioError(f"{name}: {layout.encoding} WAV not decodable: {_reason(error)}") from None
    try:
        check_duration(int(sound.frames), layout.sample_rate_hz, name)
    except AudioError:
        sound.close()
        raise

    def blocks() -> Blocks:
        with sound:
            try:
                for block in sound.blocks(blocksize=1 << 16, dtype="float32", always_2d=True):
                    yield np.asarray(block, dtype=np.float32)
            except soundfile.SoundFileError as error:
                reason = _reason(error)
                raise AudioError(f"{name}: {layout.encoding} WAV not decodable: {reason}") from None

    return int(sound.frames), blocks()


def _reason(error: Exception) -> str:
    """libsndfile's own words, without soundfile's prefix naming a Python object."""
    return str(getattr(error, "error_string", error))


def _mono_16k(blocks: Blocks, info: WavInfo, name: str) -> Audio:
    """Each block mixed to mono and resampled as it comes, into one array of the final size."""
    resampler = StreamResampler(info.sample_rate_hz, SAMPLE_RATE_HZ)
    kept = np.empty(-(-info.frames * resampler.up // resampler.down), dtype=np.float32)
    filled, peak = 0, 0.0
    for block in chain(_mixed(blocks), [None]):  # None: the end, where the rest is flushed
        part = resampler.flush() if block is None else resampler.process(block)
        if block is not None and block.size:
            peak = max(peak, float(np.max(np.abs(block))))
        if filled + len(part) > len(kept):  # a decoder gave more frames than it announced
            kept = np.concatenate([kept[:filled], np.empty(len(part), np.float32)])
        kept[filled : filled + len(part)] = part
        filled += len(part)
    if peak < _SILENCE_PEAK:
        level = 20 * np.log10(peak) if peak > 0 else float("-inf")
        raise AudioSilent(
            f"{name}: the recording is silent (peak level {level:.0f} dBFS over "
            f"{info.duration_seconds:.1f} s)"
        )
    return kept[:filled]


def _mixed(blocks: Blocks) -> Iterator[Audio]:
    for block in blocks:
        yield block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0]


def write_wav(path: Path, audio: Audio, sample_rate_hz: int) -> None:
    """Write mono float samples as 16-bit PCM."""
    pcm = to_pcm16(audio).astype("<i2", copy=False).tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + len(pcm), b"WAVE",
        b"fmt ", 16, FORMAT_PCM, 1, sample_rate_hz, sample_rate_hz * 2, 2, 16,
        b"data", len(pcm),
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(header + pcm)
    temporary.replace(path)
