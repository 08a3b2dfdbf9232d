"""The grammar of a tool's example sentences: `(turn|switch) on [the] {area} lights{domain=light}`.

`(a|b)` alternatives, `[x]` optional (may hold alternatives: `[down|up]`), `{slot}` a tool
parameter filled from the words said there, `{slot=value}` a fixed argument that matches no
words. This module only parses; what a template means is decided by its readers: the rules
compile it into a pattern over normalised text, the model's prompt fills it into examples,
and "what can you do" reads it back as a plain sentence. Words are kept as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass


class TemplateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Word:
    text: str
    """As written in the template: "I've", "Turn", "2"."""


@dataclass(frozen=True)
class Slot:
    name: str


@dataclass(frozen=True)
class Fixed:
    name: str
    value: str


@dataclass(frozen=True)
class Sequence:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alternatives:
    options: tuple[Sequence, ...]
    optional: bool


Node = Word | Slot | Fixed | Sequence | Alternatives

_TOKEN = re.compile(r"\{[^}]*\}|[()\[\]|]|[^\s()\[\]|{}]+")


@functools.lru_cache(maxsize=4096)
def parse_template(template: str) -> Sequence:
    """The template as a tree; raises TemplateSyntaxError naming the template."""
    tokens = _TOKEN.findall(template)
    position = 0

    def sequence(closers: str) -> Sequence:
        nonlocal position
        items: list[Node] = []
        while position < len(tokens) and tokens[position] not in closers:
            token = tokens[position]
            position += 1
            if token in "([":
                closer = ")" if token == "(" else "]"
                options = [sequence("|" + closer)]
                while position < len(tokens) and tokens[position] == "|":
                    position += 1
                    options.append(sequence("|" + closer))
                if position >= len(tokens) or tokens[position] != closer:
                    raise TemplateSyntaxError(f"{template!r}: missing {closer!r}")
                position += 1
                items.append(Alternatives(tuple(options), optional=token == "["))
            elif token.startswith("{"):
                inner = token[1:-1].strip()
                name, equals, value = inner.partition("=")
                if not name.strip().isidentifier():
                    raise TemplateSyntaxError(f"{template!r}: bad slot {token!r}")
                items.append(Fixed(name.strip(), value.strip()) if equals else Slot(name.strip()))
            elif token in ")]|":
                raise TemplateSyntaxError(f"{template!r}: unexpected {token!r}")
            else:
                items.append(Word(token))
        return Sequence(tuple(items))

    parsed = sequence("")
    if position != len(tokens):
        raise TemplateSyntaxError(f"{template!r}: unexpected {tokens[position]!r}")
    return parsed


def check_template(template: str, parameters: Collection[str]) -> None:
    """Raise TemplateSyntaxError, naming the template, unless it parses and every `{slot}` and
    `{slot=value}` in it names one of `parameters` (a call could not carry any other)."""
    unknown = sorted(set(_names(parse_template(template))) - set(parameters))
    if unknown:
        takes = ", ".join(parameters) or "none"
        raise TemplateSyntaxError(
            f"{template!r}: no parameter named {unknown[0]!r} (it takes {takes})"
        )


def _names(node: Node) -> Iterator[str]:
    """The names of every slot and fixed argument in a template's tree."""
    if isinstance(node, Slot | Fixed):
        yield node.name
    elif isinstance(node, Sequence):
        for item in node.items:
            yield from _names(item)
    elif isinstance(node, Alternatives):
        for option in node.options:
            yield from _names(option)
