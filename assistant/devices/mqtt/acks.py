"""PUBACK bookkeeping: which published message the broker has acknowledged.

Keys are (connection generation, message id): paho numbers messages per client, and every
connection attempt has its own client, so an acknowledgement on one connection can never be
taken for a message sent on another. A PUBACK can arrive before anyone waits for it; those
are remembered, a bounded number, oldest forgotten first.
"""

from __future__ import annotations

import asyncio
from typing import Any

_EARLY_KEPT = 1024

AckKey = tuple[int, int]
"""(connection generation, paho message id)."""


class Acknowledgements:
    def __init__(self) -> None:
        self._waiting: dict[AckKey, asyncio.Future[Any]] = {}
        self._early: dict[AckKey, None] = {}

    def arrived_early(self, key: AckKey) -> bool:
        """True (and forgotten) when this PUBACK came before anyone waited for it."""
        if key in self._early:
            del self._early[key]
            return True
        return False

    def expect(self, key: AckKey) -> asyncio.Future[Any]:
        """A future that completes when the PUBACK for `key` arrives; `forget` it after."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        return future

    def forget(self, key: AckKey) -> None:
        self._waiting.pop(key, None)

    def acknowledge(self, key: AckKey) -> None:
        """On the event loop: the broker acknowledged `key`."""
        future = self._waiting.get(key)
        if future is None:
            self._early[key] = None
            while len(self._early) > _EARLY_KEPT:
                del self._early[next(iter(self._early))]
        elif not future.done():
            future.set_result(None)

    def drop_generation(self, generation: int) -> None:
        """A connection ended: its early acknowledgements can never be claimed."""
        for key in [key for key in self._early if key[0] == generation]:
            del self._early[key]
