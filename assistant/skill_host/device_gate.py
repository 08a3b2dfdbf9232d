"""The safety gate in front of every device command: the plugin API's `Devices`, implemented.

Every command a skill sends passes the safety policy here, with the turn's confirmations taken
from a context variable the toolbox sets, so no skill can bypass the policy or forget it. The
outcomes of a turn's commands are collected here too, for the toolbox's result and the audit.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from assistant.devices.commands import CommandOutcome, DeviceCommander
from assistant.devices.registry import DeviceRegistry, Entity
from assistant.skill_host.safety import SafetyPolicy
from assistant.skill_host.service_data import unknown_data
from assistant.text import fold

Action = tuple[str, str]
"""(entity id, service)."""


@dataclass
class TurnInfo:
    turn_id: str
    confirmed: frozenset[Action] = frozenset()
    """Actions the person has confirmed, one "yes" each."""
    done: dict[Action, CommandOutcome] = field(default_factory=dict)
    """Actions already carried out for this call before it stopped to ask: when a "yes" runs
    the call again ("unlock all the doors"), they are not sent again, their outcome stands."""
    outcomes: list[CommandOutcome] = field(default_factory=list)


CURRENT_TURN: ContextVar[TurnInfo] = ContextVar("assistant_turn")


class DeviceGate:
    """`assistant.skills.Devices` over the registry, with every command gated."""

    def __init__(
        self, registry: DeviceRegistry, commander: DeviceCommander | None, policy: SafetyPolicy
    ) -> None:
        self.registry = registry
        self._commander = commander
        self.policy = policy

    def entities(self, kinds: tuple[str, ...] = ()) -> list[Entity]:
        return [e for e in self.registry.entities.values() if not kinds or e.kind in kinds]

    def exposed(self, kinds: tuple[str, ...] = ()) -> list[Entity]:
        """The entities the policy lets a voice control: all a model is ever shown (the tools'
        schema, its prompt and what its decoder may write), so it never picks a device the
        policy would refuse. The rules still match every name, so that a hidden device is
        refused with its reason rather than not understood."""
        return [e for e in self.entities(kinds) if self.policy.exposed(e)]

    def names(self, kinds: tuple[str, ...] = ()) -> list[str]:
        """Names and aliases of the exposed entities, as a model may say them (the per-turn
        schema); what a skill may offer a voice (the examples of "what can you do")."""
        return sorted({name for e in self.exposed(kinds) for name in (e.name, *e.aliases)})

    def exposed_areas(self) -> list[str]:
        """The rooms of the exposed entities: a room that holds only a hidden lock is no
        choice for a model either."""
        return sorted({e.area for e in self.exposed() if e.area})

    def areas(self) -> list[str]:
        return self.registry.areas()

    def find(
        self,
        *,
        name: str | None = None,
        area: str | None = None,
        kinds: tuple[str, ...] = (),
        device_class: str | None = None,
    ) -> list[Entity]:
        """Entities that fit what was said: a name or alias, an area, a kind, a device class.

        A name matches exactly first; failing that, every word of it must appear in the
        entity's name ("the reading lamp" finds "Bedroom reading lamp").
        """
        candidates = self.entities(kinds)
        if area:
            wanted_area = fold(area)
            candidates = [e for e in candidates if e.match_area == wanted_area]
        if device_class:
            candidates = [e for e in candidates if e.config.device_class == device_class]
        if not name:
            return candidates
        spoken = fold(name)
        exact = [e for e in candidates if spoken in e.match_names]
        if exact:
            return exact
        words = set(spoken.split())
        return [e for e in candidates if any(words <= set(n.split()) for n in e.match_names)]

    @property
    def unreachable(self) -> bool:
        """A broker is configured but not connected: the home's devices can't be known or
        commanded now."""
        return self._commander is not None and not self._commander.connection.connected

    @property
    def broker_address(self) -> str:
        if self._commander is None:
            return "no broker"
        settings = self._commander.connection.settings
        return f"{settings.host}:{settings.port}"

    async def call(
        self, entity: Entity | str, service: str, data: dict[str, Any] | None = None, *,
        forced: bool = False, timeout_seconds: float | None = None,
    ) -> CommandOutcome:  # fmt: skip
        """Command a device through the safety policy; returns its outcome (never raises for
        device problems). Raises ConfirmationRequired for a high-risk action not yet confirmed.
        `forced` is the command line's administrator override (see `SafetyPolicy.check`)."""
        target = self.registry.get(entity) if isinstance(entity, str) else entity
        if target is None:
            return CommandOutcome(
                str(entity), service, "refused", f"There is no device called {entity}."
            )
        data = data or {}
        turn = CURRENT_TURN.get(None) or TurnInfo("direct")
        action = (target.entity_id, service)
        if action in turn.done:
            outcome = turn.done[action]  # carried out before the question: never twice
            turn.outcomes.append(outcome)
            return outcome
        if problem := unknown_data(target, service, data):
            outcome = CommandOutcome(
                target.entity_id, service, "refused", problem, code="invalid-data"
            )
        elif not (
            verdict := self.policy.check(
                target, service, data, confirmed=action in turn.confirmed, forced=forced
            )
        ).allowed:
            outcome = CommandOutcome(
                target.entity_id, service, "refused", verdict.speech, code=verdict.code
            )
        elif self._commander is None:
            outcome = CommandOutcome(
                target.entity_id, service, "failed", "No device network is connected."
            )
        else:
            outcome = await self._commander.call(
                target.entity_id, service, data, timeout_seconds=timeout_seconds
            )
        turn.outcomes.append(outcome)
        return outcome
