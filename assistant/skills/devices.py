"""The home as a skill sees it: lookups by what people say, and commands behind the safety gate.

The runtime hands each skill an implementation of `Devices` in `context.devices`; every command
it sends passes the safety policy there, so no skill can bypass the policy or forget it.
"""

from __future__ import annotations

from typing import Any, Protocol

from assistant.devices.commands import CommandOutcome
from assistant.devices.registry import DeviceRegistry, Entity


class Devices(Protocol):
    @property
    def registry(self) -> DeviceRegistry:
        """Every entity and its state, for what the lookups below do not cover (read only)."""

    def entities(self, kinds: tuple[str, ...] = ()) -> list[Entity]:
        """Entities of these kinds (HA domains: "light", "switch", …), or all of them."""

    def names(self, kinds: tuple[str, ...] = ()) -> list[str]:
        """Names and aliases of those entities, as a person or a model may say them."""

    def areas(self) -> list[str]:
        """The home's areas (rooms)."""

    def find(
        self,
        *,
        name: str | None = None,
        area: str | None = None,
        kinds: tuple[str, ...] = (),
        device_class: str | None = None,
    ) -> list[Entity]:
        """Entities that fit what was said: an exact name or alias first, else every spoken
        word must be in the name ("the reading lamp" finds "Bedroom reading lamp")."""

    async def call(
        self, entity: Entity | str, service: str, data: dict[str, Any] | None = None
    ) -> CommandOutcome:
        """Command a device through the safety policy and wait for its confirmation. Never
        raises for device problems; raises ConfirmationRequired for a high-risk action not yet
        confirmed (don't catch it: the assistant asks, and calls the tool again on "yes")."""
