"""A timer, and how its times are said: "1 hour and 5 minutes", "your pasta timer"."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from assistant.skills import Choice, Place

_UNITS = ((3600, "hour"), (60, "minute"), (1, "second"))


def spoken_duration(seconds: int, *, adjective: bool = False) -> str:
    """'1 hour and 5 minutes', '30 seconds'; `adjective` gives 'a 5 minute timer'."""
    parts = []
    for size, unit in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 or adjective else 's'}")
    return listing(parts) if parts else "0 seconds"


def listing(phrases: list[str], last: str = "and") -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + f" {last} " + phrases[-1]


def rounded(seconds: float) -> int:
    """Seconds to speak: exact under a minute (never "0 seconds left" while it runs), then to
    the nearest 10 seconds, and whole minutes from 10 minutes on: "9 minutes and 59 seconds"
    is more than anyone wants to hear."""
    if seconds < 60:
        return max(1, math.ceil(seconds))
    step = 10 if seconds < 600 else 60
    return round(seconds / step) * step


def clean_name(name: str | None) -> str | None:
    """'The Pasta timer' -> 'pasta', so the name reads right in "your pasta timer"."""
    words = [word for word in (name or "").lower().split() if word not in ("timer", "timers")]
    while words and words[0] in ("the", "my", "a", "for"):
        words.pop(0)
    return " ".join(words) or None


@dataclass
class Timer:
    id: str
    name: str | None
    duration: int
    """Seconds as set; unnamed timers are called by it ("your 5 minute timer")."""
    ends_at: float
    """Wall-clock epoch seconds: still right after a restart, unlike a monotonic clock."""
    paused_left: float | None = None
    """Seconds that were left when it was paused; None while it runs."""
    place: Place | None = None
    """Where it was set (the satellite and its room): it rings there. None: rings everywhere."""

    @property
    def label(self) -> str:
        return f"{self.name or spoken_duration(self.duration, adjective=True)} timer"

    def left(self, now: float) -> float:
        return self.paused_left if self.paused_left is not None else max(0.0, self.ends_at - now)

    def describe(self, now: float) -> dict[str, Any]:
        """The timer as facts for a script or a display."""
        left, paused = round(self.left(now), 1), self.paused_left is not None
        return {"name": self.name, "label": self.label, "duration_seconds": self.duration,
                "left_seconds": left, "paused": paused}  # fmt: skip

    def as_choice(self) -> Choice:
        """This timer as an answer to "which timer do you mean?"."""
        return Choice(self.label, {"name": self.name} if self.name else {"seconds": self.duration})

    def choice(self, now: float) -> str:
        paused = "paused " if self.paused_left is not None else ""
        return f"the {self.label} {paused}with {spoken_duration(rounded(self.left(now)))} left"

    def status(self, now: float) -> str:
        if self.paused_left is None and self.ends_at <= now:  # not rung: no service to ring it
            return f"your {self.label} has run out"
        left = spoken_duration(rounded(self.left(now)))
        if self.paused_left is not None:
            return f"your {self.label} is paused with {left} left"
        return f"{left} left on your {self.label}"
