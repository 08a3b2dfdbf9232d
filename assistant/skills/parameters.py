"""Parameters whose values are this home's devices or rooms.

`EntityName` and `AreaName` (or `Annotated[str, Entities("light")]`) tell the runtime that a
parameter names something in the home: its allowed values are filled from the live device
registry every turn, in the model's schema and in the rules' sentence slots, so nothing can
name a device or room that does not exist.
"""

from __future__ import annotations

from typing import Annotated


class Entities:
    """Marks a parameter whose value is the name of a device (optionally of these kinds)."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = kinds

    def __repr__(self) -> str:
        return f"Entities{self.kinds!r}"


class Areas:
    """Marks a parameter whose value is the name of an area (room) of this home."""

    def __repr__(self) -> str:
        return "Areas()"


EntityName = Annotated[str, Entities()]
AreaName = Annotated[str, Areas()]
