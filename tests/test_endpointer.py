"""The endpointer's timing rules, driven by plain numbers (seconds and probabilities)."""

from __future__ import annotations

import pytest

from assistant.audio.format import SAMPLE_RATE_HZ
from assistant.vad.endpointer import Endpoint, Endpointer
from assistant.vad.silero import WINDOW_SAMPLES

WINDOW_SECONDS = WINDOW_SAMPLES / SAMPLE_RATE_HZ

W = 0.05  # a round window length keeps the arithmetic readable
SPEECH = 0.9
SILENCE = 0.05


def make(**overrides: float) -> Endpointer:
    values = {
        "threshold": 0.5,
        "speech_seconds": 0.25,
        "silence_seconds": 0.7,
        "max_utterance_seconds": 15.0,
        "no_speech_timeout_seconds": 5.0,
    } | overrides
    return Endpointer(**values)


def feed(endpointer: Endpointer, probability: float, windows: int, width: float = W) -> Endpoint:
    state = endpointer.state
    for _ in range(windows):
        state = endpointer.process(width, probability)
    return state


def started(**overrides: float) -> Endpointer:
    """An endpointer that has heard 0.5 s of silence, then 0.5 s of speech."""
    endpointer = make(**overrides)
    feed(endpointer, SILENCE, 10)
    assert feed(endpointer, SPEECH, 10) is Endpoint.SPEAKING
    return endpointer


def test_speech_start_needs_speech_seconds() -> None:
    endpointer = make()
    assert feed(endpointer, SILENCE, 6) is Endpoint.WAITING  # 0.30 s of silence
    assert feed(endpointer, SPEECH, 4) is Endpoint.WAITING  # 0.20 s < 0.25 s
    assert endpointer.speech_start_seconds is None
    assert feed(endpointer, SPEECH, 1) is Endpoint.SPEAKING  # 0.25 s
    # The utterance starts where the run of speech started, not where it was confirmed.
    assert endpointer.speech_start_seconds == pytest.approx(0.30)
    assert endpointer.speech_end_seconds == pytest.approx(0.55)


def test_speech_start_with_real_silero_windows() -> None:
    endpointer = make()
    needed = 8  # 8 x 32 ms = 0.256 s is the first count reaching 0.25 s
    assert feed(endpointer, SPEECH, needed - 1, WINDOW_SECONDS) is Endpoint.WAITING
    assert feed(endpointer, SPEECH, 1, WINDOW_SECONDS) is Endpoint.SPEAKING
    assert endpointer.speech_start_seconds == pytest.approx(0.0)


def test_interrupted_burst_does_not_start_speech() -> None:
    endpointer = make()
    for _ in range(5):  # clicks: 0.2 s of "speech", then a gap, again and again
        feed(endpointer, SPEECH, 4)
        feed(endpointer, SILENCE, 1)
    assert endpointer.state is Endpoint.WAITING
    assert endpointer.speech_start_seconds is None


def test_ends_after_silence_seconds() -> None:
    endpointer = started()
    speech_end = endpointer.speech_end_seconds
    assert speech_end == pytest.approx(1.0)
    assert feed(endpointer, SILENCE, 13) is Endpoint.SPEAKING  # 0.65 s < 0.7 s
    assert feed(endpointer, SILENCE, 1) is Endpoint.ENDED  # 0.70 s
    assert endpointer.elapsed_seconds == pytest.approx(1.7)
    assert endpointer.speech_end_seconds == pytest.approx(speech_end)
    assert endpointer.speech_start_seconds == pytest.approx(0.5)


@pytest.mark.parametrize("silence_seconds", [0.3, 0.7, 1.2, 2.0])
def test_end_moves_with_silence_seconds(silence_seconds: float) -> None:
    endpointer = started(silence_seconds=silence_seconds)
    windows = 0
    while endpointer.process(W, SILENCE) is Endpoint.SPEAKING:
        windows += 1
    assert endpointer.state is Endpoint.ENDED
    assert endpointer.elapsed_seconds - 1.0 == pytest.approx(silence_seconds)


def test_pause_shorter_than_silence_seconds_does_not_end() -> None:
    endpointer = started()
    assert feed(endpointer, SILENCE, 12) is Endpoint.SPEAKING  # 0.6 s pause between words
    assert feed(endpointer, SPEECH, 1) is Endpoint.SPEAKING  # silence count starts over
    assert endpointer.speech_end_seconds == pytest.approx(1.65)
    assert feed(endpointer, SILENCE, 13) is Endpoint.SPEAKING
    assert feed(endpointer, SILENCE, 1) is Endpoint.ENDED
    assert endpointer.elapsed_seconds == pytest.approx(2.35)


def test_hysteresis_keeps_soft_speech_going_once_started() -> None:
    endpointer = started()
    # 0.4 is below the 0.5 threshold but above threshold - 0.15: still speech once speaking.
    assert feed(endpointer, 0.4, 40) is Endpoint.SPEAKING  # 2 s of soft syllables
    assert endpointer.speech_end_seconds == pytest.approx(3.0)
    # 0.3 is below the hysteresis band: silence.
    assert feed(endpointer, 0.3, 14) is Endpoint.ENDED
    assert endpointer.speech_end_seconds == pytest.approx(3.0)


def test_hysteresis_does_not_apply_before_speech_starts() -> None:
    endpointer = make()
    assert feed(endpointer, 0.4, 20) is Endpoint.WAITING
    assert endpointer.speech_start_seconds is None


def test_max_utterance_length_ends_endless_speech() -> None:
    endpointer = make(max_utterance_seconds=3.0)
    feed(endpointer, SILENCE, 4)  # 0.2 s
    assert feed(endpointer, SPEECH, 58) is Endpoint.SPEAKING  # started at 0.2 s, 2.9 s of it
    windows = 0
    while endpointer.process(W, SPEECH) is Endpoint.SPEAKING:
        windows += 1
    assert endpointer.state is Endpoint.MAX_LENGTH
    assert endpointer.state.finished
    assert endpointer.speech_start_seconds == pytest.approx(0.2)
    # Ends on the window that reaches 3 s after the start (floating-point sums of 0.05 may
    # land a hair short of 3.0, so one more window is tolerated).
    assert 3.0 - 1e-6 <= endpointer.elapsed_seconds - 0.2 <= 3.0 + W + 1e-6


def test_no_speech_timeout() -> None:
    endpointer = make(no_speech_timeout_seconds=2.0)
    assert feed(endpointer, SILENCE, 39) is Endpoint.WAITING  # 1.95 s
    assert feed(endpointer, SILENCE, 1) is Endpoint.NO_SPEECH  # 2.0 s
    assert endpointer.speech_start_seconds is None
    assert endpointer.elapsed_seconds == pytest.approx(2.0)


def test_speech_before_the_timeout_prevents_no_speech() -> None:
    endpointer = make(no_speech_timeout_seconds=2.0, silence_seconds=3.0)
    feed(endpointer, SILENCE, 30)  # 1.5 s
    assert feed(endpointer, SPEECH, 6) is Endpoint.SPEAKING
    # Long silence after speech started ends the utterance; it is never "no speech".
    assert feed(endpointer, SILENCE, 59) is Endpoint.SPEAKING
    assert feed(endpointer, SILENCE, 1) is Endpoint.ENDED


def test_finished_states_are_final() -> None:
    endpointer = started(silence_seconds=0.1)
    assert feed(endpointer, SILENCE, 2) is Endpoint.ENDED
    elapsed = endpointer.elapsed_seconds
    assert feed(endpointer, SPEECH, 10) is Endpoint.ENDED
    assert endpointer.elapsed_seconds == elapsed


def test_which_states_are_finished() -> None:
    assert {state for state in Endpoint if state.finished} == {
        Endpoint.ENDED,
        Endpoint.MAX_LENGTH,
        Endpoint.NO_SPEECH,
    }
