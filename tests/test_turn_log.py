"""`assistant run` logs one line per turn (and each stage with -v); words said or heard are in
it only when asked for, since the journal is on disk."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from assistant.devices.broker import PrivateBroker
from assistant.pipeline.assembly import Assembled
from assistant.pipeline.turn_log import TurnLog

from .conftest import assembled_home


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@pytest.fixture
async def home(broker: PrivateBroker, tmp_path: Path) -> AsyncIterator[Assembled]:
    async with assembled_home(broker, tmp_path, f"log{tmp_path.name[-8:]}") as (assembled, _):
        assert assembled.home is not None and await assembled.home.ready()
        await assembled.home.registry.settle()
        yield assembled


@pytest.mark.parametrize("with_words", [False, True])
async def test_a_turn_is_one_line_at_info_and_its_stages_are_debug(
    home: Assembled, caplog: pytest.LogCaptureFixture, with_words: bool
) -> None:
    home.turns.bus.subscribe(TurnLog(with_words=with_words))
    with caplog.at_level(logging.DEBUG, logger="assistant.turn"):
        await home.turns.from_text("turn on the kitchen light")
    records = [r for r in caplog.records if r.name == "assistant.turn"]
    lines = [r.getMessage() for r in records if r.levelno == logging.INFO]
    assert len(lines) == 1, lines
    line = lines[0]
    assert "HassTurnOn(area=Kitchen, domain=light) by rules" in line
    assert "light.kitchen_ceiling_light turn_on confirmed" in line
    assert line.endswith(" ms")
    # Typed text has no transcript; the reply is words heard, kept out unless asked for.
    assert ("Turned on the Kitchen ceiling light." in line) is with_words
    stages = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    assert any("understood in" in stage for stage in stages)
    assert any("acted in" in stage for stage in stages)
