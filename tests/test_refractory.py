"""The refractory gate: one spoken wake word yields one detection, per model."""

from __future__ import annotations

import pytest

from assistant.wake.refractory import RefractoryGate

FRAME_SECONDS = 0.08  # openWakeWord scores 80 ms frames


def test_scores_below_threshold_never_fire() -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=2.0)
    assert [
        gate.accept("hey_jarvis", score, 0.08 * i)
        for i, score in enumerate([0.0, 0.2, 0.49, 0.4999])
    ] == [False, False, False, False]


def test_score_at_threshold_fires() -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=2.0)
    assert gate.accept("hey_jarvis", 0.5, 1.0) is True


def test_one_bump_of_scores_is_one_detection() -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=2.0)
    bump = [0.01, 0.3, 0.62, 0.91, 0.97, 0.88, 0.55, 0.2, 0.02]
    fired = [
        round(i * FRAME_SECONDS, 2)
        for i, score in enumerate(bump)
        if gate.accept("hey_jarvis", score, i * FRAME_SECONDS)
    ]
    assert fired == [0.16]


def test_same_model_is_suppressed_within_the_period() -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=2.0)
    assert gate.accept("hey_jarvis", 0.9, 10.0) is True
    assert gate.accept("hey_jarvis", 0.99, 10.08) is False
    assert gate.accept("hey_jarvis", 0.99, 11.0) is False
    assert gate.accept("hey_jarvis", 0.99, 11.99) is False


def test_other_model_is_not_suppressed() -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=2.0)
    assert gate.accept("hey_jarvis", 0.9, 10.0) is True
    assert gate.accept("alexa", 0.8, 10.08) is True
    # ... and each model then has its own period.
    assert gate.accept("alexa", 0.8, 10.16) is False
    assert gate.accept("hey_jarvis", 0.9, 10.16) is False


def test_fires_again_after_the_period() -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=2.0)
    assert gate.accept("hey_jarvis", 0.9, 10.0) is True
    assert gate.accept("hey_jarvis", 0.9, 12.0) is True  # exactly one period later
    assert gate.accept("hey_jarvis", 0.9, 13.0) is False
    assert gate.accept("hey_jarvis", 0.9, 14.5) is True


def test_suppressed_scores_do_not_extend_the_period() -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=2.0)
    assert gate.accept("hey_jarvis", 0.9, 0.0) is True
    for now in (0.5, 1.0, 1.5, 1.92):  # a long, loud tail is still the same utterance
        assert gate.accept("hey_jarvis", 0.9, now) is False
    assert gate.accept("hey_jarvis", 0.9, 2.0) is True


def test_reset_forgets_previous_detections() -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=2.0)
    assert gate.accept("hey_jarvis", 0.9, 5.0) is True
    gate.reset()
    # After a reset (a new file or stream) the clock restarts at 0, before the old detection.
    assert gate.accept("hey_jarvis", 0.9, 0.08) is True


@pytest.mark.parametrize("times", [[0.0, 0.08, 0.16], [1.0, 1.0]])
def test_zero_period_accepts_every_score_above_threshold(times: list[float]) -> None:
    gate = RefractoryGate(threshold=0.5, refractory_seconds=0.0)
    assert all(gate.accept("hey_jarvis", 0.7, now) for now in times)
