"""A tool's argument model and JSON Schema, derived from its signature and docstring.

Required parameters are those without a default; `Literal`/`Enum` become `enum`;
`Annotated[int, Field(ge=…, le=…)]` become bounds; the docstring's first paragraph is the
description and its `Args:` section describes the parameters (or, failing that, the
`Field(description=…)` in the parameter's type). Parameters marked `Entities` or
`Areas` get their `enum` per turn from the live registry, so a model can only name devices and
rooms that exist and that the safety policy lets a voice control (the caller gives the names).
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from assistant.skills.parameters import Areas, Entities


@dataclass(frozen=True)
class ParameterInfo:
    name: str
    annotation: Any
    required: bool
    description: str
    home_choice: Entities | Areas | None


def parse_docstring(function: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """(first paragraph, {parameter: description}) from a Google-style docstring."""
    doc = inspect.getdoc(function) or ""
    paragraphs = re.split(r"\n\s*\n", doc.strip()) if doc.strip() else [""]
    summary = " ".join(paragraphs[0].split())
    described: dict[str, str] = {}
    args = re.search(r"^Args:\s*\n(?P<body>(?:[ \t]+.*\n?)+)", doc, flags=re.MULTILINE)
    if args:
        current: str | None = None
        indent: int | None = None
        for line in args.group("body").splitlines():
            match = re.match(r"^(\s+)(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
            if match and (indent is None or len(match.group(1)) <= indent):
                indent, current = len(match.group(1)), match.group(2)
                described[current] = match.group(3).strip()
            elif current and line.strip():
                described[current] += " " + line.strip()
    return summary, described


def _find_marker(annotation: Any) -> Entities | Areas | None:
    if typing.get_origin(annotation) is Annotated:
        for extra in typing.get_args(annotation)[1:]:
            if isinstance(extra, Entities | Areas):
                return extra
    for inner in typing.get_args(annotation):
        found = _find_marker(inner)
        if found is not None:
            return found
    return None


def _field_description(annotation: Any) -> str:
    """The description in an `Annotated[..., Field(description=...)]`, if there is one: a
    parameter type shared by several tools can carry its description with it."""
    if typing.get_origin(annotation) is Annotated:
        for extra in typing.get_args(annotation)[1:]:
            if isinstance(extra, FieldInfo) and extra.description:
                return extra.description
    for inner in typing.get_args(annotation):
        found = _field_description(inner)
        if found:
            return found
    return ""


def parameters(function: Callable[..., Any]) -> list[ParameterInfo]:
    hints = typing.get_type_hints(function, include_extras=True)
    _, described = parse_docstring(function)
    result = []
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(name, Any)
        result.append(
            ParameterInfo(
                name=name,
                annotation=annotation,
                required=parameter.default is inspect.Parameter.empty,
                description=described.get(name) or _field_description(annotation),
                home_choice=_find_marker(annotation),
            )
        )
    return result


def arguments_model(tool_name: str, function: Callable[..., Any]) -> type[BaseModel]:
    """A pydantic model that validates and coerces what a caller (rules, a model) sends."""
    signature = inspect.signature(function)
    fields: dict[str, Any] = {}
    for info in parameters(function):
        default = signature.parameters[info.name].default
        field = Field(
            default=... if info.required else default, description=info.description or None
        )
        fields[info.name] = (info.annotation, field)
    return create_model(f"{tool_name}Arguments", __config__=ConfigDict(extra="forbid"), **fields)


def clean_schema(schema: Any) -> Any:
    """Drop titles and `null` alternatives: optional means "may be left out" to a model."""
    if isinstance(schema, list):
        return [clean_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {key: clean_schema(value) for key, value in schema.items() if key != "title"}
    options = cleaned.get("anyOf")
    if isinstance(options, list):
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            del cleaned["anyOf"]
            cleaned = {**kept[0], **cleaned}
    if cleaned.get("default") is None and "default" in cleaned:
        del cleaned["default"]
    return cleaned


def _inline_refs(schema: Any, definitions: dict[str, Any]) -> Any:
    """Replace `$ref`s into `$defs` (pydantic's form for Enum parameters) by their content:
    the schema is embedded in larger ones, where a top-level `$defs` would not resolve."""
    if isinstance(schema, list):
        return [_inline_refs(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        target = definitions[reference.removeprefix("#/$defs/")]
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        return _inline_refs({**target, **rest}, definitions)
    return {
        key: _inline_refs(value, definitions) for key, value in schema.items() if key != "$defs"
    }


def parameters_schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema()
    schema = clean_schema(_inline_refs(raw, raw.get("$defs", {})))
    schema.setdefault("properties", {})
    schema["additionalProperties"] = False
    return dict(schema)


def with_home_choices(
    schema: dict[str, Any],
    infos: Iterable[ParameterInfo],
    *,
    entity_names: Callable[[tuple[str, ...]], list[str]],
    area_names: list[str],
) -> dict[str, Any]:
    """The schema with this turn's device and area names as enums."""
    properties = dict(schema.get("properties", {}))
    for info in infos:
        if info.home_choice is None or info.name not in properties:
            continue
        if isinstance(info.home_choice, Entities):
            choices = entity_names(info.home_choice.kinds)
        else:
            choices = area_names
        enum = sorted(set(choices)) or [""]
        prop = properties[info.name]
        if prop.get("type") == "array":  # list[EntityName]: each item is a name
            properties[info.name] = {**prop, "items": {**prop.get("items", {}), "enum": enum}}
        else:
            properties[info.name] = {**prop, "enum": enum}
    return {**schema, "properties": properties}
