"""The doctor's check of the skills: each one imported and checked the way start-up checks it.

Options, tools and example templates are checked; `setup()` is not run, because the doctor
changes nothing and setting a skill up may (its state folder, its schedule).
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.doctor.check import Check
from assistant.errors import ConfigError
from assistant.skill_host.loader import FoundSkill, SkillStatus, find_skills


def check_skills(settings: Settings) -> Check:
    try:
        found = find_skills(settings.skills)
    except ConfigError as error:  # a folder that is not one, two skills or tools of one name
        return Check("skills", "fail", error.message, "correct [skills] as the message says")
    ready = [item for item in found if isinstance(item, FoundSkill)]
    broken = [item for item in found if isinstance(item, SkillStatus) and item.state == "broken"]
    if broken:
        return Check(
            "skills",
            "fail",
            "; ".join(f"{s.name} ({s.source}): {s.reason}" for s in broken),
            "correct each skill named, or turn it off in [skills] disabled",
        )
    tools = sum(len(skill.tools) for skill in ready)
    disabled = len(found) - len(ready)
    return Check("skills", "ok", f"{len(ready)} skills with {tools} tools" + (
        f", {disabled} disabled" if disabled else ""))  # fmt: skip
