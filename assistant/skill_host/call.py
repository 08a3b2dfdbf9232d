"""A call of a tool, as understanding proposes it and the toolbox carries it out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Arguments = dict[str, Any]
"""Argument values by parameter name, as said or proposed; the toolbox validates and coerces
them against the tool's signature ("40" becomes 40) before the tool runs."""


@dataclass(frozen=True)
class ToolCall:
    tool: str
    """The tool's name: "HassTurnOn", "BrewCoffee"."""
    arguments: Arguments
