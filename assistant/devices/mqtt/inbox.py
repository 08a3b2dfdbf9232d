"""Incoming messages, from paho's network thread to the subscribers on the event loop.

The queue between them is bounded: on overflow a message is dropped and counted, never
buffered without limit. Handlers run on the loop, one message at a time; one that raises is
logged and the others still get the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho

log = logging.getLogger(__name__)

_INBOX_SIZE = 10_000


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool


Handler = Callable[[Message], None]


class Inbox:
    def __init__(self, max_payload_bytes: int) -> None:
        self.max_payload_bytes = max_payload_bytes
        self.subscriptions: dict[str, list[Handler]] = {}
        """Topic filter → handlers, in the order they subscribed."""
        self.dropped_messages = 0
        self._queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=_INBOX_SIZE)

    def add(self, topic_filter: str, handler: Handler) -> bool:
        """Subscribe a handler; True when the filter is new (the broker must be told)."""
        first = topic_filter not in self.subscriptions
        self.subscriptions.setdefault(topic_filter, []).append(handler)
        return first

    def remove(self, topic_filter: str, handler: Handler) -> bool:
        """Unsubscribe a handler; True when the filter has none left (tell the broker)."""
        handlers = self.subscriptions.get(topic_filter, [])
        if handler in handlers:
            handlers.remove(handler)
        if not handlers and topic_filter in self.subscriptions:
            del self.subscriptions[topic_filter]
            return True
        return False

    def put(self, message: Message) -> None:
        """On the event loop (via call_soon_threadsafe): queue it, or drop and count it."""
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped_messages += 1
            if self.dropped_messages in (1, 10, 100) or self.dropped_messages % 1000 == 0:
                log.warning("inbox full: %d MQTT messages dropped so far", self.dropped_messages)

    async def dispatch(self) -> None:
        """Hand every queued message to the handlers of the filters it matches, forever."""
        while True:
            message = await self._queue.get()
            if len(message.payload) > self.max_payload_bytes:
                log.warning(
                    "skipping %d-byte message on %s: larger than mqtt.max_payload_bytes",
                    len(message.payload), message.topic,
                )  # fmt: skip
                continue
            for topic_filter, handlers in list(self.subscriptions.items()):
                if not paho.topic_matches_sub(topic_filter, message.topic):
                    continue
                for handler in list(handlers):
                    try:
                        handler(message)
                    except Exception as error:  # one bad message must not stop the others
                        log.warning("skipping message on %s: %s", message.topic, error)
