"""Every satellite has a room, through the language model: requests only the model reads ("it's
too dark in here") are told where they were heard, as in training, and act on that room alone.

The real specialist model over the rooms home of `test_rooms` on a real private Mosquitto.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.devices.broker import PrivateBroker

from .test_rooms import BEDROOM, OFFICE, heard, lights_on, rooms_home


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


@pytest.mark.models
async def test_what_only_the_model_reads_acts_on_the_room_it_was_heard_in(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    # The model's time limit is for live turns; a loaded machine may take several times longer.
    slow = {"model_timeout_seconds": 60}
    async with rooms_home(broker, tmp_path, engines=("llm",), understanding=slow) as (
        assembled,
        simulator,
    ):
        assert assembled.brain.model is not None, "llm.model or llm.adapter could not be loaded"
        dark = await heard(assembled, "it's too dark in here", BEDROOM)
        assert dark.intent is not None and dark.intent.source == "model", dark.response
        assert dark.intent.call.arguments == {"area": "Bedroom", "domain": "light"}
        assert lights_on(simulator) == {"bedroom_lamp", "bedroom_reading_lamp"}

        blind = await heard(assembled, "I can't see a thing", OFFICE)
        assert blind.intent is not None and blind.intent.source == "model", blind.response
        assert lights_on(simulator) == {"bedroom_lamp", "bedroom_reading_lamp", "office_lamp"}

        # From no place, the model's guess at a room nobody said is not trusted, as before.
        nowhere = await assembled.turns.from_text("it's too dark in here")
        assert nowhere.actions == ()
        assert lights_on(simulator) == {"bedroom_lamp", "bedroom_reading_lamp", "office_lamp"}
