"""The live loop's parts on their own: no models, no sound card."""

from __future__ import annotations

import time

import numpy as np
import pytest

from assistant.audio.format import SAMPLE_RATE_HZ
from assistant.audio.resample import resample
from assistant.audio.stream_resample import StreamResampler
from assistant.config import AudioSettings
from assistant.live.backend import AudioDeviceError, DeviceInfo, choose_device
from assistant.live.earcons import EARCONS, RATE_HZ, earcon
from assistant.live.echo import EchoGuard, echo_likeness
from assistant.live.playback import Speaker
from assistant.live.virtual_card import VirtualSoundCard

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("rate_hz", [8_000, 16_000, 22_050, 44_100, 48_000])
def test_block_by_block_resampling_equals_resampling_the_whole(rate_hz: int) -> None:
    t = np.arange(2 * rate_hz) / rate_hz
    signal = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    stream = StreamResampler(rate_hz, 16_000)
    block = rate_hz * 80 // 1000
    pieces = [stream.process(signal[i : i + block]) for i in range(0, len(signal), block)]
    streamed = np.concatenate(pieces)
    whole = resample(signal, rate_hz, 16_000)
    # Everything but the last few milliseconds (held back for the filter) is out, and exact.
    assert len(whole) - 40 <= len(streamed) <= len(whole)
    assert np.max(np.abs(streamed - whole[: len(streamed)])) < 1e-5


def test_echo_is_recognised_at_a_delay_and_a_person_talking_over_it_is_not() -> None:
    played = (RNG.standard_normal(3 * 16_000) * 0.1).astype(np.float32)
    delay = 3_200  # 200 ms from speaker to microphone
    echo = 0.4 * np.concatenate([np.zeros(delay, dtype=np.float32), played])[: len(played)]
    assert echo_likeness(echo[-16_000:], played) > 0.95
    person = (RNG.standard_normal(16_000) * 0.1).astype(np.float32)
    assert echo_likeness(person, played) < 0.1
    assert echo_likeness(echo[-16_000:] + 2 * person, played) < 0.5
    assert echo_likeness(np.zeros(16_000, dtype=np.float32), played) == 0.0


def test_the_guard_mutes_echo_frames_only() -> None:
    played = (RNG.standard_normal(3 * 16_000) * 0.1).astype(np.float32)
    heard = 0.5 * np.concatenate([np.zeros(1_600, dtype=np.float32), played])[: len(played)]
    pcm = (heard * 32767).astype(np.int16)
    guard = EchoGuard()
    starts = range(len(pcm) - 16_000, len(pcm) - 1_280 + 1, 1_280)
    # Each frame is compared with what had been played by the time it was heard.
    filtered = [guard.filter(pcm[s : s + 1_280], played[: s + 1_280]) for s in starts]
    assert not any(frame.any() for frame in filtered[2:])
    # A person talking while it plays: unlike the reference, so it passes untouched.
    talker = EchoGuard()
    voice = (RNG.standard_normal(16_000) * 0.3 * 32767).astype(np.int16)
    passed = [talker.filter(voice[s : s + 1_280], played) for s in range(0, 16_000 - 1_279, 1_280)]
    assert talker.muted_frames == 0 and np.array_equal(np.concatenate(passed), voice[:15_360])


def test_the_first_words_after_the_speaker_opened_are_recognised_as_echo() -> None:
    # The speaker has played less than the window and the delays searched: it was silent
    # before, so the echo of its first words is still compared (they were let through).
    played = (RNG.standard_normal(7_200) * 0.1).astype(np.float32)
    heard = 0.5 * np.concatenate([np.zeros(1_600, dtype=np.float32), played])[: len(played)]
    assert echo_likeness(heard, played) > 0.95


def test_a_frame_taken_late_is_compared_with_what_played_before_it_was_captured() -> None:
    speaker = Speaker(VirtualSoundCard(), AudioSettings(volume=1.0))
    speaker.rate_hz = SAMPLE_RATE_HZ  # as if opened on a 16 kHz card; its callback is called here
    before = np.full((320, 1), 0.5, dtype=np.float32)
    speaker.play(before[:, 0], SAMPLE_RATE_HZ)
    speaker._fill(np.zeros((320, 1), dtype=np.float32))  # the card's callback
    captured = time.monotonic()
    speaker.play(before[:, 0] * 2, SAMPLE_RATE_HZ)
    speaker._fill(np.zeros((320, 1), dtype=np.float32))
    assert np.max(speaker.reference(captured)) == pytest.approx(0.5, abs=0.01)
    assert np.max(speaker.reference(time.monotonic())) == pytest.approx(1.0, abs=0.01)
    # A frame captured during the reply is still guarded after the reply's tail has passed.
    speaker.stop()
    assert speaker.recently_played(0.2, captured) and not speaker.recently_played(0.2, 1e9)


def test_long_silence_is_counted_not_resampled_and_the_reference_keeps_its_timing() -> None:
    rate = 44_100
    speaker = Speaker(VirtualSoundCard(), AudioSettings(volume=1.0))
    speaker.rate_hz = rate  # as if opened on a 44.1 kHz card; its callback is called here
    speaker._to_model_rate = StreamResampler(rate, SAMPLE_RATE_HZ)
    block = rate * 20 // 1000
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(10 * block) / rate)).astype(np.float32)
    for _ in range(50):  # a second of silence, most of it counted rather than resampled
        speaker._fill(np.zeros((block, 1), dtype=np.float32))
    speaker.play(tone, rate)
    for _ in range(12):
        speaker._fill(np.zeros((block, 1), dtype=np.float32))
    played = np.concatenate([np.zeros(50 * block), tone, np.zeros(2 * block)])
    whole = resample(played.astype(np.float32), rate, SAMPLE_RATE_HZ)
    reference = speaker.reference(time.monotonic())
    assert abs(len(reference) - len(whole)) <= 40  # the same timing, within the filter's reach
    assert echo_likeness(whole[-SAMPLE_RATE_HZ:], reference) > 0.95


DEVICES = [
    DeviceInfo(0, "HDA Intel PCH: ALC3246 Analog", 2, 2, 44_100, True, True),
    DeviceInfo(1, "Jabra SPEAK 410 USB", 1, 2, 48_000),
    DeviceInfo(2, "seeed-2mic-voicecard", 2, 2, 48_000),
]


def test_devices_are_chosen_by_index_name_or_default() -> None:
    assert choose_device(DEVICES, None, direction="input").index == 0
    assert choose_device(DEVICES, "jabra", direction="input").index == 1
    assert choose_device(DEVICES, 2, direction="output").index == 2
    assert choose_device(DEVICES, "2", direction="input").index == 2
    with pytest.raises(AudioDeviceError, match="no input device 'respeaker'"):
        choose_device(DEVICES, "respeaker", direction="input")
    with pytest.raises(AudioDeviceError, match="fits several"):
        choose_device(DEVICES, "a", direction="input")
    with pytest.raises(AudioDeviceError, match="audio group"):
        choose_device([], None, direction="input")


def test_earcons_are_short_soft_edged_and_distinct() -> None:
    sounds = {name: earcon(name) for name in EARCONS}
    for sound in sounds.values():
        assert 0.1 < len(sound) / RATE_HZ < 0.6
        assert abs(sound[0]) < 0.01 and abs(sound[-1]) < 0.01  # no click at either end
        assert 0.4 < np.abs(sound).max() <= 0.5
    assert len({len(sound) for sound in sounds.values()}) == len(sounds)
