"""WAV files at the edges: lying headers, the longest file accepted, memory, compressed encodings.

Big files are made sparse (a header, then `truncate` to the announced length), so they cost
no time to write; the reading is what is tested.
"""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile

from assistant.audio.format import SAMPLE_RATE_HZ
from assistant.audio.wav import MAX_SECONDS, decode_wav, load_for_models, to_model_input
from assistant.errors import AudioError
from tests.test_wav import (
    PCM,
    assert_audio_error,
    chunk,
    dominant_frequency,
    encode,
    fmt_chunk,
    riff,
    sine,
    wav_bytes,
)


def sparse_wav(
    path: Path, *, rate: int, channels: int, seconds: float, declared: int | None = None
) -> Path:
    """A 16-bit PCM file of `seconds` of zeros but for a 440 Hz burst at its start."""
    frames = round(rate * seconds)
    data_bytes = frames * channels * 2
    burst = np.repeat(sine(440, rate, 0.1)[:, None], channels, axis=1)
    header = riff(fmt_chunk(PCM, channels, rate, 16), b"")
    header = header[:4] + struct.pack("<I", 36 + data_bytes) + header[8:]
    size = data_bytes if declared is None else declared
    with path.open("wb") as file:
        file.write(header + b"data" + struct.pack("<I", size) + encode(burst, PCM, 16))
        file.truncate(len(header) + 8 + data_bytes)
    return path


# --- sample rates (issue 26) ------------------------------------------------------------------


@pytest.mark.parametrize("rate", [4_294_967_295, 999_983, 192_001, 7_999, 1_000])
def test_a_rate_outside_8_to_192_khz_is_refused(rate: int) -> None:
    byte_rate = rate * 2 & 0xFFFFFFFF  # a liar's byte rate overflows too
    fmt = chunk(b"fmt ", struct.pack("<HHIIHH", PCM, 1, rate, byte_rate, 2, 16))
    data = riff(fmt, chunk(b"data", b"\x01\x02" * 16_000))
    assert_audio_error(data, f"unsupported sample rate of {rate} Hz", "accepted: 8000 to 192000 Hz")


def test_a_lying_rate_is_refused_for_the_models_too(tmp_path: Path) -> None:
    path = tmp_path / "liar.wav"
    path.write_bytes(wav_bytes(sine(440, 16_000, 1.0), rate=999_983))
    with pytest.raises(AudioError) as caught:
        load_for_models(path)
    assert caught.value.as_dict() == {
        "code": "audio-invalid",
        "message": f"{path}: unsupported sample rate of 999983 Hz (accepted: 8000 to 192000 Hz)",
    }


@pytest.mark.parametrize("rate", [8_000, 44_101, 191_999, 192_000])
def test_every_rate_in_the_range_is_heard_at_16_khz(tmp_path: Path, rate: int) -> None:
    # 44101 and 191999 share no factor with 16000: their exact ratio would need a filter of
    # millions of taps; the nearest small fraction is used, and pitch and length barely move.
    path = tmp_path / f"tone-{rate}.wav"
    path.write_bytes(wav_bytes(sine(1000, rate, 0.5), rate=rate))
    audio, info = load_for_models(path)
    assert info.sample_rate_hz == rate
    assert len(audio) == pytest.approx(SAMPLE_RATE_HZ * 0.5, rel=1e-3)
    assert dominant_frequency(audio, SAMPLE_RATE_HZ) == pytest.approx(1000, abs=3)


# --- length and memory (issue 7) --------------------------------------------------------------


def test_a_file_longer_than_the_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = sparse_wav(tmp_path / "hour.wav", rate=16_000, channels=1, seconds=MAX_SECONDS + 1)
    with pytest.raises(AudioError) as caught:
        load_for_models(path)
    assert caught.value.code == "audio-invalid"
    assert caught.value.message == (
        f"{path}: too long: 601 s of audio, and at most 600 s are accepted"
    )


def test_a_streaming_header_over_the_bound_is_refused_too(tmp_path: Path) -> None:
    path = sparse_wav(
        tmp_path / "stream.wav", rate=48_000, channels=2, seconds=700, declared=0xFFFFFFFF
    )
    with pytest.raises(AudioError) as caught:
        load_for_models(path)
    assert caught.value.code == "audio-invalid"
    assert "too long: 700 s of audio" in caught.value.message


def test_memory_follows_the_audio_kept_not_the_file(tmp_path: Path) -> None:
    # Two minutes of 48 kHz stereo: 23 MB of file, 7.7 MB kept as 16 kHz mono float32. Read
    # whole, this took 130 MB (the bytes, the float samples of both channels, the mix, the
    # filter's copies); in blocks, only the kept audio and about a megabyte's worth of block.
    path = sparse_wav(tmp_path / "long.wav", rate=48_000, channels=2, seconds=120)
    tracemalloc.start()
    try:
        audio, info = load_for_models(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (info.sample_rate_hz, info.channels, info.frames) == (48_000, 2, 48_000 * 120)
    assert len(audio) == SAMPLE_RATE_HZ * 120
    assert dominant_frequency(audio[:1600], SAMPLE_RATE_HZ) == pytest.approx(440, abs=15)
    assert peak < audio.nbytes + 16_000_000, f"peak {peak / 1e6:.0f} MB"


def test_blocks_join_without_a_seam(tmp_path: Path) -> None:
    # Long enough for several blocks: read in blocks it is the same as resampled whole.
    tone = sine(1000, 44_100, 8.0)
    path = tmp_path / "tone.wav"
    path.write_bytes(wav_bytes(np.stack([tone, tone], axis=1), rate=44_100))
    audio, _ = load_for_models(path)
    whole, info = decode_wav(path.read_bytes())

    np.testing.assert_allclose(audio, to_model_input(whole, info), atol=1e-6)


# --- compressed encodings, through libsndfile -------------------------------------------------


@pytest.mark.parametrize(
    ("subtype", "encoding"),
    [("IMA_ADPCM", "ima-adpcm"), ("MS_ADPCM", "ms-adpcm"), ("ULAW", "mu-law"), ("ALAW", "a-law")],
)
def test_compressed_encodings_are_decoded(tmp_path: Path, subtype: str, encoding: str) -> None:
    path = tmp_path / f"{subtype}.wav"
    stereo = np.stack([sine(700, 22_050, 1.0), sine(700, 22_050, 1.0)], axis=1)
    soundfile.write(path, stereo, 22_050, subtype=subtype, format="WAV")
    audio, info = load_for_models(path)
    assert (info.encoding, info.channels, info.sample_rate_hz) == (encoding, 2, 22_050)
    # ADPCM holds whole blocks of about 1000 samples: the last one is padded with silence.
    assert SAMPLE_RATE_HZ <= len(audio) <= SAMPLE_RATE_HZ * 1.05
    assert dominant_frequency(audio, SAMPLE_RATE_HZ) == pytest.approx(700, abs=2)
    middle = audio[2000:-2000]
    assert float(np.sqrt(np.mean(middle**2))) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_truncated_adpcm_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    soundfile.write(path, sine(700, 16_000, 1.0), 16_000, subtype="IMA_ADPCM", format="WAV")
    data = path.read_bytes()
    with pytest.raises(AudioError) as caught:
        decode_wav(data[:-1000], name="cut.wav")
    assert caught.value.code == "audio-invalid"
    assert "cut.wav: truncated: the header announces" in caught.value.message


def test_malformed_adpcm_says_what_libsndfile_found() -> None:
    data = riff(fmt_chunk(0x0011, 1, 8_000, 8), chunk(b"data", b"\xd5" * 800))
    error = assert_audio_error(data, "ima-adpcm WAV not decodable: ", "Invalid bit width")
    assert "object at 0x" not in error.message
