"""The RIFF/WAVE header: where the samples are, how they are encoded, and whether to read them.

Python's `wave` module rejects float and WAVE_FORMAT_EXTENSIBLE files and silently returns
fewer frames for a truncated file, so the RIFF chunks are parsed here instead. Only the chunk
headers are read (the file is walked with seeks), so a lying header is refused before a single
sample is decoded or a byte of memory is spent on it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from assistant.errors import AudioError

FORMAT_PCM = 0x0001
FORMAT_FLOAT = 0x0003
_FORMAT_EXTENSIBLE = 0xFFFE
COMPRESSED_ENCODINGS = {
    0x0002: "ms-adpcm",
    0x0006: "a-law",
    0x0007: "mu-law",
    0x0011: "ima-adpcm",
    0x0031: "gsm",
}
"""Encodings libsndfile decodes; named in WavInfo.encoding."""

MIN_RATE_HZ = 8_000
"""Telephone audio, the lowest rate anyone records speech at."""
MAX_RATE_HZ = 192_000
"""The highest rate sound cards and editors write."""
MAX_SECONDS = 600.0
"""Ten minutes: far more than a command (`vad.max_utterance_seconds` after the wake word and
the wait for it). Kept at 16 kHz that is 38 MB; a longer file is refused before it is read."""


@dataclass(frozen=True)
class WavInfo:
    sample_rate_hz: int
    channels: int
    bits_per_sample: int
    encoding: str  # "pcm", "float", or one of COMPRESSED_ENCODINGS' names
    frames: int

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate_hz


@dataclass(frozen=True)
class WavLayout:
    """What the header says: the encoding and where the data chunk's bytes are."""

    format_tag: int
    channels: int
    sample_rate_hz: int
    bits: int
    block_align: int
    data_offset: int
    data_bytes: int

    @property
    def compressed(self) -> bool:
        return self.format_tag not in (FORMAT_PCM, FORMAT_FLOAT)

    @property
    def encoding(self) -> str:
        if self.format_tag == FORMAT_FLOAT:
            return "float"
        if self.format_tag == FORMAT_PCM:
            return "pcm"
        return COMPRESSED_ENCODINGS.get(self.format_tag, f"{self.format_tag:#06x}")

    def info(self, frames: int) -> WavInfo:
        return WavInfo(self.sample_rate_hz, self.channels, self.bits, self.encoding, frames)


def read_layout(stream: BinaryIO, file_bytes: int, name: str) -> WavLayout:  # noqa: PLR0912
    """The header of a WAV file, checked; raises AudioError naming what is wrong."""
    if file_bytes == 0:
        raise AudioError(f"{name}: the file is empty")
    start = stream.read(12)
    if len(start) < 12 or start[0:4] != b"RIFF" or start[8:12] != b"WAVE":
        raise AudioError(f"{name}: not a WAV file (no RIFF/WAVE header)")
    fmt: bytes | None = None
    data_offset: int | None = None
    declared_data_bytes = 0
    offset = 12
    while offset + 8 <= file_bytes:
        stream.seek(offset)
        chunk_id, size = struct.unpack("<4sI", stream.read(8))
        if chunk_id == b"fmt ":
            fmt = stream.read(min(size, 256))  # 40 bytes at most in any real file
        elif chunk_id == b"data":
            data_offset, declared_data_bytes = offset + 8, size
            break
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    if fmt is None or len(fmt) < 16:
        raise AudioError(f"{name}: WAV file has no valid 'fmt ' chunk")
    if data_offset is None:
        raise AudioError(f"{name}: WAV file has no 'data' chunk")
    format_tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if format_tag == _FORMAT_EXTENSIBLE and len(fmt) >= 26:
        (format_tag,) = struct.unpack_from("<H", fmt, 24)  # first two bytes of the sub-format GUID
    compressed = format_tag not in (FORMAT_PCM, FORMAT_FLOAT)
    if channels < 1 or (bits == 0 and not compressed):  # GSM declares 0 bits per sample
        raise AudioError(
            f"{name}: implausible WAV header ({channels} channels, {rate} Hz, {bits} bits)"
        )
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise AudioError(
            f"{name}: unsupported sample rate of {rate} Hz "
            f"(accepted: {MIN_RATE_HZ} to {MAX_RATE_HZ} Hz)"
        )
    # Compressed encodings (ADPCM) put a whole block of samples in one block_align.
    if block_align == 0 or (not compressed and block_align != channels * ((bits + 7) // 8)):
        raise AudioError(f"{name}: inconsistent WAV header (block align {block_align})")
    present = file_bytes - data_offset
    # 0xFFFFFFFF (or 0) is what streaming writers put before they know the length.
    if declared_data_bytes in (0, 0xFFFFFFFF):
        data_bytes = present
    elif present < declared_data_bytes:
        raise AudioError(
            f"{name}: truncated: the header announces {declared_data_bytes} bytes of audio "
            f"but only {present} are present"
        )
    else:
        data_bytes = declared_data_bytes
    layout = WavLayout(format_tag, channels, rate, bits, block_align, data_offset, data_bytes)
    if not compressed:
        check_duration(data_bytes // block_align, rate, name)
    return layout


def check_duration(frames: int, rate_hz: int, name: str) -> None:
    if frames == 0:
        raise AudioError(f"{name}: the WAV file contains no audio frames")
    if frames / rate_hz > MAX_SECONDS:
        raise AudioError(
            f"{name}: too long: {frames / rate_hz:.0f} s of audio, and at most "
            f"{MAX_SECONDS:.0f} s are accepted"
        )
