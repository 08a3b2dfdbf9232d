"""Sentence templates compiled for the rules: one regular expression over normalised text.

The grammar is the plugin API's (`assistant.skills.templates`); here its words are normalised
the way utterances are, so "I've" in a template meets "i have" in what was said, and slots
become patterns: lists of values (device names, areas, a parameter's allowed values) or, for
numbers and free text, a regular expression.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.skills.templates import (
    Alternatives,
    Fixed,
    Node,
    Slot,
    TemplateSyntaxError,
    Word,
    parse_template,
)
from assistant.understanding.normalize import normalize_utterance

__all__ = [
    "CompiledTemplate",
    "SlotPattern",
    "TemplateSyntaxError",
    "compile_template",
    "example_sentence",
]


@functools.lru_cache(maxsize=4096)
def spoken_words(word: Word) -> tuple[str, ...]:
    """A template word as utterances are normalised: "I've" → ("i", "have"), "please" → ()."""
    return tuple(normalize_utterance(word.text).split())


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
            spoken = spoken_words(node)
            words.update(spoken)
            return " ?".join(re.escape(word) for word in spoken)
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
        if isinstance(node, Alternatives):
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
            words.extend(spoken_words(node))
        elif isinstance(node, Fixed):
            fixed[node.name] = node.value
        elif isinstance(node, Slot):
            if node.name not in fill:
                return False
            words.append(fill[node.name])
            used.add(node.name)
        elif isinstance(node, Alternatives):
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
