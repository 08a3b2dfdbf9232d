"""An entity as the registry holds it, and what the registry tells its listeners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from assistant.devices.entity_config import EntityConfig, Risk
from assistant.devices.names import clean_name
from assistant.devices.state import EntityState
from assistant.text import fold

ChangeKind = Literal["added", "updated", "removed", "state"]


@dataclass
class Entity:
    entity_id: str
    config: EntityConfig
    name: str
    area: str | None
    aliases: tuple[str, ...]
    source: str
    """The discovery topic, or `file:<path>` for declared devices."""
    state: EntityState = field(default_factory=EntityState)
    shadows: tuple[str, ...] = ()
    """Entity ids of devices known before this one that its name would take commands from."""
    lookalike: bool = False
    """A newcomer that shadows others, or one of those: `choice_name` is its entity id."""
    risk: Risk | None = None
    """The devices file's risk tier; only the file sets it, never a device's own discovery."""
    match_names: tuple[str, ...] = field(init=False)
    """The name and aliases, normalised once for matching what people say."""
    match_area: str | None = field(init=False)

    def __post_init__(self) -> None:
        # Bidi and other invisible format characters never make a different name.
        names = (self.name, *self.aliases)
        self.match_names = tuple(dict.fromkeys(fold(clean_name(n)) for n in names))
        self.match_area = fold(self.area) if self.area else None

    def mark_lookalike(self) -> None:
        """Make the entity id a name of this entity, for `choice_name`."""
        self.lookalike = True
        self.match_names = tuple(dict.fromkeys((*self.match_names, fold(self.entity_id))))

    @property
    def kind(self) -> str:
        return self.config.component

    @property
    def choice_name(self) -> str:
        """What picks this entity alone in answer to "which one": a newcomer and the devices it
        is named like are picked by their entity ids, since their names would ask again."""
        return self.entity_id if self.lookalike else self.name


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    entity: Entity


Listener = Callable[[Change], None]


@dataclass(frozen=True)
class Override:
    """What the devices file says about a discovered entity."""

    name: str | None = None
    area: str | None = None
    aliases: tuple[str, ...] = ()
    risk: Risk | None = None


def format_validation_error(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "payload"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def shadowed_by(newcomer: Entity, known: list[Entity]) -> tuple[str, ...]:
    """The known entities whose commands the newcomer's name would take, or share: every word
    of one of its names is in one of theirs ("Kitchen light" beside "Kitchen ceiling light").
    Before the newcomer came, saying its name found them; now it would find the newcomer."""
    words = [set(name.split()) for name in newcomer.match_names]
    return tuple(
        entity.entity_id
        for entity in known
        if entity.entity_id != newcomer.entity_id
        and any(mine <= set(theirs.split()) for mine in words for theirs in entity.match_names)
    )
