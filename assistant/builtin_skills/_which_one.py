"""The question asked when a name fits several devices: one the person can answer.

Devices that share a name are told apart by their room; when even that is the same (a new
device named like a known one, in the same room), by their position, which the answer "the
second one" picks.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.skills import Entity

_ORDINALS = ["first", "second", "third", "fourth", "fifth"]


def which_one(entities: Sequence[Entity]) -> str:
    labels = [f"the {entity.name}" for entity in entities]
    if _repeats(labels):
        labels = [
            f"the {entity.name} in the {entity.area}" if entity.area else f"the {entity.name}"
            for entity in entities
        ]
    if not _repeats(labels):
        return f"Which one do you mean: {_or(labels)}?"
    positions = [f"the {word}" for word in _ORDINALS[: len(entities) - 1]] + ["the last"]
    return f"{len(entities)} devices are called that. Which one do you mean: {_or(positions)}?"


def _repeats(labels: list[str]) -> bool:
    return len({label.casefold() for label in labels}) < len(labels)


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
