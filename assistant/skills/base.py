"""The Skill base class: a class whose `@tool` methods the loader registers."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import ClassVar

from pydantic import BaseModel

from assistant.skills.context import SkillContext


class Skill:
    """Subclass this; give tools with `@tool`. The docstring's first line describes the skill."""

    name: ClassVar[str] = ""
    """The skill's name in config and `assistant skills list`; the module's name if empty."""
    Config: ClassVar[type[BaseModel] | None] = None
    """Settings the skill accepts under [skills.options.<name>], validated at start-up."""

    context: SkillContext

    # Either `def` or `async def` in a subclass: the loader awaits only what is awaitable, and
    # this return type lets both forms pass a type checker.
    def setup(self) -> Awaitable[None] | None:
        """Called once after loading, with `self.context` ready (restore state, start work)."""
        return None

    def teardown(self) -> Awaitable[None] | None:
        """Called at shutdown."""
        return None
