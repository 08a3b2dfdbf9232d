"""Sentence templates: `(turn|switch) on [the] {area} (light|lights){domain=light}`.

`(a|b)` alternatives, `[x]` optional, `{slot}` a tool parameter filled from the words there,
`{slot=value}` a fixed argument that matches no words. A template compiles to one regular
expression over normalised text; slot values come from lists (device names, areas, the
parameter's allowed values) or, for numbers and free text, from a pattern.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.brain.normalize import normalize_utterance


class TemplateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Word:
    text: str


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
class Choice:
    options: tuple[Sequence, ...]
    optional: bool


Node = Word | Slot | Fixed | Sequence | Choice

_TOKEN = re.compile(r"\{[^}]*\}|[()\[\]|]|[^\s()\[\]|{}]+")


@functools.lru_cache(maxsize=4096)
def parse_template(template: str) -> Sequence:
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
                items.append(Choice(tuple(options), optional=token == "["))
            elif token.startswith("{"):
                inner = token[1:-1].strip()
                name, equals, value = inner.partition("=")
                if not name.strip().isidentifier():
                    raise TemplateSyntaxError(f"{template!r}: bad slot {token!r}")
                items.append(Fixed(name.strip(), value.strip()) if equals else Slot(name.strip()))
            elif token in ")]|":
                raise TemplateSyntaxError(f"{template!r}: unexpected {token!r}")
            else:
                items.extend(Word(word) for word in normalize_utterance(token).split())
        return Sequence(tuple(items))

    parsed = sequence("")
    if position != len(tokens):
        raise TemplateSyntaxError(f"{template!r}: unexpected {tokens[position]!r}")
    return parsed


@dataclass(frozen=True)
class SlotPattern:
    """How a slot's words are recognised: a list of phrases, or a regular expression."""

    values: dict[str, str] | None = None
    """Normalised phrase → argument value; a list slot with no values matches nothing."""
    pattern: str | None = None
    """A regular expression; with neither values nor pattern the slot takes free text."""
    partial: frozenset[str] = frozenset()
    """Phrases among `values` that only part of a name ("lamp" for "Bedroom reading lamp"):
    they may fit several things, so they count for less than a whole name."""
    looked_up: bool = False
    """The slot matches any run of words, which must then be one of `values`. For this home's
    names and areas: the compiled template then does not depend on the home, so it need not be
    recompiled when a device is added, and thousands of names cost one dictionary lookup."""

    @property
    def is_free_text(self) -> bool:
        return self.values is None and self.pattern is None


@dataclass(frozen=True)
class CompiledTemplate:
    template: str
    regex: re.Pattern[str]
    groups: dict[str, str]
    """Regex group name → slot name."""
    fixed: dict[str, str]
    words: frozenset[str]
    """The template's own words (not its slots'), for mending slips toward them."""

    def match(self, text: str, slots: dict[str, SlotPattern]) -> dict[str, str] | None:
        found = self.match_spoken(text, slots)
        return found[0] if found is not None else None

    def match_spoken(
        self, text: str, slots: dict[str, SlotPattern]
    ) -> tuple[dict[str, str], dict[str, str]] | None:
        """(arguments, the words said for each slot), or None when the text does not fit."""
        found = self.regex.fullmatch(text)
        if found is None:
            return None
        arguments: dict[str, str] = {}
        spoken_by_slot: dict[str, str] = {}
        for group, slot in self.groups.items():
            spoken = found.group(group)
            if spoken is None:
                continue
            pattern = slots[slot]
            if pattern.looked_up and (pattern.values is None or spoken not in pattern.values):
                return None
            spoken_by_slot[slot] = spoken
            arguments[slot] = (
                pattern.values.get(spoken, spoken) if pattern.values is not None else spoken
            )
        return {**arguments, **self.fixed}, spoken_by_slot


_WORDS = r"[a-z0-9.]+(?: [a-z0-9.]+)*?"


def compile_template(
    template: str, slot_for: Callable[[str], SlotPattern | None]
) -> CompiledTemplate:
    """Compile against the current slot values (recompile when the home changes)."""
    groups: dict[str, str] = {}
    fixed: dict[str, str] = {}
    words: set[str] = set()

    def render(node: Node) -> str:
        if isinstance(node, Word):
            words.add(node.text)
            return re.escape(node.text)
        if isinstance(node, Fixed):
            fixed[node.name] = node.value
            return ""
        if isinstance(node, Slot):
            pattern = slot_for(node.name)
            if pattern is None:
                raise TemplateSyntaxError(f"{template!r}: no parameter named {node.name!r}")
            group = f"{node.name}__{len(groups)}"
            groups[group] = node.name
            if pattern.looked_up:
                body = _WORDS
            elif pattern.values is not None:
                phrases = sorted(pattern.values, key=len, reverse=True)
                body = "|".join(re.escape(p) for p in phrases) or "(?!)"
            else:
                body = pattern.pattern or r".+?"
            return f"(?P<{group}>{body})"
        if isinstance(node, Choice):
            # Longest alternative first. A looked-up slot takes any words and is checked only
            # after the regex matched, so "(cut|cut the power to) [the] {name}" must try "cut the
            # power to" before "cut" leaves "power to the plug" as the name.
            rendered = sorted((render(option) for option in node.options), key=len, reverse=True)
            options = "|".join(rendered)
            return f"(?:{options})?" if node.optional else f"(?:{options})"
        parts = [part for part in (render(item) for item in node.items) if part]
        # Words are separated by one space in normalised text; the space is optional so
        # that a left-out optional part ("[the]") leaves no gap to match.
        return " ?".join(parts)

    body = render(parse_template(template))
    regex = re.compile(rf"\s*{body}\s*")
    return CompiledTemplate(template, regex, groups, fixed, frozenset(words))


def example_sentence(
    template: str, fill: dict[str, str]
) -> tuple[str, dict[str, str], set[str]] | None:
    """One plain sentence from a template: first alternatives, optional parts kept when their
    slots can be filled. Returns (sentence, fixed arguments, slots used), or None when a
    required slot has no value."""

    def walk(node: Node, words: list[str], fixed: dict[str, str], used: set[str]) -> bool:
        if isinstance(node, Word):
            words.append(node.text)
        elif isinstance(node, Fixed):
            fixed[node.name] = node.value
        elif isinstance(node, Slot):
            if node.name not in fill:
                return False
            words.append(fill[node.name])
            used.add(node.name)
        elif isinstance(node, Choice):
            trial_words: list[str] = []
            trial_fixed: dict[str, str] = {}
            trial_used: set[str] = set()
            if walk(node.options[0], trial_words, trial_fixed, trial_used):
                words.extend(trial_words)
                fixed.update(trial_fixed)
                used.update(trial_used)
                return True
            return node.optional
        else:
            return all(walk(item, words, fixed, used) for item in node.items)
        return True

    words: list[str] = []
    fixed: dict[str, str] = {}
    used: set[str] = set()
    if not walk(parse_template(template), words, fixed, used):
        return None
    return " ".join(words), fixed, used
