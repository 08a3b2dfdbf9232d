"""`assistant devices list|call` and `assistant simulate`."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.devices.commands import CommandOutcome
from assistant.devices.home import DeviceHome
from assistant.devices.registry import Entity
from assistant.errors import AssistantError, BrokerUnavailable
from assistant.pipeline.contract import action_json
from assistant.skill_host.audit import AuditLog
from assistant.skill_host.device_gate import CURRENT_TURN, DeviceGate, TurnInfo
from assistant.skill_host.safety import ConfirmationRequired, SafetyPolicy


def describe_state(entity: Entity) -> str:
    """A short human reading of an entity's state, e.g. 'on 30%' or 'heat 21.5 °C (now 19.8)'."""
    state = entity.state
    attributes = state.attributes
    if state.state is None and not attributes:
        return "unknown"
    words = [state.state or "?"]
    if "brightness_percent" in attributes and state.state == "on":
        words.append(f"{attributes['brightness_percent']}%")
    if "percentage" in attributes and state.state == "on":
        words.append(f"{attributes['percentage']}%")
    if "position" in attributes:
        words.append(f"{attributes['position']}%")
    if "target_temperature" in attributes:
        words.append(
            f"set {attributes['target_temperature']:g} °{attributes.get('temperature_unit', 'C')}"
        )
    if "current_temperature" in attributes:
        words.append(f"(now {attributes['current_temperature']:g})")
    if entity.kind == "sensor":
        unit = attributes.get("unit")
        return f"{state.state} {unit}" if unit else str(state.state)
    return " ".join(words)


def _availability(entity: Entity) -> str:
    return {True: "yes", False: "NO", None: "?"}[entity.state.available]


async def _list(settings: Settings, as_json: bool) -> int:
    async with DeviceHome(settings, role="cli", publish_status=False) as home:
        if not await home.ready():
            raise _unreachable(settings)
        entities = sorted(
            home.registry.entities.values(), key=lambda e: (e.area or "~", e.entity_id)
        )
        if as_json:
            for entity in entities:
                print(json.dumps({
                    "entity": entity.entity_id, "name": entity.name, "area": entity.area,
                    "kind": entity.kind, "aliases": list(entity.aliases),
                    **entity.state.snapshot(),
                }))  # fmt: skip
            return 0
        rows = [("entity", "name", "area", "kind", "state", "available")] + [
            (e.entity_id, e.name, e.area or "-", e.kind, describe_state(e), _availability(e))
            for e in entities
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            print(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        print(f"{len(entities)} entities")
    return 0


def parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


async def _call(  # noqa: PLR0917 (the parsed command line, passed through)
    settings: Settings,
    entity_id: str,
    service: str,
    arguments: list[str],
    as_json: bool,
    timeout: float | None,
    force: bool = False,
) -> int:
    data = {}
    for argument in arguments:
        key, separator, value = argument.partition("=")
        if not separator or not key:
            raise AssistantError(f"arguments are key=value, got {argument!r}", code="usage")
        data[key] = parse_value(value)
    async with DeviceHome(settings, role="cli", publish_status=False) as home:
        if not await home.ready():
            raise _unreachable(settings)
        entity = home.registry.get(entity_id)
        if entity is None:
            known = ", ".join(sorted(home.registry.entities)) or "none"
            print(f"assistant: no entity {entity_id!r}; known: {known}", file=sys.stderr)
            return 1
        outcome = await _gated(settings, home, entity, service, data, timeout, force)
        if as_json:
            print(json.dumps({**action_json(outcome), "elapsed_ms": round(outcome.elapsed_ms, 1),
                              "state": outcome.state}))  # fmt: skip
        else:
            print(f"{outcome.status}: {outcome.reason}")
            for message in outcome.published:
                print(f"  sent {message.topic} {message.payload}")
            print(f"  state now: {describe_state(entity)} ({outcome.elapsed_ms:.0f} ms)")
    return 0 if outcome.status in ("confirmed", "sent") else 1


async def _gated(  # noqa: PLR0917 (one command line's call)
    settings: Settings,
    home: DeviceHome,
    entity: Entity,
    service: str,
    data: dict[str, Any],
    timeout: float | None,
    force: bool,
) -> CommandOutcome:
    """The call through the same safety policy as a voice's, and one audit line for it.

    Without `--force` there is nobody to say "yes", so a high-risk action is refused with the
    question it would have asked; `--force` stands for that yes (and for `safety.exposed`)."""
    policy = SafetyPolicy(settings.safety)
    gate = DeviceGate(home.registry, home.commander, policy)
    audit_path = settings.storage.state_dir / "audit.jsonl"
    audit = AuditLog(audit_path if settings.safety.audit_log else None)
    started = time.perf_counter()
    turn = TurnInfo(f"cli-{uuid.uuid4().hex[:12]}")
    token = CURRENT_TURN.set(turn)
    try:
        outcome = await gate.call(entity, service, data, forced=force, timeout_seconds=timeout)
    except ConfirmationRequired as request:
        question = request.message.removesuffix(" Please say yes or no.")
        question = question.removesuffix(" Please say your PIN.")
        outcome = CommandOutcome(
            entity.entity_id, service, "refused",
            f"{question} Nothing was sent: add --force to do it without asking.",
            code="needs-confirmation",
        )  # fmt: skip
    finally:
        CURRENT_TURN.reset(token)
    if outcome.code == "not-exposed":
        outcome = replace(
            outcome,
            reason=f"The {entity.name} is not exposed to voice control (safety.exposed), "
            "so nothing was sent: add --force to command it anyway."
            if entity.entity_id not in settings.safety.hidden
            else f"The {entity.name} is in safety.hidden, so nothing was sent.",
        )
    audit.record(
        turn=turn.turn_id, tool="devices call", arguments=data, entity=entity.entity_id,
        service=service, forced=force, outcome=outcome.code or outcome.status,
        actions=[{"entity": outcome.entity_id, "service": service, "status": outcome.status}],
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )  # fmt: skip
    return outcome


def _unreachable(settings: Settings) -> AssistantError:
    return BrokerUnavailable(
        f"cannot reach the MQTT broker at {settings.mqtt.host}:{settings.mqtt.port}"
    )


def run_devices_list(settings: Settings, *, as_json: bool) -> int:
    return asyncio.run(_list(settings, as_json))


def run_devices_call(
    settings: Settings, entity_id: str, service: str, arguments: list[str], *, as_json: bool,
    timeout: float | None, force: bool = False,
) -> int:  # fmt: skip
    """One command through the safety policy, audited; `force` is `--force`."""
    return asyncio.run(_call(settings, entity_id, service, arguments, as_json, timeout, force))


def run_simulate(
    settings: Settings, home_file: Path | None, offline: list[str], slow: list[str], lose: list[str]
) -> int:
    from assistant.devices.sim import run_simulator

    slow_seconds = {}
    for item in slow:
        device, _, seconds = item.partition("=")
        try:
            slow_seconds[device] = float(seconds)
        except ValueError:
            raise AssistantError(
                f"--slow takes DEVICE=SECONDS, got {item!r}", code="usage"
            ) from None
    try:
        return asyncio.run(
            run_simulator(settings.mqtt, home_file, offline=offline, slow=slow_seconds, lose=lose)
        )
    except KeyboardInterrupt:
        return 0
