"""Requests from every installed tool's own sentence templates, expanded at random
(alternatives, optional words) and filled with a home's names and typical values: a new
skill's tools are learned from its templates alone."""

from __future__ import annotations

import random
from typing import Any

from assistant.skill_host.loader import Tool
from assistant.skill_host.schema import parameters_schema
from assistant.skills.parameters import Areas, Entities
from assistant.skills.templates import Alternatives, Fixed, Node, Slot, Word, parse_template
from assistant.training.homes import Home
from assistant.training.phrasing import say_number
from assistant.training.request import DOMAIN_WORDS, SWITCHABLE, TIMER_NAMES, Request, spoken_name


def _schema_types(tool: Tool) -> dict[str, dict[str, Any]]:
    properties: dict[str, dict[str, Any]] = parameters_schema(tool.arguments).get("properties", {})
    return properties


def _value_for(name: str, schema: dict[str, Any], rng: random.Random) -> Any:
    if schema.get("type") == "number":
        low, high = schema.get("minimum", 16), schema.get("maximum", 26)
        if name == "temperature" or (low, high) == (16, 26):
            return rng.choice([18, 19, 20, 21, 22, 23, 24, 19.5, 20.5, 21.5, 17, 25])
        return float(rng.choice([v for v in (1, 2, -1, -2) if low <= v <= high] or [low]))
    if schema.get("type") == "integer":
        if name in ("minutes",):
            return rng.choice([1, 2, 3, 5, 8, 10, 12, 15, 20, 25, 30, 45, 90])
        if name == "seconds":
            return rng.choice([10, 15, 20, 30, 45, 90])
        if name == "hours":
            return rng.choice([1, 2, 3])
        low, high = int(schema.get("minimum", 0)), int(schema.get("maximum", 100))
        if high - low >= 50:
            return rng.choice([rng.randrange(low + 5, high + 1, 5), rng.randint(max(low, 1), high)])
        return rng.randint(low, high)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if name == "name":
        return rng.choice(TIMER_NAMES)
    return None


def _expand(  # noqa: PLR0917 (a recursive walk: the accumulators travel together)
    node: Node, fill: dict[str, str], rng: random.Random, out: list[str],
    fixed: dict[str, str], used: set[str],
) -> bool:  # fmt: skip
    if isinstance(node, Word):
        out.append(node.text)
    elif isinstance(node, Fixed):
        fixed[node.name] = node.value
    elif isinstance(node, Slot):
        if node.name not in fill:
            return False
        out.append(fill[node.name])
        used.add(node.name)
    elif isinstance(node, Alternatives):
        if node.optional and rng.random() < 0.5:
            return True
        options = list(node.options)
        rng.shuffle(options)
        for option in options:
            trial: list[str] = []
            trial_fixed: dict[str, str] = {}
            trial_used: set[str] = set()
            if _expand(option, fill, rng, trial, trial_fixed, trial_used):
                out.extend(trial)
                fixed.update(trial_fixed)
                used.update(trial_used)
                return True
        return node.optional
    else:
        return all(_expand(item, fill, rng, out, fixed, used) for item in node.items)
    return True


def _fixed_domain(template: str) -> str | None:
    marker = "{domain="
    if marker not in template:
        return None
    return template.split(marker, 1)[1].split("}", 1)[0].strip()


def from_template(tool: Tool, home: Home, rng: random.Random) -> Request | None:
    """One of the tool's own templates, expanded at random and filled from this home."""
    if not tool.info.examples:
        return None
    template = rng.choice(tool.info.examples)
    types = _schema_types(tool)
    spoken: dict[str, str] = {}
    values: dict[str, Any] = {}
    domain = _fixed_domain(template)
    if domain is None and "{domain}" in template and "domain" in types:
        present = [d for d in types["domain"].get("enum", [types["domain"].get("const")])
                   if d and home.of_kinds((d,))]  # fmt: skip
        if not present:
            return None
        domain = rng.choice(present)
        spoken["domain"] = rng.choice(DOMAIN_WORDS.get(domain, [domain]))
        values["domain"] = domain
    for info in tool.parameters:
        if info.home_choice is not None:
            chosen = _from_home(info.home_choice, domain, home, rng)
            if chosen is not None:
                spoken[info.name], values[info.name] = chosen
        elif info.name not in values:
            value = _value_for(info.name, types.get(info.name, {}), rng)
            if value is not None:
                values[info.name] = value
                spoken[info.name] = (
                    say_number(value, rng) if isinstance(value, int | float) else str(value)
                )
    words: list[str] = []
    fixed: dict[str, str] = {}
    used: set[str] = set()
    if not _expand(parse_template(template), spoken, rng, words, fixed, used):
        return None
    arguments = {name: values[name] for name in used} | {
        name: _typed(value, types.get(name, {})) for name, value in fixed.items()
    }
    if "name" in used:
        arguments.pop("domain", None)  # the name says the kind
    text = " ".join(words).replace(" ,", ",")
    return Request(text, ((tool.name, arguments),), "template")


def _from_home(
    marker: Entities | Areas, domain: str | None, home: Home, rng: random.Random
) -> tuple[str, str] | None:
    """(as said, value) of a room or a device: one that has a device of `domain`, or is one.
    Beside a name, a kind the template fixes is a requirement (see the rules)."""
    if isinstance(marker, Areas):
        kinds = (domain,) if domain else SWITCHABLE
        rooms = [r for r in home.rooms if home.in_room(r, kinds)]
        room = rng.choice(rooms) if rooms else None
        return (room.lower(), room) if room else None
    devices = home.of_kinds(marker.kinds) if marker.kinds else list(home.devices)
    devices = [d for d in devices if domain is None or d.kind == domain]
    device = rng.choice(devices) if devices else None
    return (spoken_name(device, home, rng), device.name) if device else None


def _typed(value: str, schema: dict[str, Any]) -> Any:
    if schema.get("type") == "integer":
        return int(float(value))
    if schema.get("type") == "number":
        return float(value)
    return value
