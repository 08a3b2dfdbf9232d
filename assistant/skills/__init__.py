"""The skill plugin API: everything a skill author imports comes from here.

The runtime's other side (loading skills, calling their tools through the safety gate) is
`assistant.skill_host`; the skills that ship with the runtime are `assistant.builtin_skills`.
"""

from assistant.devices.commands import CommandOutcome
from assistant.devices.registry import Entity
from assistant.skills.base import Skill
from assistant.skills.broker import Broker, DeliveryFailed, Message
from assistant.skills.context import Announcement, SkillContext
from assistant.skills.devices import Devices
from assistant.skills.kinds import kind_plural
from assistant.skills.parameters import AreaName, Areas, Entities, EntityName
from assistant.skills.request import Place
from assistant.skills.result import Choice, ToolResult
from assistant.skills.templates import parse_template
from assistant.skills.tool import tool

__all__ = [
    "Announcement",
    "AreaName",
    "Areas",
    "Broker",
    "Choice",
    "CommandOutcome",
    "DeliveryFailed",
    "Devices",
    "Entities",
    "Entity",
    "EntityName",
    "Message",
    "Place",
    "Skill",
    "SkillContext",
    "ToolResult",
    "kind_plural",
    "parse_template",
    "tool",
]
