"""Finding and loading skills: the built-in folder, folders from config, installed packages.

A skill that fails to import, to validate its config or to set up is disabled with one log line
and listed as broken; the others keep working. Two tools with one name stop start-up, naming
both, because which one a sentence reaches would otherwise be an accident.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from assistant.config import SkillsSettings
from assistant.errors import ConfigError
from assistant.skill_host.schema import ParameterInfo, arguments_model, parameters, parse_docstring
from assistant.skills.base import Skill
from assistant.skills.tool import TOOL_ATTRIBUTE, ToolInfo

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "assistant.skills"
BUILTIN_FOLDER = Path(__file__).resolve().parents[1] / "builtin_skills"


@dataclass
class Tool:
    name: str
    skill: str
    function: Any
    """The bound method."""
    info: ToolInfo
    description: str
    arguments: Any
    """The pydantic model that validates and coerces arguments."""
    parameters: list[ParameterInfo]
    source: str


@dataclass
class SkillStatus:
    name: str
    source: str
    state: str  # "enabled" | "disabled" | "broken"
    reason: str = ""
    tools: list[str] = field(default_factory=list)


@dataclass
class LoadedSkills:
    skills: dict[str, Skill]
    tools: dict[str, Tool]
    statuses: list[SkillStatus]


def _modules_in(folder: Path) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py":
            found.append((path.stem, path))
        elif (path / "__init__.py").is_file():
            found.append((path.name, path / "__init__.py"))
    return found


def _import_file(name: str, path: Path) -> ModuleType:
    module_name = f"assistant_skill_{name}"
    spec = importlib.util.spec_from_file_location(
        module_name,
        path,
        submodule_search_locations=[str(path.parent)] if path.name == "__init__.py" else None,
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _skill_classes(module: ModuleType) -> list[type[Skill]]:
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, Skill) and value is not Skill
        and value.__module__ == module.__name__
    ]  # fmt: skip


def _candidates(settings: SkillsSettings) -> list[tuple[str, str, Any]]:
    """(name, source, loader) for every skill module found; loaders import lazily."""
    found: list[tuple[str, str, Any]] = []
    folders = ([BUILTIN_FOLDER] if settings.builtin else []) + list(settings.folders)
    for folder in folders:
        if not folder.is_dir():
            raise ConfigError(f"skills.folders: {folder} is not a folder")
        for name, path in _modules_in(folder):
            found.append((name, str(path), lambda name=name, path=path: _import_file(name, path)))
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.append((entry_point.name, f"package {entry_point.value}", entry_point.load))
    return found


async def load_skills(settings: SkillsSettings, make_context: Any) -> LoadedSkills:
    """Import, configure and set up every enabled skill; collect their tools.

    `make_context(name, config)` builds each skill's SkillContext.
    """
    skills: dict[str, Skill] = {}
    tools: dict[str, Tool] = {}
    statuses: list[SkillStatus] = []
    for module_name, source, load in _candidates(settings):
        if module_name in settings.disabled:
            statuses.append(SkillStatus(module_name, source, "disabled", "disabled in config"))
            continue
        try:
            loaded = load()
            classes = _skill_classes(loaded) if isinstance(loaded, ModuleType) else [loaded]
            if not classes or not all(inspect.isclass(c) and issubclass(c, Skill) for c in classes):
                raise TypeError("defines no Skill subclass")
        except Exception as error:
            log.error("skill %s (%s) disabled: cannot be loaded: %s: %s", module_name, source,
                      type(error).__name__, error)  # fmt: skip
            statuses.append(
                SkillStatus(module_name, source, "broken", f"{type(error).__name__}: {error}")
            )
            continue
        for cls in classes:
            name = cls.name or (
                module_name if len(classes) == 1 else f"{module_name}.{cls.__name__}"
            )
            if name in settings.disabled:
                statuses.append(SkillStatus(name, source, "disabled", "disabled in config"))
                continue
            same = next((s for s in statuses if s.name == name and s.state == "enabled"), None)
            if same is not None:
                raise ConfigError(
                    f"two skills are named {name}: {same.source} and {source}; "
                    "rename or disable one"
                )
            status = await _start_skill(
                cls, name=name, source=source, settings=settings, make_context=make_context,
                skills=skills, tools=tools,
            )  # fmt: skip
            statuses.append(status)
    return LoadedSkills(skills, tools, statuses)


async def _start_skill(
    cls: type[Skill],
    *,
    name: str,
    source: str,
    settings: SkillsSettings,
    make_context: Any,
    skills: dict[str, Skill],
    tools: dict[str, Tool],
) -> SkillStatus:
    try:
        options = settings.options.get(name, {})
        config = None
        if cls.Config is not None:
            config = cls.Config.model_validate(options)
        elif options:
            raise ValueError(f"takes no options, got {sorted(options)}")
        skill = cls()
        skill.context = make_context(name, config)
        found = _tools_of(skill, name, source)
        await skill.setup()
    except ValidationError as error:
        reason = "; ".join(
            f"skills.options.{name}.{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in error.errors()
        )
        log.error("skill %s disabled: invalid options: %s", name, reason)
        return SkillStatus(name, source, "broken", reason)
    except Exception as error:
        log.error("skill %s disabled: setup failed: %s: %s", name, type(error).__name__, error)
        return SkillStatus(name, source, "broken", f"{type(error).__name__}: {error}")
    for tool in found:
        if tool.name in tools:
            other = tools[tool.name]
            raise ConfigError(
                f"two tools are named {tool.name}: one in skill {other.skill} ({other.source}), "
                f"one in skill {name} ({source}); rename or disable one"
            )
    for tool in found:
        tools[tool.name] = tool
    skills[name] = skill
    return SkillStatus(name, source, "enabled", tools=[tool.name for tool in found])


def _tools_of(skill: Skill, skill_name: str, source: str) -> list[Tool]:
    found = []
    for attribute, member in inspect.getmembers(type(skill), predicate=inspect.isfunction):
        info: ToolInfo | None = getattr(member, TOOL_ATTRIBUTE, None)
        if info is None:
            continue
        if not inspect.iscoroutinefunction(member):
            raise TypeError(f"tool {attribute} must be an async method")
        name = info.name or attribute
        description, _ = parse_docstring(member)
        if not description:
            raise TypeError(f"tool {name} has no docstring to describe it")
        found.append(
            Tool(
                name=name,
                skill=skill_name,
                function=getattr(skill, attribute),
                info=info,
                description=description,
                arguments=arguments_model(name, member),
                parameters=parameters(member),
                source=source,
            )
        )
    return found
