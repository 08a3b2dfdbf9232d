"""What was said, normalised once for every stage of understanding."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from assistant.text import fold
from assistant.understanding.normalize import clauses, normalize_utterance


@dataclass(frozen=True)
class Utterance:
    text: str
    """As transcribed or typed: what the language model reads."""
    plain: str
    """Folded words only ("the kitchen one"): for answers, where "one" is no number."""
    normalized: str
    """Digits for number words, politeness and fillers gone: what the rules compare."""
    clauses: tuple[str, ...]
    """The normalised clauses, split at the punctuation ("Thanks. Now switch it off")."""

    @classmethod
    def of(cls, text: str) -> Utterance:
        return cls(text, fold(text), normalize_utterance(text), tuple(clauses(text)))

    @functools.cached_property
    def words(self) -> frozenset[str]:
        """The normalised words, as a set."""
        return frozenset(self.normalized.split())
