"""Home Assistant style value and command templates, evaluated in a sandbox.

Discovery payloads carry Jinja templates such as `{{ value_json.state }}` or
`{{ value_json.brightness | int }}`. They come from the network, so they run in Jinja's
sandbox with a small set of HA's filters, bounded in time, arithmetic, loops and size
(`template_bounds`), and every failure turned into a `TemplateError` that names the template;
never an exception that takes down the runtime, and never one that freezes it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from assistant.devices.template_bounds import CURRENT, BoundedEnvironment, BoundExceeded, Budget
from assistant.errors import AssistantError

_MAX_OUTPUT_CHARS = 4096


class TemplateError(AssistantError):
    code = "template-failed"


class TemplateBoundExceeded(TemplateError):
    """The template went past a bound (time, arithmetic, loops, size): it will do so again, so
    the entity carrying it is disabled rather than retried on every message."""

    code = "template-bound-exceeded"


def _to_int(value: Any, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _to_float(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _iif(value: Any, if_true: Any = True, if_false: Any = False, if_none: Any = None) -> Any:
    if value is None:
        return if_none
    return if_true if value else if_false


def _environment() -> BoundedEnvironment:
    env = BoundedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.filters |= {
        "int": _to_int,
        "float": _to_float,
        "iif": _iif,
        "tojson": json.dumps,
        "to_json": json.dumps,
        "from_json": json.loads,
        "is_defined": lambda value: value is not None,
    }
    env.globals |= {"int": _to_int, "float": _to_float, "iif": _iif, "min": min, "max": max}
    return env


_ENV = _environment()


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    return _ENV.from_string(source)


def _short(source: str) -> str:
    return repr(source if len(source) <= 80 else source[:77] + "...")


def render(source: str, **variables: Any) -> str:
    """Render a template; raise TemplateError with a one-line reason on any failure."""
    budget = Budget()
    token = CURRENT.set(budget)
    try:
        pieces: list[str] = []
        size = 0
        for piece in _compile(source).generate(**variables):
            size += len(piece)
            if size > _MAX_OUTPUT_CHARS:
                raise BoundExceeded(f"an output of more than {_MAX_OUTPUT_CHARS} characters")
            pieces.append(piece)
            budget.check_time()
        output = "".join(pieces)
    except BoundExceeded as error:
        raise TemplateBoundExceeded(
            f"template {_short(source)} went past a bound: {error}"
        ) from None
    except (TemplateSyntaxError, UndefinedError, SecurityError) as error:
        raise TemplateError(f"template {_short(source)} failed: {error}") from None
    except Exception as error:  # arithmetic on bad input, wrong types, …
        raise TemplateError(
            f"template {_short(source)} failed: {type(error).__name__}: {error}"
        ) from None
    finally:
        CURRENT.reset(token)
    return output.strip()


def render_value(source: str | None, payload: str) -> str:
    """Extract a state from an incoming payload (`value`, and `value_json` when it is JSON)."""
    if source is None:
        return payload
    try:
        value_json: Any = json.loads(payload)
    except ValueError:
        value_json = None
    return render(source, value=payload, value_json=value_json)


def render_command(source: str | None, value: Any) -> str:
    """Build an outgoing payload from a command template (`value`)."""
    if source is None:
        return value if isinstance(value, str) else json.dumps(value)
    return render(source, value=value)
