"""The event bus: subscribers see events in order; a broken one never breaks a turn."""

from __future__ import annotations

import logging

import pytest

from assistant.pipeline.events import Event, EventBus, TurnFinished, TurnStarted


def test_subscribers_receive_events_in_publish_order() -> None:
    bus = EventBus()
    first: list[Event] = []
    second: list[Event] = []
    bus.subscribe(first.append)
    bus.subscribe(second.append)
    events = [TurnStarted("t1", "kitchen.wav"), TurnFinished("t1", "done", 12.5)]
    for event in events:
        bus.publish(event)
    assert first == events
    assert second == events


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    seen: list[Event] = []
    unsubscribe = bus.subscribe(seen.append)
    bus.publish(TurnStarted("t1", "a"))
    unsubscribe()
    bus.publish(TurnStarted("t2", "b"))
    assert [event.turn_id for event in seen] == ["t1"]


def test_failing_subscriber_is_logged_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("LED strip unplugged")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="assistant.pipeline.events"):
        bus.publish(TurnStarted("t1", "a"))
    assert [event.turn_id for event in seen] == ["t1"]
    assert "failed on TurnStarted" in caplog.text
    assert "LED strip unplugged" in caplog.text
