"""WAV decoding of every common encoding, resampling to 16 kHz, and precise errors.

The WAV bytes are built here with `struct`, so each test says exactly what is in the file.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.format import SAMPLE_RATE_HZ
from assistant.audio.resample import resample
from assistant.audio.wav import (
    decode_wav,
    load_for_models,
    read_wav,
    to_model_input,
    write_wav,
)
from assistant.errors import AudioError, AudioSilent

PCM, FLOAT, WMA, EXTENSIBLE = 0x0001, 0x0003, 0x0161, 0xFFFE


# --- building WAV files -----------------------------------------------------------------------


def chunk(chunk_id: bytes, body: bytes, *, declared: int | None = None) -> bytes:
    size = len(body) if declared is None else declared
    return chunk_id + struct.pack("<I", size) + body + (b"\0" if len(body) % 2 else b"")


def fmt_chunk(
    tag: int, channels: int, rate: int, bits: int, *, block_align: int | None = None
) -> bytes:
    align = channels * ((bits + 7) // 8) if block_align is None else block_align
    return chunk(b"fmt ", struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits))


def extensible_fmt_chunk(sub_format: int, channels: int, rate: int, bits: int) -> bytes:
    align = channels * ((bits + 7) // 8)
    guid = struct.pack("<IHH", sub_format, 0x0000, 0x0010) + bytes.fromhex("800000aa00389b71")
    mask = 0x3 if channels == 2 else 0x4
    body = struct.pack("<HHIIHH", EXTENSIBLE, channels, rate, rate * align, align, bits)
    body += struct.pack("<HHI", 22, bits, mask) + guid
    return chunk(b"fmt ", body)


def riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def encode(samples: np.ndarray, tag: int, bits: int) -> bytes:
    """Interleaved float samples in [-1, 1] to the bytes of a data chunk."""
    flat = np.asarray(samples, dtype=np.float64).reshape(-1)
    if tag == FLOAT:
        return flat.astype("<f4" if bits == 32 else "<f8").tobytes()
    if bits == 8:
        return np.clip(np.round(flat * 128 + 128), 0, 255).astype(np.uint8).tobytes()
    scale = float(1 << (bits - 1))
    ints = np.clip(np.round(flat * scale), -scale, scale - 1).astype(np.int64)
    if bits == 16:
        return ints.astype("<i2").tobytes()
    if bits == 32:
        return ints.astype("<i4").tobytes()
    if bits == 24:
        unsigned = ints & 0xFFFFFF
        triples = np.stack([unsigned & 0xFF, (unsigned >> 8) & 0xFF, unsigned >> 16], axis=1)
        return triples.astype(np.uint8).tobytes()
    raise ValueError(bits)


def wav_bytes(samples: np.ndarray, *, tag: int = PCM, bits: int = 16, rate: int = 16_000) -> bytes:
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    return riff(fmt_chunk(tag, channels, rate, bits), chunk(b"data", encode(samples, tag, bits)))


def sine(frequency_hz: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * frequency_hz * t)


def dominant_frequency(audio: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)])


# Full scale both ways, zero, and a sine: the values every decoder gets wrong first.
SIGNAL = np.concatenate([[-1.0, 0.0, 0.999, -0.5, 0.25], sine(440, 16_000, 0.05)])


# --- decoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "bits", "tolerance"),
    [
        (PCM, 8, 1 / 128),
        (PCM, 16, 1 / 32768),
        (PCM, 24, 1 / 8388608),
        (PCM, 32, 1e-7),
        (FLOAT, 32, 1e-7),
        (FLOAT, 64, 1e-7),
    ],
    ids=["pcm8", "pcm16", "pcm24", "pcm32", "float32", "float64"],
)
def test_decodes_each_encoding(tag: int, bits: int, tolerance: float) -> None:
    audio, info = decode_wav(wav_bytes(SIGNAL, tag=tag, bits=bits))
    assert audio.dtype == np.float32
    assert audio.shape == (len(SIGNAL), 1)
    assert info.bits_per_sample == bits
    assert info.encoding == ("float" if tag == FLOAT else "pcm")
    assert info.channels == 1
    assert info.sample_rate_hz == 16_000
    assert info.frames == len(SIGNAL)
    np.testing.assert_allclose(audio[:, 0], SIGNAL, atol=tolerance)
    assert audio[0, 0] == -1.0  # negative full scale is exactly -1 in every encoding
    assert float(audio.max()) <= 1.0


def test_float_samples_out_of_range_are_clipped_and_nan_zeroed() -> None:
    samples = np.array([1.5, -3.0, np.nan, 0.25])
    audio, _ = decode_wav(wav_bytes(samples, tag=FLOAT, bits=32))
    np.testing.assert_array_equal(audio[:, 0], np.array([1.0, -1.0, 0.0, 0.25], np.float32))


def test_stereo_keeps_channels_and_mixes_down_to_mono() -> None:
    left = sine(440, 16_000, 0.1)
    right = np.full_like(left, 0.25)
    audio, info = decode_wav(wav_bytes(np.stack([left, right], axis=1)))
    assert info.channels == 2
    assert audio.shape == (len(left), 2)
    np.testing.assert_allclose(audio[:, 0], left, atol=1e-4)
    np.testing.assert_allclose(audio[:, 1], right, atol=1e-4)
    mono = to_model_input(audio, info)
    assert mono.shape == (len(left),)
    np.testing.assert_allclose(mono, (left + right) / 2, atol=1e-4)


@pytest.mark.parametrize(
    ("sub_format", "bits", "encoding"),
    [(PCM, 16, "pcm"), (PCM, 24, "pcm"), (FLOAT, 32, "float")],
)
def test_wave_format_extensible(sub_format: int, bits: int, encoding: str) -> None:
    stereo = np.stack([SIGNAL, -SIGNAL[::-1]], axis=1)
    data = riff(
        extensible_fmt_chunk(sub_format, 2, 48_000, bits),
        chunk(b"data", encode(stereo, sub_format, bits)),
    )
    audio, info = decode_wav(data)
    assert info.encoding == encoding
    assert info.sample_rate_hz == 48_000
    assert audio.shape == stereo.shape
    np.testing.assert_allclose(audio, stereo, atol=1e-4)


def test_chunks_before_data_are_skipped_including_odd_sized_ones() -> None:
    samples = sine(440, 16_000, 0.05)
    data = riff(
        fmt_chunk(PCM, 1, 16_000, 16),
        chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00abcde"),  # odd length, padded to even
        chunk(b"fact", struct.pack("<I", len(samples))),
        chunk(b"data", encode(samples, PCM, 16)),
    )
    audio, info = decode_wav(data)
    assert info.frames == len(samples)
    np.testing.assert_allclose(audio[:, 0], samples, atol=1e-4)


def test_streaming_header_with_unknown_length_reads_to_the_end() -> None:
    samples = sine(440, 16_000, 0.05)
    pcm = encode(samples, PCM, 16)
    data = riff(fmt_chunk(PCM, 1, 16_000, 16), b"data" + struct.pack("<I", 0xFFFFFFFF) + pcm)
    audio, info = decode_wav(data)
    assert info.frames == len(samples)
    np.testing.assert_allclose(audio[:, 0], samples, atol=1e-4)


def test_write_wav_round_trips(tmp_path: Path) -> None:
    samples = sine(330, 22_050, 0.2).astype(np.float32)
    target = tmp_path / "sub" / "reply.wav"
    write_wav(target, samples, 22_050)
    assert target.is_file()
    assert not list(tmp_path.rglob("*.tmp"))
    audio, info = read_wav(target)
    assert (info.sample_rate_hz, info.channels, info.bits_per_sample) == (22_050, 1, 16)
    np.testing.assert_allclose(audio[:, 0], samples, atol=1e-4)


# --- resampling to the models' 16 kHz ---------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "frequency_hz"),
    [(44_100, 1000.0), (8_000, 440.0), (48_000, 2500.0), (22_050, 3000.0), (16_000, 700.0)],
)
def test_resampled_to_16k_with_frequency_preserved(
    tmp_path: Path, rate: int, frequency_hz: float
) -> None:
    path = tmp_path / f"tone-{rate}.wav"
    path.write_bytes(wav_bytes(sine(frequency_hz, rate, 1.0), rate=rate))
    audio, info = load_for_models(path)
    assert info.sample_rate_hz == rate
    assert info.duration_seconds == pytest.approx(1.0)
    assert audio.ndim == 1
    assert abs(len(audio) - SAMPLE_RATE_HZ) <= 1
    assert dominant_frequency(audio, SAMPLE_RATE_HZ) == pytest.approx(frequency_hz, abs=2)
    # The level survives too (RMS of a 0.5 sine is 0.354), away from the filter's edges.
    middle = audio[2000:-2000]
    assert float(np.sqrt(np.mean(middle**2))) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_downsampling_filters_out_what_16k_cannot_hold() -> None:
    # 10 kHz is above the new 8 kHz Nyquist: without an anti-alias filter it folds to 6 kHz.
    tone = sine(10_000, 44_100, 1.0).astype(np.float32)
    converted = resample(tone, 44_100, 16_000)
    assert float(np.sqrt(np.mean(converted[1000:-1000] ** 2))) < 0.01


def test_resample_is_a_no_op_at_the_same_rate() -> None:
    tone = sine(440, 16_000, 0.1).astype(np.float32)
    np.testing.assert_array_equal(resample(tone, 16_000, 16_000), tone)


# --- errors -----------------------------------------------------------------------------------


def assert_audio_error(data: bytes, *fragments: str) -> AudioError:
    with pytest.raises(AudioError) as caught:
        decode_wav(data, name="clip.wav")
    error = caught.value
    assert error.code == "audio-invalid"
    assert error.message.startswith("clip.wav: ")
    for fragment in fragments:
        assert fragment in error.message
    return error


def test_empty_file() -> None:
    assert_audio_error(b"", "the file is empty")


@pytest.mark.parametrize(
    "data",
    [b"hello, this is not audio at all", b"RIFF\x10\x00\x00\x00AVI LIST", b"ID3\x03\x00" * 20],
    ids=["text", "avi", "mp3"],
)
def test_not_riff_wave(data: bytes) -> None:
    assert_audio_error(data, "not a WAV file")


def test_truncated_data_chunk() -> None:
    pcm = encode(sine(440, 16_000, 0.5), PCM, 16)  # 16000 bytes
    data = riff(fmt_chunk(PCM, 1, 16_000, 16), b"data" + struct.pack("<I", len(pcm)) + pcm)
    cut = data[: len(data) - 6000]
    assert_audio_error(cut, "truncated", "16000 bytes", "10000 are present")


def test_missing_data_chunk() -> None:
    assert_audio_error(riff(fmt_chunk(PCM, 1, 16_000, 16)), "no 'data' chunk")


def test_missing_fmt_chunk() -> None:
    assert_audio_error(riff(chunk(b"data", b"\x00\x01" * 100)), "no valid 'fmt ' chunk")


def test_data_chunk_without_frames() -> None:
    assert_audio_error(riff(fmt_chunk(PCM, 1, 16_000, 16), chunk(b"data", b"")), "no audio frames")


def test_unsupported_encoding_is_named() -> None:
    data = riff(fmt_chunk(WMA, 1, 8_000, 8), chunk(b"data", b"\xd5" * 800))
    assert_audio_error(data, "unsupported WAV encoding 0x0161")


def test_inconsistent_block_align() -> None:
    data = riff(fmt_chunk(PCM, 2, 16_000, 16, block_align=3), chunk(b"data", b"\0" * 120))
    assert_audio_error(data, "block align 3")


@pytest.mark.parametrize("peak", [0.0, 1e-4])
def test_silent_file(tmp_path: Path, peak: float) -> None:
    path = tmp_path / "silence.wav"
    path.write_bytes(wav_bytes(np.full(32_000, peak)))
    with pytest.raises(AudioSilent) as caught:
        load_for_models(path)
    assert caught.value.code == "audio-silent"
    assert isinstance(caught.value, AudioError)
    assert caught.value.message.startswith(f"{path}: the recording is silent")
    assert "2.0 s" in caught.value.message


def test_quiet_noise_is_not_silence(tmp_path: Path) -> None:
    path = tmp_path / "hiss.wav"
    noise = np.random.default_rng(7).normal(0, 0.003, 16_000)
    path.write_bytes(wav_bytes(noise))
    audio, _ = load_for_models(path)
    assert len(audio) == 16_000
    assert float(np.abs(audio).max()) > 0.005


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as caught:
        read_wav(tmp_path)
    assert caught.value.code == "audio-invalid"
    assert caught.value.message == f"{tmp_path}: is a folder, not a WAV file"


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.wav"
    with pytest.raises(AudioError) as caught:
        read_wav(missing)
    assert caught.value.code == "audio-invalid"
    assert caught.value.message == f"{missing}: no such file"


def test_errors_name_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF")
    with pytest.raises(AudioError) as caught:
        read_wav(path)
    assert caught.value.message == f"{path}: not a WAV file (no RIFF/WAVE header)"
    assert caught.value.as_dict() == {"code": "audio-invalid", "message": caught.value.message}
