"""The message broker, for skills that publish messages of their own (alerts, notifications).

Device commands go through `context.devices`, never through this. Messages published here go
to the broker the assistant is connected to, at the QoS asked, and `publish` either gets the
broker's acknowledgement before its deadline or raises `DeliveryFailed`.
"""

from __future__ import annotations

from typing import Protocol

from assistant.devices.mqtt import DeliveryFailed, Handler, Message

__all__ = ["Broker", "DeliveryFailed", "Handler", "Message"]


class Broker(Protocol):
    async def publish(
        self,
        topic: str,
        payload: str | bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        deadline_monotonic: float,
    ) -> None:
        """Deliver to the broker before the deadline (time.monotonic()), or raise
        DeliveryFailed. While disconnected it waits for the connection, up to the deadline."""

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        """Call `handler` on the event loop for every message on the filter, renewed across
        reconnections."""

    def unsubscribe(self, topic_filter: str, handler: Handler) -> None:
        """Stop calling `handler` for the filter; the broker is told when none is left."""
