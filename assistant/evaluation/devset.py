"""The development set: utterances with what a correct assistant does about each of them.

One JSON object per line of `eval/devset.jsonl`. An item says which tool should answer
(`intent`, null when nothing should be done), the exact device commands that must be published
(`expected`; empty when no device may move), and optionally the earlier utterances of the same
conversation (`context`), that the reply must ask something (`expect_question`) or contain a
fact (`expect_response_contains`, matched as whole words, case-insensitively).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import ConfigError

Category = Literal[
    "direct", "paraphrase", "indirect", "followup", "ambiguous", "compound", "out_of_scope",
    "not_a_request", "unsafe", "noise",
]  # fmt: skip
"""What kind of utterance an item is. `compound`: several actions in one request;
`not_a_request`: negations, reports, conditions and hypotheticals, where nothing may move."""
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
DEFAULT_DEVSET = Path(__file__).resolve().parents[2] / "eval" / "devset.jsonl"


class ExpectedCommand(BaseModel):
    """One command a device must receive; the value keys are compared only when given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str = Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$")
    service: str
    brightness: int | None = Field(default=None, ge=0, le=100)
    temperature: float | None = None
    position: int | None = Field(default=None, ge=0, le=100)
    percentage: int | None = Field(default=None, ge=0, le=100)
    """A fan's speed."""

    def values(self) -> dict[str, float]:
        keys = ("brightness", "temperature", "position", "percentage")
        return {key: float(value) for key in keys if (value := getattr(self, key)) is not None}

    def label(self) -> str:
        extra = "".join(f" {key}={value:g}" for key, value in self.values().items())
        return f"{self.entity} {self.service}{extra}"


class DevItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    text: str = Field(min_length=1)
    category: Category
    intent: str | None
    expected: list[ExpectedCommand]
    context: list[str] = []
    expect_response_contains: str | None = None
    expect_question: bool = False
    also_accept_intents: list[str] = []
    """Other tools that answer correctly too (a fridge's temperature by HassGetState)."""
    note: str | None = None


def load_devset(path: Path | None = None) -> list[DevItem]:
    """Read and validate a dev set; errors name the file and line."""
    path = path or DEFAULT_DEVSET
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ConfigError(f"dev set {path}: {error.strerror}") from None
    items: list[DevItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = DevItem.model_validate(json.loads(line))
        except (ValueError, ValidationError) as error:
            raise ConfigError(f"dev set {path}:{number}: {error}") from None
        if item.id in seen:
            raise ConfigError(f"dev set {path}:{number}: the id {item.id!r} is used twice")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise ConfigError(f"dev set {path} holds no items")
    return items


def stratified_subset(items: list[DevItem], size: int, *, seed: int = 7) -> list[DevItem]:
    """`size` items with each category in its share of the whole (at least one each), always
    the same ones for the same set and seed; in the set's order."""
    if size >= len(items):
        return list(items)
    by_category: dict[str, list[DevItem]] = defaultdict(list)
    for item in items:
        by_category[item.category].append(item)
    rng = random.Random(seed)
    shares = {name: size * len(group) / len(items) for name, group in by_category.items()}
    quotas = {name: max(1, int(share)) for name, share in shares.items()}
    # Largest remainders get the places left over; with more categories than places, the
    # minimum of one each wins over the size.
    by_remainder = sorted(shares, key=lambda name: (quotas[name] - shares[name], name))
    for name in by_remainder:
        if sum(quotas.values()) >= size:
            break
        if quotas[name] < len(by_category[name]):
            quotas[name] += 1
    chosen: set[str] = set()
    for name, group in sorted(by_category.items()):
        picked = sorted(group, key=lambda item: item.id)
        rng.shuffle(picked)
        chosen |= {item.id for item in picked[: quotas[name]]}
    return [item for item in items if item.id in chosen]
