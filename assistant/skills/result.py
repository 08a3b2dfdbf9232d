"""What a tool returns: words to speak, what it was about, and the device outcomes behind them.

Every failure (invalid arguments, a timeout, a device that did not confirm, an exception) is a
`ToolResult` too, so the assistant can always say something true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.devices.commands import CommandOutcome


@dataclass(frozen=True)
class Choice:
    """One answer to "which one do you mean?"."""

    label: str
    """Words that name this choice alone: "Bedroom reading lamp", "pasta timer"."""
    arguments: dict[str, Any]
    """What to add to the ambiguous call to pick this choice: {"name": "Bedroom reading lamp"}."""
    area: str | None = None
    """The room it is in, so "the one in the bedroom" picks it."""


@dataclass
class ToolResult:
    speech: str
    """One or two sentences to say to the person."""
    success: bool = True
    error: str | None = None
    """A stable code when it failed: invalid-arguments, not-found, ambiguous, timeout,
    device-failed, refused, not-exposed, rate-limited, needs-confirmation, skill-failed, …"""
    data: dict[str, Any] = field(default_factory=dict)
    """Facts for a script or the log ({"cups": 2}); the assistant itself reads none of them."""
    outcomes: list[CommandOutcome] = field(default_factory=list)
    expects_answer: bool = False
    """The speech asks a question; the live loop listens without a wake word."""
    choices: list[Choice] = field(default_factory=list)
    """For an "ambiguous" result: what the question offers, so "the reading lamp" or "both"
    can answer it without repeating the whole request."""
    about: list[str] = field(default_factory=list)
    """Entity ids the answer is about when no device was commanded ("is the door locked"), so
    that "and unlock it" knows what *it* is."""

    @classmethod
    def failure(cls, error: str, speech: str, **data: Any) -> ToolResult:
        return cls(speech=speech, success=False, error=error, data=data)

    @classmethod
    def ambiguous(cls, speech: str, choices: list[Choice], **data: Any) -> ToolResult:
        """A question that asks which of `choices` was meant."""
        return cls(speech, False, "ambiguous", data, expects_answer=True, choices=choices)

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
