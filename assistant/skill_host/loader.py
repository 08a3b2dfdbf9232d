"""Finding and loading skills: the built-in folder, folders from config, installed packages.

Loading has two steps. `find_skills` imports each skill and checks everything that can be
checked without running it: its options, its tools' signatures and docstrings, and their
example templates. `load_skills` then sets up the skills that passed. A skill that fails either
step is disabled with one log line and listed as broken; the others keep working. The doctor
runs the first step alone, because setting a skill up may change its state.

Two tools with one name, or two skills with one name, stop start-up naming both, because which
one a sentence (or a line of configuration) reaches would otherwise be an accident.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ValidationError

from assistant.config import SkillsSettings
from assistant.errors import ConfigError
from assistant.skill_host.schema import ParameterInfo, arguments_model, parameters, parse_docstring
from assistant.skills.base import Skill
from assistant.skills.templates import TemplateSyntaxError, check_template
from assistant.skills.tool import TOOL_ATTRIBUTE, ToolInfo

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "assistant.skills"
BUILTIN_FOLDER = Path(__file__).resolve().parents[1] / "builtin_skills"


@dataclass
class Tool:
    name: str
    skill: str
    function: Any
    """The bound method (the class's function until the skill is set up)."""
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


@dataclass
class FoundSkill:
    """A skill that passed every check short of being set up."""

    name: str
    source: str
    cls: type[Skill]
    config: BaseModel | None
    tools: dict[str, Tool]
    """By the name of the method each one is."""

    @property
    def status(self) -> SkillStatus:
        tools = [tool.name for tool in self.tools.values()]
        return SkillStatus(self.name, self.source, "enabled", tools=tools)


@dataclass(frozen=True)
class _Candidate:
    """A skill module found in a folder or an entry point, not imported yet."""

    name: str
    source: str
    load: Callable[[], Any]
    from_package: bool


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


def _candidates(settings: SkillsSettings) -> list[_Candidate]:
    """Every skill module found; loaders import lazily."""
    found: list[_Candidate] = []
    folders = ([BUILTIN_FOLDER] if settings.builtin else []) + list(settings.folders)
    for folder in folders:
        if not folder.is_dir():
            raise ConfigError(f"skills.folders: {folder} is not a folder")
        for name, path in _modules_in(folder):
            load = lambda name=name, path=path: _import_file(name, path)  # noqa: E731
            found.append(_Candidate(name, str(path), load, from_package=False))
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.append(
            _Candidate(entry_point.name, f"package {entry_point.value}", entry_point.load, True)
        )
    return found


def _classes_of(candidate: _Candidate) -> list[type[Skill]]:
    loaded = candidate.load()
    classes = _skill_classes(loaded) if isinstance(loaded, ModuleType) else [loaded]
    if not classes or not all(inspect.isclass(c) and issubclass(c, Skill) for c in classes):
        raise TypeError("defines no Skill subclass")
    return classes


def _broken(name: str, source: str, error: Exception) -> SkillStatus:
    return SkillStatus(name, source, "broken", f"{type(error).__name__}: {error}")


def _disabled(name: str, source: str) -> SkillStatus:
    return SkillStatus(name, source, "disabled", "disabled in config")


def find_skills(settings: SkillsSettings) -> list[FoundSkill | SkillStatus]:
    """Import and check every skill, in the order found, without setting any up: a FoundSkill
    for each that would start, a status for each disabled or broken one."""
    found: list[FoundSkill | SkillStatus] = []
    named: dict[str, tuple[_Candidate, type[Skill]]] = {}
    for candidate in _candidates(settings):
        if candidate.name in settings.disabled:
            found.append(_disabled(candidate.name, candidate.source))
            continue
        try:
            classes = _classes_of(candidate)
        except Exception as error:
            found.append(_broken(candidate.name, candidate.source, error))
            continue
        for cls in classes:
            name = cls.name or (
                candidate.name if len(classes) == 1 else f"{candidate.name}.{cls.__name__}"
            )
            if name in settings.disabled:
                found.append(_disabled(name, candidate.source))
                continue
            if name in named:
                raise ConfigError(_two_skills_named(name, named[name], (candidate, cls)))
            named[name] = (candidate, cls)
            found.append(_check_skill(cls, name, candidate.source, settings))
    _refuse_two_tools_with_one_name([item for item in found if isinstance(item, FoundSkill)])
    return found


def _two_skills_named(name: str, *twins: tuple[_Candidate, type[Skill]]) -> str:
    """What works: `disabled` takes names, so it cannot keep one of two skills of one name;
    renaming means changing where each name comes from."""
    ways = dict.fromkeys(
        "its class attribute `name`" if cls.name
        else "its entry point" if candidate.from_package
        else "its file or folder"
        for candidate, cls in twins
    )  # fmt: skip
    sources = " and ".join(candidate.source for candidate, _ in twins)
    return (
        f"two skills are named {name}: {sources}. [skills] disabled takes names, so it would "
        "turn off both: to keep one, remove the other (its file or folder, or its package), "
        f"or rename it ({' or '.join(ways)})"
    )


def _refuse_two_tools_with_one_name(skills: list[FoundSkill]) -> None:
    owners: dict[str, FoundSkill] = {}
    for skill in skills:
        for tool in skill.tools.values():
            other = owners.setdefault(tool.name, skill)
            if other is not skill:
                raise ConfigError(
                    f"two tools are named {tool.name}: one in skill {other.name} "
                    f"({other.source}), one in skill {skill.name} ({skill.source}); "
                    "rename or disable one"
                )


def _check_skill(
    cls: type[Skill], name: str, source: str, settings: SkillsSettings
) -> FoundSkill | SkillStatus:
    """The skill's options validated, its tools and their example templates checked."""
    try:
        config = _config(cls, settings.options.get(name, {}))
        tools = _tools_of(cls, name, source)
    except ValidationError as error:
        reason = "; ".join(
            f"skills.options.{name}.{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in error.errors()
        )
        return SkillStatus(name, source, "broken", reason)
    except Exception as error:  # whatever the skill's own code raises while it is checked
        return _broken(name, source, error)
    return FoundSkill(name, source, cls, config, tools)


def _config(cls: type[Skill], options: dict[str, Any]) -> BaseModel | None:
    if cls.Config is not None:
        return cls.Config.model_validate(options)
    if options:
        raise ValueError(f"takes no options, got {sorted(options)}")
    return None


async def load_skills(settings: SkillsSettings, make_context: Any) -> LoadedSkills:
    """Import, check and set up every enabled skill; collect their tools. Each broken skill
    gets one log line (the doctor, which only checks, reports them its own way).

    `make_context(name, config)` builds each skill's SkillContext.
    """
    loaded = LoadedSkills({}, {}, [])
    for item in find_skills(settings):
        status = await _start(item, make_context, loaded) if isinstance(item, FoundSkill) else item
        if status.state == "broken":
            log.error("skill %s (%s) disabled: %s", status.name, status.source, status.reason)
        loaded.statuses.append(status)
    return loaded


async def _start(found: FoundSkill, make_context: Any, loaded: LoadedSkills) -> SkillStatus:
    """Make the skill, give it its context and set it up; its tools join only if that worked."""
    try:
        skill = found.cls()
        skill.context = make_context(found.name, found.config)
        await run_hook(skill.setup)
    except Exception as error:
        return _broken(found.name, found.source, error)
    for attribute, tool in found.tools.items():
        loaded.tools[tool.name] = replace(tool, function=getattr(skill, attribute))
    loaded.skills[found.name] = skill
    return found.status


async def run_hook(hook: Callable[[], Awaitable[None] | None]) -> None:
    """Call `setup` or `teardown`, which a skill may write with `def` or with `async def`."""
    outcome = hook()
    if inspect.isawaitable(outcome):
        await outcome


def _tools_of(cls: type[Skill], skill_name: str, source: str) -> dict[str, Tool]:
    found = {}
    for attribute, member in inspect.getmembers(cls, predicate=inspect.isfunction):
        info: ToolInfo | None = getattr(member, TOOL_ATTRIBUTE, None)
        if info is None:
            continue
        if not inspect.iscoroutinefunction(member):
            raise TypeError(f"tool {attribute} must be an async method")
        name = info.name or attribute
        description, _ = parse_docstring(member)
        if not description:
            raise TypeError(f"tool {name} has no docstring to describe it")
        tool = Tool(
            name=name,
            skill=skill_name,
            function=member,
            info=info,
            description=description,
            arguments=arguments_model(name, member),
            parameters=parameters(member),
            source=source,
        )
        _check_examples(tool)
        found[attribute] = tool
    return found


def _check_examples(tool: Tool) -> None:
    """Each example template parses and fills only the tool's parameters: a broken one would
    otherwise be skipped quietly by the rules, and the sentences it was for never understood."""
    names = [parameter.name for parameter in tool.parameters]
    for template in tool.info.examples:
        try:
            check_template(template, names)
        except TemplateSyntaxError as error:
            raise TemplateSyntaxError(f"tool {tool.name}, example {error}") from None
