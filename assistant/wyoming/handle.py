"""Intent handling for Wyoming clients: a `transcript` is understood and acted on as a typed
turn of the runtime (`TurnEngine.from_text`), and answered `handled` with the reply, or
`not-handled` with what the assistant said instead (it did not understand, the devices could
not be reached)."""

from __future__ import annotations

import asyncio
import logging

from wyoming.event import Event
from wyoming.handle import Handled, NotHandled

from assistant.pipeline.turn import APOLOGIES, TurnEngine

log = logging.getLogger(__name__)


class HandleService:
    """The home's turns, one at a time for every client together: the conversation (a
    question waiting for its answer, the device "it" means) is the home's, as in `run`."""

    def __init__(self, turns: TurnEngine) -> None:
        self.turns = turns
        self._one_at_a_time = asyncio.Lock()

    async def handle(self, text: str) -> Event:
        if not text.strip():
            return NotHandled(text=APOLOGIES["no-speech"]).event()
        async with self._one_at_a_time:
            result = await self.turns.from_text(text.strip())
        if result.intent is not None and result.error is None:
            return Handled(text=result.response).event()
        reason = result.response or (result.error.message if result.error else None)
        return NotHandled(text=reason).event()
