"""Requests and the calls they mean, over a home: the mix the training data is drawn from.

The tools' own templates (`tool_templates`) and the bank of how people ask for the device
tools (`device_requests`), each request then dressed in politeness, fillers and the slips a
small speech recogniser makes (`phrasing`).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from assistant.skill_host.loader import Tool
from assistant.training.device_requests import (
    compound_request,
    indirect_request,
    none_request,
    question_request,
    room_request,
    setting_request,
    switch_request,
)
from assistant.training.homes import Home
from assistant.training.phrasing import finish, garble, polite
from assistant.training.request import Request
from assistant.training.tool_templates import from_template

Generator = Callable[[Home, random.Random], Request | None]

# How often each kind of request is drawn; the tools' own templates are drawn per tool below.
MIX: list[tuple[Generator, float]] = [
    (switch_request, 0.14), (room_request, 0.08), (setting_request, 0.14),
    (question_request, 0.05), (indirect_request, 0.17), (compound_request, 0.12),
    (none_request, 0.12),
]  # fmt: skip
TEMPLATE_SHARE = 0.22


def random_request(tools: dict[str, Tool], home: Home, rng: random.Random) -> Request | None:
    """One request over this home, dressed in politeness and perhaps recogniser slips."""
    if rng.random() < TEMPLATE_SHARE:
        request = from_template(rng.choice(list(tools.values())), home, rng)
    else:
        generators, weights = zip(*MIX, strict=True)
        request = rng.choices(generators, weights)[0](home, rng)
    if request is None or any(tool not in tools for tool, _ in request.calls):
        return None
    text = request.text
    if request.category not in ("none",) and rng.random() < 0.35:
        text = polite(text, rng)
    text = garble(text, rng) if rng.random() < 0.18 else finish(text, rng)
    return Request(text, request.calls, request.category)


def parameter_order(tool: Tool) -> list[str]:
    return [info.name for info in tool.parameters]
