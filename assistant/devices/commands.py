"""Carrying out a service call on an entity and finding out whether it took effect.

Every call ends in exactly one outcome:

- `confirmed`: the device's state topic reported the commanded state before the deadline;
- `sent`: delivered to the broker, but the device has no state topic to confirm with (never
  reported as confirmed);
- `unavailable`: the device reported itself offline; nothing was sent;
- `failed`: the deadline passed without confirmation, or the broker could not be reached;
- `refused`: the call made no sense for this device (out of range, unsupported); nothing sent.

A `failed` command may still have happened: the broker went down after passing it on, or the
device was slow. So after a failure the commander keeps listening (`LATE_WINDOW_SECONDS`); if
the device then reports the commanded state, the outcome in `history` becomes
`confirmed-late`, the entity's state carries `late_confirmation`, the listeners of
`subscribe_late` hear of it, and a warning is logged: "failed" does not stand for what happened.
The next command to that device ends the listening: its own confirmation is no late news of the
failed one, which may never have reached the device.

Commands go out at QoS 1 and are never retained: a retained `/set` would fire again every time
the device reconnects.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from assistant.devices.command_plan import CommandRefused, Predicate, Published, plan_command
from assistant.devices.mqtt import DeliveryFailed, MqttConnection
from assistant.devices.registry import DeviceRegistry
from assistant.devices.templates import TemplateBoundExceeded
from assistant.errors import AssistantError
from assistant.tasks import cancel_and_wait

log = logging.getLogger(__name__)

Status = Literal["confirmed", "sent", "unavailable", "failed", "refused", "confirmed-late"]
LATE_WINDOW_SECONDS = 60.0
"""How long a failed command's device is still listened to for a late confirmation."""
HISTORY_SIZE = 200


@dataclass(frozen=True)
class CommandOutcome:
    entity_id: str
    service: str
    status: Status
    reason: str
    """One sentence a person can hear."""
    published: tuple[Published, ...] = ()
    elapsed_ms: float = 0.0
    state: dict[str, Any] = field(default_factory=dict)
    """The entity's state when the outcome was decided."""
    code: str | None = None
    """Why a refusal happened when it was policy, not the device: not-exposed, rate-limited."""

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


LateListener = Callable[[CommandOutcome], None]


class DeviceCommander:
    def __init__(
        self,
        registry: DeviceRegistry,
        connection: MqttConnection,
        *,
        confirm_timeout_seconds: float,
    ) -> None:
        self.registry = registry
        self.connection = connection
        self.confirm_timeout_seconds = confirm_timeout_seconds
        self.history: deque[CommandOutcome] = deque(maxlen=HISTORY_SIZE)
        """Recent outcomes, oldest first; a failed one is replaced if it is confirmed late."""
        self._late_listeners: list[LateListener] = []
        self._watches: dict[str, asyncio.Task[None]] = {}
        """Entity id → the watch for a late confirmation of its last failed command."""

    def subscribe_late(self, listener: LateListener) -> Callable[[], None]:
        """Hear of every command reported failed that the device confirmed afterwards.

        A listener is called in the context of the `call` that failed (the watch for the late
        confirmation is a task started in it, with a copy of its context variables), so it
        reads what the caller had set there: the skill host, the request and its place."""
        self._late_listeners.append(listener)
        return lambda: self._late_listeners.remove(listener)

    async def close(self) -> None:
        """Stop listening for late confirmations."""
        await cancel_and_wait(*self._watches.values())

    async def call(
        self,
        entity_id: str,
        service: str,
        data: dict[str, Any] | None = None,
        *,
        timeout_seconds: float | None = None,
    ) -> CommandOutcome:
        entity = self.registry.get(entity_id)
        if entity is not None:
            entity.state.late_confirmation = None  # a new command: the old news is stale
        if (watch := self._watches.pop(entity_id, None)) is not None:
            # A report from now on may answer this command: it must not be taken as the late
            # confirmation of the failed one, which may never have reached the device.
            watch.cancel()
        result = await self._call(entity_id, service, data, timeout_seconds)
        self.history.append(result)
        return result

    async def _call(
        self,
        entity_id: str,
        service: str,
        data: dict[str, Any] | None,
        timeout_seconds: float | None,
    ) -> CommandOutcome:
        started = time.monotonic()
        deadline = started + (timeout_seconds or self.confirm_timeout_seconds)
        data = data or {}

        def outcome(
            status: Status, reason: str, published: tuple[Published, ...] = ()
        ) -> CommandOutcome:
            entity = self.registry.get(entity_id)
            result = CommandOutcome(
                entity_id, service, status, reason, published,
                (time.monotonic() - started) * 1000,
                entity.state.snapshot() if entity else {},
            )  # fmt: skip
            log.info("%s %s %s: %s (%s)", entity_id, service, data, status, reason)
            return result

        entity = self.registry.get(entity_id)
        if entity is None:
            return outcome("refused", f"There is no device called {entity_id}.")
        try:
            plan = plan_command(entity, service, data)
        except CommandRefused as refusal:
            return outcome("refused", refusal.message)
        except TemplateBoundExceeded as error:  # it would again on every command
            self.registry.disable(entity_id, error.message)
            return outcome(
                "failed", f"The {entity.name} is disabled: its command template is unsafe."
            )
        except AssistantError as error:  # a command template that fails on this value
            return outcome(
                "failed", f"The {entity.name}'s command could not be built: {error.message}"
            )
        if entity.state.available is False:
            return outcome("unavailable", f"The {entity.name} is offline, so nothing was sent.")

        sent_after = time.monotonic()
        published: list[Published] = []
        try:
            for message in plan.messages:
                await self.connection.publish(
                    message.topic, message.payload, qos=1, retain=False, deadline_monotonic=deadline
                )
                published.append(message)
        except DeliveryFailed as error:
            log.warning("%s", error.message)
            failed = outcome(
                "failed",
                f"I couldn't reach the {entity.name}: the message broker did not take the command.",
                tuple(published),
            )
            # The broker may have passed it on before the line died (no PUBACK is no proof).
            if plan.expect is not None:
                self._watch_late(failed, plan.expect, plan.expectation, sent_after)
            return failed
        if plan.expect is None:
            return outcome(
                "sent",
                f"Sent to the {entity.name}, but it doesn't report its state, "
                "so I can't confirm it.",
                tuple(published),
            )
        expect = plan.expect
        jammed = entity.kind == "lock"

        def settled(current: Any) -> bool:
            return bool(expect(current)) or (jammed and current.state.state == "jammed")

        confirmed = await self.registry.wait_for_state(
            entity_id,
            settled,
            reported_after_monotonic=sent_after,
            timeout_seconds=max(0.0, deadline - time.monotonic()),
        )
        current = self.registry.get(entity_id)
        if confirmed and current is not None and expect(current):
            return outcome(
                "confirmed", f"The {entity.name} is {plan.expectation}.", tuple(published)
            )
        if current is not None and current.state.state == "jammed":
            return outcome(
                "failed", f"The {entity.name} reports that it is jammed.", tuple(published)
            )
        waited = deadline - started
        offline = current is not None and current.state.available is False
        failed = outcome(
            "failed",
            f"The {entity.name} went offline before confirming."
            if offline
            else f"The {entity.name} did not confirm it is {plan.expectation} "
            f"within {waited:.0f} second{'' if round(waited) == 1 else 's'}.",
            tuple(published),
        )
        self._watch_late(failed, expect, plan.expectation, sent_after)
        return failed

    def _watch_late(
        self, failed: CommandOutcome, expect: Predicate, expectation: str, sent_after: float
    ) -> None:
        # The task runs in a copy of the failed call's context, and so do the listeners it
        # calls: they read the caller's context variables there (`subscribe_late`).
        task = asyncio.create_task(
            self._late(failed, expect, expectation, sent_after),
            name=f"late-confirmation-{failed.entity_id}",
        )
        self._watches[failed.entity_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._watches.get(failed.entity_id) is done:  # not a newer watch
                del self._watches[failed.entity_id]

        task.add_done_callback(forget)

    async def _late(
        self, failed: CommandOutcome, expect: Predicate, expectation: str, sent_after: float
    ) -> None:
        entity_id = failed.entity_id
        confirmed = await self.registry.wait_for_state(
            entity_id, expect, reported_after_monotonic=sent_after,
            timeout_seconds=LATE_WINDOW_SECONDS,
        )  # fmt: skip
        entity = self.registry.get(entity_id)
        # Superseded by a newer command? Its cancellation can be lost: Python 3.11's wait_for
        # swallows one that arrives as the awaited state does, so the watch asks for itself.
        superseded = self._watches.get(entity_id) is not asyncio.current_task()
        if not confirmed or entity is None or superseded:
            return
        seconds = time.monotonic() - sent_after
        note = f"{failed.service} confirmed {seconds:.1f} s after it was reported failed"
        entity.state.late_confirmation = note
        late = replace(
            failed, status="confirmed-late", state=entity.state.snapshot(),
            reason=f"The {entity.name} is {expectation} after all: it confirmed {seconds:.0f} "
            "seconds late.",
        )  # fmt: skip
        for index, earlier in enumerate(self.history):
            if earlier is failed:
                self.history[index] = late
        log.warning("late confirmation: %s %s: %s", entity_id, failed.service, note)
        for listener in list(self._late_listeners):
            try:
                listener(late)
            except Exception:
                log.exception("late-confirmation listener failed for %s", entity_id)
