"""The skill plugin API: everything a skill author imports comes from here."""

from assistant.devices.registry import Entity
from assistant.skills.base import Skill
from assistant.skills.context import Announcement, SkillContext
from assistant.skills.kinds import kind_plural
from assistant.skills.result import ToolResult
from assistant.skills.schema import AreaName, Areas, Entities, EntityName
from assistant.skills.tool import tool

__all__ = [
    "Announcement",
    "AreaName",
    "Areas",
    "Entities",
    "Entity",
    "EntityName",
    "Skill",
    "SkillContext",
    "ToolResult",
    "kind_plural",
    "tool",
]
