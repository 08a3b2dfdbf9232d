"""What a tool returns: words to speak, data for the brain, and the device outcomes behind them.

Every failure (invalid arguments, a timeout, a device that did not confirm, an exception) is a
`ToolResult` too, so the brain can always say something true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.devices.commands import CommandOutcome


@dataclass
class ToolResult:
    speech: str
    """One or two sentences to say to the person."""
    success: bool = True
    error: str | None = None
    """A stable code when it failed: invalid-arguments, not-found, ambiguous, timeout,
    device-failed, refused, not-exposed, rate-limited, needs-confirmation, skill-failed, …"""
    data: dict[str, Any] = field(default_factory=dict)
    outcomes: list[CommandOutcome] = field(default_factory=list)
    expects_answer: bool = False
    """The speech asks a question; the live loop listens without a wake word."""

    # An "ambiguous" result lists `data["candidates"]`: [{"label": words that name one choice,
    # "arguments": what to add to the call to pick it}], so "the reading lamp" can answer
    # "Which one do you mean?" without repeating the whole request.

    @classmethod
    def failure(cls, error: str, speech: str, **data: Any) -> ToolResult:
        return cls(speech=speech, success=False, error=error, data=data)

    @classmethod
    def from_outcomes(cls, outcomes: list[CommandOutcome], done: str) -> ToolResult:
        """`done` is spoken only if every command was confirmed; otherwise say what happened."""
        if outcomes and all(outcome.confirmed for outcome in outcomes):
            return cls(speech=done, outcomes=outcomes)
        confirmed = [o for o in outcomes if o.confirmed]
        problems = " ".join(o.reason for o in outcomes if not o.confirmed)
        speech = problems if not confirmed else f"{done} {problems}".strip()
        statuses = {o.status for o in outcomes if not o.confirmed}
        codes = {o.code for o in outcomes if not o.confirmed and o.code}
        error = "device-failed" if statuses & {"failed", "unavailable", "sent"} else "refused"
        if error == "refused" and len(codes) == 1:
            error = codes.pop()  # the policy's reason: not-exposed, rate-limited
        return cls(speech=speech, success=False, error=error, outcomes=outcomes)

    def as_dict(self) -> dict[str, Any]:
        """What a model or a log sees of the result."""
        return {
            "success": self.success,
            "error": self.error,
            "speech": self.speech,
            "data": self.data,
            "actions": [outcome.as_action() for outcome in self.outcomes],
        }
