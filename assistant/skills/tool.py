"""`@tool`: marks a skill method as a tool. It only attaches metadata; the loader registers it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])

TOOL_ATTRIBUTE = "__assistant_tool__"


@dataclass(frozen=True)
class ToolInfo:
    name: str | None
    """The tool's name; the method's name when not given (built-ins use Home Assistant's)."""
    examples: tuple[str, ...]
    """Sentence templates: `(a|b)` alternatives, `[word]` optional, `{parameter}` slots and
    `{parameter=value}` fixed arguments. They feed the rules, the model's prompt and tests."""
    timeout_seconds: float


@overload
def tool(function: F, /) -> F: ...


@overload
def tool(
    name: str | None = None,
    /,
    *,
    examples: tuple[str, ...] | list[str] = (),
    timeout_seconds: float = 10.0,
) -> Callable[[F], F]: ...


def tool(
    function_or_name: Any = None,
    /,
    *,
    examples: tuple[str, ...] | list[str] = (),
    timeout_seconds: float = 10.0,
) -> Any:
    """Declare a tool: `@tool` or `@tool("HassTurnOn", examples=[...], timeout_seconds=5)`."""
    name = function_or_name if isinstance(function_or_name, str) else None

    def mark(target: F) -> F:
        setattr(target, TOOL_ATTRIBUTE, ToolInfo(name, tuple(examples), timeout_seconds))
        return target

    return mark(function_or_name) if callable(function_or_name) else mark
