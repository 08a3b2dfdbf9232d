"""A problem retried every 2 s is logged when it starts, then once a minute, then when it ends."""

from __future__ import annotations

import logging

import pytest

from assistant.live.repeated import RepeatedProblem


def test_a_lasting_problem_is_logged_once_a_minute_with_its_tries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    problem = RepeatedProblem(logging.getLogger("test.repeated"), "no microphone",
                              clock=lambda: now[0])  # fmt: skip
    with caplog.at_level(logging.INFO, logger="test.repeated"):
        for _ in range(90):  # three minutes of tries every 2 s
            problem.failed("device unavailable")
            now[0] += 2.0
        problem.ended()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines[0] == ("ERROR", "no microphone: device unavailable; trying again")
    assert [level for level, _ in lines] == ["ERROR", "WARNING", "WARNING", "WARNING"]
    assert lines[1][1] == "no microphone: still device unavailable (31 tries so far)"
    assert lines[-1][1] == "no microphone: working again after 90 tries"
