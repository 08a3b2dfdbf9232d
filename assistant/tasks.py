"""Ending a task one started, without swallowing one's own cancellation.

The usual `task.cancel()` then `with suppress(CancelledError): await task` has a hole: a
CancelledError raised at that `await` may be the caller's own (the process is stopping, and
cancelled the caller just then), and suppressing it lets the caller carry on as if nothing had
happened: a live loop that never stops. `asyncio.wait` waits for the task's end without
raising what it raised, and lets the caller's own cancellation through.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Future[Any]) -> None:
    """Cancel `tasks` (once each: a second cancel would cut short their own cleanup) and wait
    until all have ended; whatever they raised is dropped."""
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: asyncio would otherwise log it as never retrieved
