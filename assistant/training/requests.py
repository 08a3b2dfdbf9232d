"""Requests and the calls they mean, over a home: the mix the training data is drawn from.

The tools' own templates (`tool_templates`) and the bank of how people ask for the device
tools (`device_requests`, `indirect_requests`, `none_requests`), each request then dressed in
politeness, fillers and the slips a small speech recogniser makes (`phrasing`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from assistant.skill_host.loader import Tool
from assistant.training.device_requests import (
    compound_request,
    joined,
    question_request,
    room_request,
    setting_request,
    single_request,
    switch_request,
)
from assistant.training.homes import Home
from assistant.training.indirect_requests import indirect_request
from assistant.training.none_requests import none_request
from assistant.training.phrasing import finish, garble, polite
from assistant.training.request import Request
from assistant.training.tool_templates import from_template

Generator = Callable[[Home, random.Random], Request | None]

# How often each kind of request is drawn; the tools' own templates are drawn per tool below.
MIX: list[tuple[Generator, float]] = [
    (switch_request, 0.13), (room_request, 0.07), (setting_request, 0.13),
    (question_request, 0.06), (indirect_request, 0.17), (compound_request, 0.12),
    (none_request, 0.13),
]  # fmt: skip
TEMPLATE_SHARE = 0.19
"""Any installed tool's own templates, each tool as likely as another."""
HOMELESS_SHARE = 0.1
"""Templates of the tools that name no device (timers, the clock, help): the device tools get
the phrase bank besides their templates, these only their templates."""
MIXED_SHARE = 0.05
"""Compounds of a device request with a timer or a feeling ("turn off the oven light and set a
timer for ten minutes", "it's dark in the hall, and put the fan on")."""


def _names_no_device(tool: Tool) -> bool:
    return not any(info.home_choice is not None for info in tool.parameters)


def _homeless(homeless: list[Tool], home: Home, rng: random.Random) -> Request | None:
    # A tool said in more ways gets more examples (a timer is started in a hundred ways).
    ways = [math.sqrt(len(tool.info.examples)) for tool in homeless]
    return from_template(rng.choices(homeless, ways)[0], home, rng)


def _mixed_compound(homeless: list[Tool], home: Home, rng: random.Random) -> Request | None:
    device = single_request(home, rng)
    # Timers go with a device request; asking for help or the date hardly ever does.
    timers = [tool for tool in homeless if tool.name.endswith("Timer")]
    if rng.random() < 0.5 or not timers:
        other = indirect_request(home, rng)
    else:
        other = _homeless(timers, home, rng)
    if device is None or other is None or not other.calls:
        return None
    return joined([device, other] if rng.random() < 0.7 else [other, device], rng)


def random_request(tools: dict[str, Tool], home: Home, rng: random.Random) -> Request | None:
    """One request over this home, dressed in politeness and perhaps recogniser slips."""
    roll = rng.random()
    homeless = [tool for tool in tools.values() if _names_no_device(tool)]
    if roll < TEMPLATE_SHARE:
        request = from_template(rng.choice(list(tools.values())), home, rng)
    elif roll < TEMPLATE_SHARE + HOMELESS_SHARE and homeless:
        request = _homeless(homeless, home, rng)
    elif roll < TEMPLATE_SHARE + HOMELESS_SHARE + MIXED_SHARE and homeless:
        request = _mixed_compound(homeless, home, rng)
    else:
        generators, weights = zip(*MIX, strict=True)
        request = rng.choices(generators, weights)[0](home, rng)
    if request is None or any(tool not in tools for tool, _ in request.calls):
        return None
    text = request.text
    if request.category not in ("none",) and rng.random() < 0.35:
        text = polite(text, rng)
    text = garble(text, rng) if rng.random() < 0.22 else finish(text, rng)
    return Request(text, request.calls, request.category)


def parameter_order(tool: Tool) -> list[str]:
    return [info.name for info in tool.parameters]
