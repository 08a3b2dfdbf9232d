"""Calling tools: validation and coercion, a time limit, the safety gate's confirmations, audit.

Whatever goes wrong comes back as a ToolResult with an error code and words to speak, never as
an exception into understanding. A high-risk action waits here as the pending confirmation
until the person answers it (`answer`), another request replaces it (`drop_pending`), or it
expires. Each place has its own question: a "yes" said in the kitchen never answers what was
asked in the bedroom.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from assistant.devices.commands import CommandOutcome
from assistant.errors import AssistantError
from assistant.skill_host.audit import AuditLog
from assistant.skill_host.call import ToolCall
from assistant.skill_host.device_gate import CURRENT_TURN, Action, DeviceGate, TurnInfo
from assistant.skill_host.loader import Tool
from assistant.skill_host.safety import ConfirmationRequired
from assistant.skill_host.schema import parameters_schema, with_home_choices
from assistant.skills.request import CURRENT_REQUEST, Place, Request
from assistant.skills.result import ToolResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingConfirmation:
    call: ToolCall
    entity_id: str
    service: str
    needs_pin: bool
    question: str
    expires_monotonic: float
    confirmed: frozenset[Action] = frozenset()
    """Actions of the same call confirmed by earlier answers ("unlock all the doors")."""
    done: dict[Action, CommandOutcome] = field(default_factory=dict)
    """Actions of the same call already carried out: a "yes" never sends them again."""
    request: Request | None = None
    """The request that asked for it: the call runs again under it on "yes"."""


def describe_validation(tool: Tool, error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "arguments"
    if first["type"] == "missing":
        return f"I need the {field.replace('_', ' ')} for that."
    if first["type"] == "extra_forbidden":
        return f"{tool.name} has no {field}."
    return f"The {field.replace('_', ' ')} {first.get('input')!r} won't do: {first['msg'].lower()}."


class Toolbox:
    def __init__(
        self,
        tools: dict[str, Tool],
        devices: DeviceGate,
        audit: AuditLog,
        *,
        confirmation_timeout_seconds: float,
    ) -> None:
        self.tools = tools
        self.devices = devices
        self.audit = audit
        self.confirmation_timeout_seconds = confirmation_timeout_seconds
        self._pending: dict[Place | None, PendingConfirmation] = {}
        """The question waiting at each place (None: typed text, files)."""

    @property
    def pending(self) -> PendingConfirmation | None:
        """The question waiting for a yes or no from no place (typed text, files)."""
        return self.pending_at(None)

    def pending_at(self, place: Place | None) -> PendingConfirmation | None:
        """The question waiting for a yes or no at `place`, if it has not expired."""
        pending = self._pending.get(place)
        if pending is not None and time.monotonic() > pending.expires_monotonic:
            del self._pending[place]
            return None
        return pending

    def drop_pending(self, *, turn_id: str | None = None, place: Place | None = None) -> None:
        """Forget the question at `place`: a new request replaces an unanswered one (audited as
        dropped when `turn_id`, the new request's turn, is given)."""
        pending = self.pending_at(place)
        self._pending.pop(place, None)
        if pending is not None and turn_id is not None:
            self.audit.record(turn=turn_id, outcome="dropped", **_entry(pending))

    def drop_every_pending(self) -> None:
        """Forget the questions waiting everywhere."""
        self._pending.clear()

    def schemas(self) -> list[dict[str, Any]]:
        """Every tool as the model sees it this turn: the names and rooms of the devices a
        voice may control, live, as enums."""
        return [
            {
                "name": tool.name,
                "description": tool.description,
                "parameters": with_home_choices(
                    parameters_schema(tool.arguments),
                    tool.parameters,
                    entity_names=self.devices.names,
                    area_names=self.devices.exposed_areas(),
                ),
            }
            for tool in self.tools.values()
        ]

    async def call(
        self,
        call: ToolCall,
        *,
        turn_id: str,
        confirmed: frozenset[Action] = frozenset(),
        done: dict[Action, CommandOutcome] | None = None,
        request: Request | None = None,
    ) -> ToolResult:
        """Carry out one call for the turn `turn_id` (the id its audit line carries), as the
        answer to `request` (what was said, and where: `SkillContext.place` and `words`).

        `confirmed` and `done` carry a call on after a "yes": what was confirmed, and what
        was already carried out before it stopped to ask."""
        started = time.perf_counter()
        name, arguments = call.tool, call.arguments
        tool = self.tools.get(name)
        if tool is None:
            return ToolResult.failure("unknown-tool", "I don't know how to do that.", tool=name)
        try:
            validated = tool.arguments.model_validate(arguments)
        except ValidationError as error:
            result = ToolResult.failure("invalid-arguments", describe_validation(tool, error))
            self._audit(turn_id, tool, arguments, result, started)
            return result
        values = {key: getattr(validated, key) for key in type(validated).model_fields}
        earlier = dict(done or {})
        turn = TurnInfo(turn_id, confirmed, earlier)
        token = CURRENT_TURN.set(turn)
        asked = CURRENT_REQUEST.set(request)
        try:
            async with asyncio.timeout(tool.info.timeout_seconds):
                result = await tool.function(**values)
            if not isinstance(result, ToolResult):
                raise TypeError(f"{name} returned {type(result).__name__}, not a ToolResult")
        except ConfirmationRequired as asking:
            # One question per action: what this run carried out is kept, so that the "yes"
            # confirms exactly this action and nothing before it is sent twice.
            new = [o for o in turn.outcomes if not _among(o, earlier)]
            self._pending[request.place if request else None] = PendingConfirmation(
                call=call,
                entity_id=asking.entity_id,
                service=asking.service,
                needs_pin=asking.needs_pin,
                question=asking.message,
                expires_monotonic=time.monotonic() + self.confirmation_timeout_seconds,
                confirmed=confirmed,
                done={**earlier, **{(o.entity_id, o.service): o for o in new}},
                request=request,
            )
            result = ToolResult(
                speech=" ".join([*(o.reason for o in new), asking.message]),
                success=False,
                error="needs-confirmation",
                expects_answer=True,
            )
        except TimeoutError:
            result = ToolResult.failure(
                "timeout",
                f"That took too long; I stopped after {tool.info.timeout_seconds:g} seconds.",
            )
        except AssistantError as error:
            result = ToolResult.failure(error.code, error.message)
        except Exception as error:
            log.exception("tool %s of skill %s failed", name, tool.skill)
            result = ToolResult.failure(
                "skill-failed",
                f"Sorry, the {tool.skill.replace('_', ' ')} skill failed.",
                detail=str(error),
            )
        finally:
            CURRENT_REQUEST.reset(asked)
            CURRENT_TURN.reset(token)
        result.outcomes = result.outcomes or list(turn.outcomes)
        self._audit(turn_id, tool, arguments, result, started, earlier=earlier)
        return result

    async def answer(
        self, answer: Literal["yes", "no"], *, pin: str | None, turn_id: str,
        place: Place | None = None,
    ) -> ToolResult:  # fmt: skip
        """The person's reply, heard at `place`, to the confirmation question asked there."""
        pending = self._pending.pop(place, None)
        if pending is None:
            return ToolResult.failure("nothing-pending", "There's nothing waiting for a yes or no.")
        entry = _entry(pending)
        if time.monotonic() > pending.expires_monotonic:
            self.audit.record(turn=turn_id, outcome="expired", **entry)
            return ToolResult.failure("expired", "That request expired, so I did nothing.")
        if answer == "no":
            self.audit.record(turn=turn_id, outcome="declined", **entry)
            return ToolResult(speech="OK, I won't.", data={"declined": True})
        if pending.needs_pin and not self.devices.policy.pin_matches(pin):
            self.audit.record(turn=turn_id, outcome="wrong-pin", **entry)
            return ToolResult.failure("wrong-pin", "That PIN is not right, so I did nothing.")
        return await self.call(
            pending.call,
            turn_id=turn_id,
            confirmed=pending.confirmed | {(pending.entity_id, pending.service)},
            done=pending.done,
            request=pending.request,
        )

    def _audit(
        self,
        turn_id: str,
        tool: Tool,
        arguments: dict[str, Any],
        result: ToolResult,
        started: float,
        *,
        earlier: dict[Action, CommandOutcome] | None = None,
    ) -> None:
        """One line per call; actions carried out by an earlier run of it are not repeated."""
        self.audit.record(
            turn=turn_id,
            tool=tool.name,
            arguments=arguments,
            outcome="ok" if result.success else result.error,
            actions=[
                {"entity": o.entity_id, "service": o.service, "status": o.status}
                | ({"code": o.code} if o.code else {})
                for o in result.outcomes
                if not _among(o, earlier or {})
            ],
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        )


def _entry(pending: PendingConfirmation) -> dict[str, Any]:
    return {"tool": pending.call.tool, "arguments": pending.call.arguments,
            "entity": pending.entity_id, "service": pending.service}  # fmt: skip


def _among(outcome: CommandOutcome, earlier: dict[Action, CommandOutcome]) -> bool:
    """The outcome is one carried over from an earlier run of the call (the same object)."""
    return any(outcome is previous for previous in earlier.values())
