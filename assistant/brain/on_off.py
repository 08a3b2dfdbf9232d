"""Switching things on and off by name or by area: the first understanding backed by devices.

Recognises "turn on the kitchen lights", "switch the bedroom lamp off", "open the living room
blinds", "lock the front door" and acts through the device commander. The reply is built from
what the devices confirmed, never from what was merely asked for. The skills framework and the
understanding cascade take this over in later work.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from assistant.brain.heard import Understanding
from assistant.devices.commands import CommandOutcome, DeviceCommander
from assistant.devices.names import normalize_name
from assistant.devices.registry import DeviceRegistry, Entity

# Words that carry no meaning for the command: politeness, articles, the wake word.
_FILLER = re.compile(
    r"\b(hey jarvis|jarvis|please|could you|can you|would you|will you|kindly"
    r"|the|my|all|now|thanks?|thank you)\b"
)
_DOMAIN_WORDS: dict[str, tuple[str, ...]] = {
    "light": ("light", "lights", "lamp", "lamps"),
    "switch": ("plug", "plugs", "switch", "switches", "socket"),
    "fan": ("fan", "fans"),
    "cover": ("blind", "blinds", "shade", "shades", "curtain", "curtains", "cover", "covers"),
    "lock": ("lock", "locks", "door"),
}
_ON_OFF_KINDS = ("light", "switch", "fan")


@dataclass(frozen=True)
class _Request:
    intent: str
    services: dict[str, str]
    """Service per entity kind."""
    target: str


def _parse(text: str) -> _Request | None:
    words = _FILLER.sub(" ", normalize_name(text))
    words = re.sub(r"\s+", " ", words).strip()
    patterns = [
        (r"^(?:turn|switch|put) (on|off) (.+)$", None),
        (r"^(?:turn|switch|put) (.+) (on|off)$", "swap"),
        (r"^(open|close|raise|lower) (.+)$", None),
        (r"^(lock|unlock) (.+)$", None),
    ]
    for pattern, order in patterns:
        match = re.match(pattern, words)
        if not match:
            continue
        verb, target = match.groups() if order is None else reversed(match.groups())
        if verb in ("on", "open", "raise", "lock"):
            return _Request(
                "HassTurnOn",
                {
                    "light": "turn_on",
                    "switch": "turn_on",
                    "fan": "turn_on",
                    "cover": "open",
                    "lock": "lock",
                },
                target,
            )
        return _Request(
            "HassTurnOff",
            {
                "light": "turn_off",
                "switch": "turn_off",
                "fan": "turn_off",
                "cover": "close",
                "lock": "unlock",
            },
            target,
        )
    return None


@dataclass(frozen=True)
class Target:
    entities: list[Entity]
    slots: dict[str, Any]
    ambiguous: bool = False
    """A singular word ("the bedroom lamp") that fits several devices."""


def resolve_target(registry: DeviceRegistry, target: str, kinds: tuple[str, ...]) -> Target:
    """Entities meant by a spoken target: a name or alias, or an area plus a kind of device."""
    candidates = [entity for entity in registry.entities.values() if entity.kind in kinds]
    by_name = [e for e in candidates if target in e.match_names]
    if by_name:
        return Target(by_name, {"name": by_name[0].name})
    for kind, words in _DOMAIN_WORDS.items():
        for word in words:
            if target == word or target.endswith(" " + word):
                area = target[: -len(word)].strip()
                in_kind = [e for e in candidates if e.kind == kind]
                if area:
                    in_kind = [e for e in in_kind if e.match_area == area]
                    slots: dict[str, Any] = {
                        "area": next((e.area for e in in_kind), area),
                        "domain": kind,
                    }
                else:
                    slots = {"domain": kind}
                # A singular word with several matches is ambiguous; plural means all of them.
                return Target(in_kind, slots, ambiguous=not word.endswith("s") and len(in_kind) > 1)
    return Target([], {})


class OnOffBrain:
    def __init__(self, registry: DeviceRegistry, commander: DeviceCommander) -> None:
        self.registry = registry
        self.commander = commander

    async def understand(self, text: str) -> Understanding:
        request = _parse(text)
        if request is None:
            return Understanding(
                intent=None, response=f"Sorry, I can't do that yet. I heard: {text}"
            )
        target = resolve_target(self.registry, request.target, tuple(request.services))
        entities = target.entities
        intent = {"name": request.intent, "slots": target.slots, "source": "rules"}
        if not entities:
            return Understanding(
                intent=intent, response=f"Sorry, I don't know a device called {request.target}."
            )
        if target.ambiguous:
            names = " or ".join(f"the {entity.name}" for entity in entities)
            return Understanding(intent=intent, response=f"Which one do you mean: {names}?")
        started = time.perf_counter()
        outcomes = [
            await self.commander.call(entity.entity_id, request.services[entity.kind])
            for entity in entities
        ]
        act_ms = (time.perf_counter() - started) * 1000
        return Understanding(
            intent=intent,
            response=_reply(request, entities, outcomes),
            actions=[outcome.as_action() for outcome in outcomes],
            act_ms=act_ms,
        )


def _reply(request: _Request, entities: list[Entity], outcomes: list[CommandOutcome]) -> str:
    done = [e for e, o in zip(entities, outcomes, strict=True) if o.confirmed]
    problems = [o.reason for o in outcomes if not o.confirmed]
    sentences = []
    if done:
        names = " and ".join(f"the {e.name}" for e in done)
        service = next(o.service for o in outcomes if o.confirmed)
        verb = {
            "turn_on": "Turned on", "turn_off": "Turned off", "open": "Opened",
            "close": "Closed", "lock": "Locked", "unlock": "Unlocked",
        }[service]  # fmt: skip
        sentences.append(f"{verb} {names}.")
    sentences.extend(problems)
    return " ".join(sentences)
