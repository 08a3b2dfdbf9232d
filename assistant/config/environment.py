"""`ASSISTANT_*` variables checked before they are read: an unknown one (a typo) stops start-up
naming the closest setting, and a value that is not the JSON a list or table needs says how to
write it. Silently ignoring either would turn `ASSISTANT_MQTT_HOST` into "no broker".
"""

from __future__ import annotations

import difflib
import json
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from assistant.config.settings import ENV_PREFIX, Settings
from assistant.errors import ConfigError

DELIMITER = "__"

# ASSISTANT_ variables that are not settings, read elsewhere (never by `load_settings`).
NOT_SETTINGS = frozenset(
    {
        "ASSISTANT_RECORD_CONTRACT",  # tests/test_json_contract.py: re-record the samples
    }
)


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise ConfigError for the first unknown `ASSISTANT_*` variable or unparseable value."""
    problems = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NOT_SETTINGS:
            continue
        problem = _problem(upper, environ[name])
        if problem:
            problems.append(problem)
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))


def setting_names() -> list[str]:
    """Every settings variable: `ASSISTANT_<SECTION>` and `ASSISTANT_<SECTION>__<KEY>`, …"""
    return [ENV_PREFIX + DELIMITER.join(path).upper() for path, _ in _walk(Settings, ())]


def _problem(name: str, value: str) -> str | None:
    parts = name[len(ENV_PREFIX) :].lower().split(DELIMITER)
    model: type[BaseModel] = Settings
    for depth, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return _unknown(name)
        annotation = field.annotation
        rest = parts[depth + 1 :]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not rest:
                return _json_problem(name, value, dict, "a JSON table")
            model = annotation
            continue
        if rest:  # only a table (dict) has keys below it
            return None if typing.get_origin(annotation) is dict else _unknown(name)
        origin = typing.get_origin(annotation)
        if origin is list:
            return _json_problem(name, value, list, "a JSON list")
        if origin is dict:
            return _json_problem(name, value, dict, "a JSON table")
        return None
    return None


def _json_problem(name: str, value: str, kind: type, what: str) -> str | None:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if isinstance(parsed, kind):
        return None
    key = name[len(ENV_PREFIX) :].lower().replace(DELIMITER, ".")
    words = [word.strip() for word in value.split(",") if word.strip()]
    example = json.dumps(words) if kind is list else '{"key": "value"}'
    return (
        f"{name} = {value!r}: config {key} must be {what}, "
        f"e.g. {name}='{example}' (quote it for the shell)"
    )


def _unknown(name: str) -> str:
    # Compared without the prefix, which every name shares and would make any two look alike.
    known = [known[len(ENV_PREFIX) :] for known in setting_names()]
    close = difflib.get_close_matches(name[len(ENV_PREFIX) :], known, n=1, cutoff=0.6)
    hint = (
        f"did you mean {ENV_PREFIX}{close[0]}?"
        if close
        else f"settings are {ENV_PREFIX}<SECTION>{DELIMITER}<KEY>, "
        f"sections: {', '.join(Settings.model_fields)}"
    )
    key = name[len(ENV_PREFIX) :].lower().replace(DELIMITER, ".")
    return f"unknown environment variable {name} (config {key}): {hint}"


def _walk(model: type[BaseModel], prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key, field in model.model_fields.items():
        path = (*prefix, key)
        yield path, field
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _walk(annotation, path)
