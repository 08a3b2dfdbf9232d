"""The hub's choice of the satellite that answers a wake word heard by several: plain logic on
reports, with the window and the rule; no models, no sound."""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np
import pytest

from assistant.hub.arbiter import LATE_SECONDS, Arbiter, merit
from assistant.live.hearing import SILENT_DBFS, WakeHeard, level_dbfs


def heard(name: str, score: float, level: float) -> WakeHeard:
    return WakeHeard(name, "hey_jarvis", score, level)


def test_the_level_is_rms_in_dbfs() -> None:
    full = np.ones(1600, dtype=np.float32)
    assert level_dbfs(full) == pytest.approx(0.0)
    assert level_dbfs(full * 0.1) == pytest.approx(-20.0, abs=1e-3)
    assert level_dbfs(np.zeros(1600, dtype=np.float32)) == SILENT_DBFS
    assert level_dbfs(np.zeros(0, dtype=np.float32)) == SILENT_DBFS


def test_ten_db_louder_beats_any_difference_of_score() -> None:
    assert merit(heard("near", 0.5, -20.0)) > merit(heard("far", 1.0, -30.1))
    # Between two that heard it about as loud, the clearer detection wins.
    assert merit(heard("clear", 0.99, -20.5)) > merit(heard("muddled", 0.6, -20.0))


async def test_the_best_answers_once_every_listening_satellite_has_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    arbiter = Arbiter(5.0, "best")
    for name in ("kitchen", "bedroom", "hall"):
        arbiter.listening(name, True)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="assistant.hub.arbiter"):
        results = await asyncio.gather(
            arbiter.contend(heard("kitchen", 0.97, -30.0)),
            arbiter.contend(heard("bedroom", 0.92, -10.0)),
            arbiter.contend(heard("hall", 0.99, -20.0)),
        )
    assert results == [False, True, False]
    assert time.monotonic() - started < 2.0  # not the 5 s window: all three had reported
    decision = next(r.getMessage() for r in caplog.records if "answers" in r.getMessage())
    assert decision.startswith("wake word: bedroom answers (rule best, 3 heard it")
    for part in ("kitchen score 0.97 level -30.0 dBFS", "bedroom score 0.92 level -10.0 dBFS "
                 "(chosen)", "hall score 0.99 level -20.0 dBFS"):  # fmt: skip
        assert part in decision


async def test_a_satellite_that_did_not_hear_it_is_waited_for_until_the_window_ends() -> None:
    arbiter = Arbiter(0.3, "best")
    arbiter.listening("kitchen", True)
    arbiter.listening("bedroom", True)
    started = time.monotonic()
    assert await arbiter.contend(heard("kitchen", 0.9, -25.0))
    assert time.monotonic() - started >= 0.29


async def test_first_answers_the_first_report_at_once() -> None:
    arbiter = Arbiter(5.0, "first")
    arbiter.listening("kitchen", True)
    arbiter.listening("bedroom", True)
    first = asyncio.ensure_future(arbiter.contend(heard("kitchen", 0.6, -40.0)))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(arbiter.contend(heard("bedroom", 0.99, -5.0)))
    assert await asyncio.wait_for(first, 1.0) is True
    assert await asyncio.wait_for(second, 1.0) is False


async def test_a_late_report_of_the_same_wake_word_stands_down_and_a_later_one_is_new() -> None:
    now = [100.0]
    arbiter = Arbiter(0.0, "best", clock=lambda: now[0])
    assert await arbiter.contend(heard("kitchen", 0.9, -25.0))
    now[0] += LATE_SECONDS / 2  # a slow board reporting the same wake word
    assert not await arbiter.contend(heard("bedroom", 0.99, -5.0))
    now[0] += LATE_SECONDS  # someone said it again
    assert await arbiter.contend(heard("bedroom", 0.99, -5.0))
    assert [winner.satellite for winner, _ in arbiter.decisions] == ["kitchen", "bedroom"]


async def test_a_microphone_that_stops_listening_as_it_reports_is_still_counted() -> None:
    arbiter = Arbiter(5.0, "best")
    for name in ("hub", "kitchen"):
        arbiter.listening(name, True)
    kitchen = asyncio.ensure_future(arbiter.contend(heard("kitchen", 0.9, -30.0)))
    await asyncio.sleep(0)
    arbiter.listening("hub", False)  # the hub's microphone leaves the wake word to report
    await asyncio.sleep(0)
    assert not kitchen.done()
    assert await arbiter.contend(heard("hub", 0.9, -12.0))
    assert await kitchen is False
