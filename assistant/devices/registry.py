"""The device registry: entities from MQTT discovery and the devices file, and their live state.

Everything here runs on the event loop (messages arrive through `MqttConnection`'s dispatcher),
so there are no locks. Malformed input from the broker is skipped with one log line naming
the topic; every other entity keeps working.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from assistant.devices.abbreviations import expand
from assistant.devices.device_discovery import DeviceConfigError, device_components
from assistant.devices.entity import (
    Change,
    Entity,
    Listener,
    Override,
    format_validation_error,
    shadowed_by,
)
from assistant.devices.entity_config import COMPONENTS, EntityConfig, Risk, parse_config
from assistant.devices.mqtt import Message, MqttConnection
from assistant.devices.names import clean_name, display_name, slugify
from assistant.devices.state import (
    StateError,
    TemplateBound,
    apply_availability_message,
    apply_state_message,
)

__all__ = ["Change", "DeviceRegistry", "Entity", "Listener", "Override", "format_validation_error"]

log = logging.getLogger(__name__)


class DeviceRegistry:
    def __init__(
        self,
        connection: MqttConnection | None,
        *,
        discovery_prefix: str = "homeassistant",
        overrides: dict[str, Override] | None = None,
    ) -> None:
        self.connection = connection
        self.discovery_prefix = discovery_prefix.rstrip("/")
        self.entities: dict[str, Entity] = {}
        self._overrides = overrides or {}
        self._by_source: dict[str, str] = {}
        self._device_sources: dict[str, set[str]] = {}
        """Device discovery topic → the sources of its components."""
        self._topic_users: dict[str, set[str]] = {}
        # The last payload of every watched topic. The broker sends a retained message once per
        # subscription, so an entity that joins a topic others already watch (a Zigbee2MQTT
        # bridge state, one JSON topic for two sensor readings) gets it from here instead.
        self._last_payload: dict[str, str] = {}
        self._listeners: list[Listener] = []
        # Replaced by a fresh event after every state message: waiters re-check on each one.
        self._state_seen = asyncio.Event()
        self.last_discovery_monotonic = 0.0
        self.skipped_messages = 0
        self._newcomers: set[str] = set()
        self._seen: set[str] = set()
        """Every source this registry has had (a re-announced device is not a newcomer)."""
        self.disabled: dict[str, tuple[EntityConfig, str]] = {}
        """Source → the config that was disabled and why (a template past its bounds)."""

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe to discovery; retained configs then arrive on their own."""
        if self.connection is None:
            return
        for pattern in ("+/+/config", "+/+/+/config"):
            self.connection.subscribe(f"{self.discovery_prefix}/{pattern}", self.handle_discovery)

    async def settle(self, *, quiet_seconds: float = 0.3, max_seconds: float = 5.0) -> None:
        """Wait until discovery and first states have stopped arriving (for one-shot commands)."""
        started = time.monotonic()
        while time.monotonic() - started < max_seconds:
            latest = max(
                [self.last_discovery_monotonic]
                + [entity.state.updated_monotonic for entity in self.entities.values()]
            )
            if time.monotonic() - max(latest, started) >= quiet_seconds:
                return
            await asyncio.sleep(quiet_seconds / 3)

    def subscribe_changes(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # --- lookups -------------------------------------------------------------------------

    def get(self, entity_id: str) -> Entity | None:
        return self.entities.get(entity_id)

    def of_kind(self, *kinds: str) -> list[Entity]:
        return [entity for entity in self.entities.values() if entity.kind in kinds]

    def areas(self) -> list[str]:
        return sorted({entity.area for entity in self.entities.values() if entity.area})

    async def wait_for_state(
        self,
        entity_id: str,
        predicate: Callable[[Entity], bool],
        *,
        reported_after_monotonic: float,
        timeout_seconds: float,
    ) -> bool:
        """True once a state message received after the given time satisfies the predicate."""

        def satisfied() -> bool:
            entity = self.entities.get(entity_id)
            return (
                entity is not None
                and entity.state.updated_monotonic > reported_after_monotonic
                and predicate(entity)
            )

        deadline = time.monotonic() + timeout_seconds
        while not satisfied():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._state_seen.wait(), remaining)
            except TimeoutError:
                return False
        return True

    # --- adding entities -----------------------------------------------------------------

    def declare(
        self, component: str, data: dict[str, Any], *, source: str, risk: Risk | None = None
    ) -> Entity | None:
        """Add a device that has no discovery (from the devices file); raises on bad config."""
        config = parse_config(component, expand(data))
        return self._upsert(source, config, topic_object_id=None, risk=risk)

    def handle_discovery(self, message: Message) -> None:
        if not message.topic.startswith(self.discovery_prefix + "/"):
            return
        parts = message.topic.split("/")
        prefix_parts = len(self.discovery_prefix.split("/"))
        rest = parts[prefix_parts:]
        if len(rest) not in (3, 4) or rest[-1] != "config":
            return
        component, object_id = rest[0], rest[-2]
        self.last_discovery_monotonic = time.monotonic()
        if component not in COMPONENTS and component != "device":
            self._skip(message.topic, f"component {component!r} is not supported")
            return
        if not message.payload:
            for source in self._device_sources.pop(message.topic, {message.topic}):
                self._remove(source)
            return
        try:
            data = json.loads(message.payload)
        except (ValueError, UnicodeDecodeError):
            self._skip(message.topic, "discovery payload is not valid JSON")
            return
        if not isinstance(data, dict):
            self._skip(message.topic, "discovery payload is not a JSON object")
            return
        if component == "device":
            self._handle_device(message.topic, data, live=not message.retain)
            return
        self._configure(message.topic, component, data, object_id, live=not message.retain)

    def _configure(
        self, source: str, component: str, data: dict[str, Any], object_id: str, *, live: bool
    ) -> None:
        try:
            config = parse_config(component, expand(data))
        except ValidationError as error:
            self._skip(source, format_validation_error(error))
            return
        self._upsert(source, config, topic_object_id=object_id, live=live)

    def _handle_device(self, topic: str, data: dict[str, Any], *, live: bool) -> None:
        """A device config: each component becomes an entity of its own (`topic#object_id`)."""
        try:
            components = device_components(data)
        except DeviceConfigError as error:
            self._skip(topic, str(error))
            return
        before = self._device_sources.get(topic, set())
        kept: set[str] = set()
        for part in components:
            source = f"{topic}#{part.object_id}"
            if part.config is None:
                continue  # given with its platform only: being removed
            kept.add(source)
            if part.platform not in COMPONENTS:
                self._skip(source, f"component {part.platform!r} is not supported")
                continue
            self._configure(source, part.platform, part.config, part.object_id, live=live)
        for source in before - kept:  # left out of the new config, or given as platform only
            self._remove(source)
        self._device_sources[topic] = kept

    def _skip(self, topic: str, reason: str) -> None:
        self.skipped_messages += 1
        log.warning("skipping %s: %s", topic, reason)

    def _upsert(
        self, source: str, config: EntityConfig, *, topic_object_id: str | None,
        live: bool = False, risk: Risk | None = None,
    ) -> Entity | None:  # fmt: skip
        if source in self.disabled:
            if self.disabled[source][0] == config:
                return None  # the same config again (a reconnect): still disabled, no new warning
            del self.disabled[source]  # a new config deserves a new try
        device_name = config.device.name if config.device else None
        name = clean_name(
            display_name(config.name, device_name, topic_object_id or config.component)
        )
        existing_id = self._by_source.get(source)
        if existing_id is None and self._is_new(source, live):
            self._newcomers.add(source)
        self._seen.add(source)
        entity_id = existing_id or self._new_entity_id(config, name, topic_object_id)
        override = self._overrides.get(entity_id, Override())
        area = (
            override.area
            or config.area
            or (config.device.suggested_area if config.device else None)
        )
        entity = Entity(
            entity_id=entity_id,
            config=config,
            name=clean_name(override.name) if override.name else name,
            area=area,
            aliases=tuple(dict.fromkeys([*config.aliases, *override.aliases])),
            source=source,
            risk=override.risk or risk,
        )
        if source in self._newcomers and entity_id not in self._overrides:
            # Named in the devices file: the person has said what it is called. Otherwise a
            # newcomer must not silently take the commands of a device people already use.
            known = [e for e in self.entities.values() if e.source not in self._newcomers]
            entity.shadows = shadowed_by(entity, known)
            if entity.shadows:
                for lookalike in [entity] + [self.entities[i] for i in entity.shadows]:
                    lookalike.mark_lookalike()
            if entity.shadows and (
                existing_id is None or self.entities[existing_id].shadows != entity.shadows
            ):
                log.warning(
                    "new device %s (%r, from %s) is named like %s: commands by that name will "
                    "ask which one is meant",
                    entity_id, entity.name, source, ", ".join(entity.shadows),
                )  # fmt: skip
        previous = self.entities.get(entity_id)
        if previous is not None:
            if _watched_topics(previous.config) == _watched_topics(config):
                # The same topics (a config retained and delivered again on every reconnect):
                # the state and the subscriptions stay. Unsubscribing and subscribing again
                # would make the broker send every retained state again, each time.
                entity.state = previous.state
            else:
                self._unwatch(previous)
        self.entities[entity_id] = entity
        self._by_source[source] = entity_id
        self._watch(entity)
        if entity_id not in self.entities:  # disabled by the first state it was given
            return None
        self._notify(Change("updated" if previous else "added", entity))
        return entity

    def _is_new(self, source: str, live: bool) -> bool:
        """A device that appears while the assistant runs (its config arrives live, not as a
        retained message on subscribing) is a newcomer; so is nothing declared in a file."""
        return live and not source.startswith("file:") and source not in self._seen

    def lookalikes(self, found: list[Entity], said: str | None) -> list[Entity]:
        """Known entities that newcomers among `found` are named like, not already in it; none
        when what was said is a newcomer's entity id (a choice already made)."""
        if any(entity.entity_id == said for entity in found):
            return []
        present = {entity.entity_id for entity in found}
        ids = dict.fromkeys(i for entity in found for i in entity.shadows if i not in present)
        return [self.entities[i] for i in ids if i in self.entities]

    def disable(self, entity_id: str, reason: str) -> None:
        """Take an entity out (its template went past a bound), with one warning, until its
        source sends a different config."""
        entity = self.entities.pop(entity_id, None)
        if entity is None:
            return
        self._unwatch(entity)
        self._by_source.pop(entity.source, None)
        self.disabled[entity.source] = (entity.config, reason)
        log.warning("disabled %s (from %s): %s", entity_id, entity.source, reason)
        self._notify(Change("removed", entity))

    def _new_entity_id(self, config: EntityConfig, name: str, topic_object_id: str | None) -> str:
        base = slugify(config.object_id or name or topic_object_id or "unnamed")
        candidate = f"{config.component}.{base}"
        suffix = 2
        while candidate in self.entities:
            candidate = f"{config.component}.{base}_{suffix}"
            suffix += 1
        return candidate

    def _remove(self, source: str) -> None:
        self.disabled.pop(source, None)
        entity_id = self._by_source.pop(source, None)
        if entity_id is None:
            return
        entity = self.entities.pop(entity_id)
        self._unwatch(entity)
        log.info("removed %s (empty discovery config on %s)", entity_id, source)
        self._notify(Change("removed", entity))

    # --- state tracking ------------------------------------------------------------------

    def _watch(self, entity: Entity) -> None:
        for topic in sorted(_watched_topics(entity.config)):
            users = self._topic_users.setdefault(topic, set())
            if not users and self.connection is not None:
                self.connection.subscribe(topic, self.handle_state)
            users.add(entity.entity_id)
            if topic in self._last_payload:
                self._apply_to(entity, topic, self._last_payload[topic])

    def _unwatch(self, entity: Entity) -> None:
        for topic in _watched_topics(entity.config):
            users = self._topic_users.get(topic, set())
            users.discard(entity.entity_id)
            if not users:
                self._topic_users.pop(topic, None)
                self._last_payload.pop(topic, None)
                if self.connection is not None:
                    self.connection.unsubscribe(topic, self.handle_state)

    def handle_state(self, message: Message) -> None:
        try:
            payload = message.payload.decode("utf-8")
        except UnicodeDecodeError:
            self._skip(message.topic, "payload is not UTF-8 text")
            return
        self.apply(message.topic, payload)

    def apply(self, topic: str, payload: str) -> None:
        """Apply a state or availability message to every entity that listens to the topic."""
        if topic not in self._topic_users:
            return
        understood = False
        for entity_id in list(self._topic_users.get(topic, ())):
            entity = self.entities.get(entity_id)
            if entity is not None:
                understood |= self._apply_to(entity, topic, payload)
        # Only a message someone understood is replayed to entities that join the topic later:
        # one stray garbage message on a shared availability topic must not mark a re-announced
        # device offline (or unknown) in place of the last good "online".
        if understood and topic in self._topic_users:
            self._last_payload[topic] = payload
        seen, self._state_seen = self._state_seen, asyncio.Event()
        seen.set()

    def _apply_to(self, entity: Entity, topic: str, payload: str) -> bool:
        """Apply one message to one entity; False when it could not be understood (skipped)."""
        changed = False
        try:
            if topic in {a.topic for a in entity.config.availability}:
                changed |= apply_availability_message(entity.config, entity.state, topic, payload)
            if topic in entity.config.state_topics():
                changed |= apply_state_message(entity.config, entity.state, topic, payload)
        except TemplateBound as error:
            self.disable(entity.entity_id, str(error))
            return False
        except StateError as error:
            self._skip(topic, f"{entity.entity_id}: {error}")
            return False
        if changed:
            self._notify(Change("state", entity))
        return True

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                log.exception(
                    "registry listener failed on %s %s", change.kind, change.entity.entity_id
                )


def _watched_topics(config: EntityConfig) -> set[str]:
    return config.state_topics() | {entry.topic for entry in config.availability}
