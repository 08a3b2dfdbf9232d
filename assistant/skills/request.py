"""The request a tool is carrying out: the words the person said and the place they said them.

A turn heard by a satellite (the hub's own microphone is one too) has a `Place`: the satellite
and the room it stands in. Typed text, `assistant ask` without `--room`, and files come from no
place. While a tool runs, `SkillContext.place` and `SkillContext.words` read the request from
`CURRENT_REQUEST`, which the host sets around every call, so concurrent turns from two rooms
each see their own.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """Where a turn was heard: which satellite (the hub's own microphone is one too) and the
    room it stands in; None as the room when nobody has set it."""

    satellite: str
    room: str | None = None


@dataclass(frozen=True)
class Request:
    """What a tool call answers: the words as heard or typed, and where they were said."""

    words: str
    place: Place | None = None


CURRENT_REQUEST: ContextVar[Request | None] = ContextVar("assistant_request", default=None)
"""The request of the tool call under way; None outside one (set-up, a direct call). Work a
tool schedules (an asyncio task it starts) keeps the request it was started under."""
