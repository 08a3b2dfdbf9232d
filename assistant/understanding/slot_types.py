"""What a tool parameter's type says about the words that fill it: a closed list of values
(`Literal`, `Enum`), or a number."""

from __future__ import annotations

import enum
import typing
from typing import Annotated, Any, Literal


def allowed_values(annotation: Any) -> list[str] | None:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return [str(value) for value in typing.get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    if origin is Annotated:
        return allowed_values(typing.get_args(annotation)[0])
    for inner in typing.get_args(annotation):
        if inner is not type(None):
            found = allowed_values(inner)
            if found is not None:
                return found
    return None


def is_number(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) is Annotated:
        return is_number(typing.get_args(annotation)[0])
    return any(is_number(inner) for inner in typing.get_args(annotation) if inner is not type(None))
