"""Invalid settings, one line per problem: key, value, what is allowed, where it was set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from assistant.config import hardware
from assistant.config.settings import ENV_PREFIX


def describe_validation_error(
    error: ValidationError, profile: tuple[str, Mapping[str, Any]] | None = None
) -> str:
    """One line per problem: `section.key = value: what is allowed (where it was set)`.

    `profile` is the applied hardware profile's name and values: a problem whose value came
    from it names the profile file rather than the TOML file and the environment.
    """
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        given = problem.get("input")
        env_name = ENV_PREFIX + "__".join(str(part).upper() for part in problem["loc"])
        where = f"set in the TOML file or {env_name}"
        if profile is not None and _lookup(profile[1], problem["loc"]) == given:
            where = f"from hardware profile {hardware.profiles_dir() / profile[0]}.toml"
        lines.append(f"config {key} = {given!r}: {problem['msg']} ({where})")
    return "invalid configuration: " + "; ".join(lines)


_MISSING = object()


def _lookup(values: Mapping[str, Any], path: Sequence[int | str]) -> Any:
    found: Any = values
    for part in path:
        if not isinstance(found, Mapping) or part not in found:
            return _MISSING
        found = found[part]
    return found
