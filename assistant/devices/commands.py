"""Carrying out a service call on an entity and finding out whether it took effect.

Every call ends in exactly one outcome:

- `confirmed`: the device's state topic reported the commanded state before the deadline;
- `sent`: delivered to the broker, but the device has no state topic to confirm with (never
  reported as confirmed);
- `unavailable`: the device reported itself offline; nothing was sent;
- `failed`: the deadline passed without confirmation, or the broker could not be reached;
- `refused`: the call made no sense for this device (out of range, unsupported); nothing sent.

Commands go out at QoS 1 and are never retained: a retained `/set` would fire again every time
the device reconnects.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.devices.command_plan import CommandRefused, Published, plan_command
from assistant.devices.mqtt import DeliveryFailed, MqttConnection
from assistant.devices.registry import DeviceRegistry
from assistant.devices.templates import TemplateBoundExceeded
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

Status = Literal["confirmed", "sent", "unavailable", "failed", "refused"]


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

    async def call(
        self,
        entity_id: str,
        service: str,
        data: dict[str, Any] | None = None,
        *,
        timeout_seconds: float | None = None,
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
            return outcome(
                "failed",
                f"I couldn't reach the {entity.name}: the message broker did not take the command.",
                tuple(published),
            )
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
        if current is not None and current.state.available is False:
            return outcome(
                "failed", f"The {entity.name} went offline before confirming.", tuple(published)
            )
        waited = deadline - started
        return outcome(
            "failed",
            f"The {entity.name} did not confirm it is {plan.expectation} "
            f"within {waited:.0f} second{'' if round(waited) == 1 else 's'}.",
            tuple(published),
        )
