"""Intent handling for Wyoming clients: a `transcript` is understood and acted on as a typed
turn of the runtime (`TurnEngine.from_text`), and answered `handled` with the reply, or
`not-handled` with what the assistant said instead: it did not understand, the devices could
not be reached, or none of the commands it sent did anything (offline, refused, unconfirmed).
A question back ("Which one do you mean?") is handled: the conversation goes on."""

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
        tried = result.actions
        done = not tried or any(action.status in _DONE for action in tried)
        done = done or result.expects_answer  # asked which one, or to confirm: it goes on
        if result.intent is not None and result.error is None and done:
            return Handled(text=result.response).event()
        # Nothing understood, or every device command failed: the reply says why.
        reason = result.response or (result.error.message if result.error else None)
        return NotHandled(text=reason).event()


_DONE = ("confirmed", "sent", "confirmed-late")
"""Outcomes of a device command that did something (`assistant.devices.commands`)."""
