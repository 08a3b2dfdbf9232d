"""The devices file: devices without discovery, plus names, aliases and areas for any entity.

```toml
[[switch]]                          # any discovery component, with discovery's fields
name = "Porch light"
command_topic = "porch/relay/set"
state_topic = "porch/relay"
area = "Outside"
aliases = ["front light"]

[entity."light.kitchen_ceiling"]    # what people call a discovered entity
aliases = ["big light", "main light"]
area = "Kitchen"

[entity."switch.garden_pump"]       # a risk tier for any entity, declared or discovered
risk = "high"                       # every command to it asks first ("yes", or the PIN)

[entity."switch.alarm_clock"]
risk = "normal"                     # only what its kind asks, not what its name suggests
```

`risk` is only ever read from this file, never from a device's own discovery message: a device
must not lower its own tier. "normal" does not lower what a kind asks (unlocking a lock), nor
expose what is hidden by default (`safety.exposed` does that).

A file that cannot be read, has an invalid device, an unknown key for an entity or a risk other
than "high" or "normal" is a start-up error naming the file, the device and the field.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.devices.entity_config import COMPONENTS, RISKS, Risk
from assistant.devices.mqtt import MqttConnection
from assistant.devices.registry import DeviceRegistry, Override, format_validation_error
from assistant.errors import ConfigError

log = logging.getLogger(__name__)

_ENTITY_KEYS = ("name", "area", "aliases", "risk")


def registry_with_file(
    path: Path | None, connection: MqttConnection | None, *, discovery_prefix: str = "homeassistant"
) -> DeviceRegistry:
    """A registry holding the devices file's names, tiers and devices (nothing without a file).

    Raises ConfigError naming the file, the entity and the field. Without a connection it only
    checks the file, as the doctor does."""
    if path is None:
        return DeviceRegistry(connection, discovery_prefix=discovery_prefix)
    data = read_devices_file(path)
    overrides = overrides_from(data, path)
    registry = DeviceRegistry(connection, discovery_prefix=discovery_prefix, overrides=overrides)
    count = declare_devices(registry, data, path)
    log.info("declared %d devices from %s", count, path)
    return registry


def read_devices_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"devices.file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"devices.file {path}: {error}") from None


def overrides_from(data: dict[str, Any], path: Path) -> dict[str, Override]:
    entities = data.get("entity") or {}
    if not isinstance(entities, dict):
        raise ConfigError(f"devices.file {path}: [entity] must be a table of entity ids")
    result = {}
    for entity_id, item in entities.items():
        if not isinstance(item, dict):
            raise ConfigError(f"devices.file {path}: entity.{entity_id} must be a table")
        aliases = item.get("aliases", [])
        if not (isinstance(aliases, list) and all(isinstance(a, str) for a in aliases)):
            raise ConfigError(
                f"devices.file {path}: entity.{entity_id}.aliases must be a list of names"
            )
        # A misspelt key must not pass for nothing: a `risc = "high"` would leave a device
        # acting without the question its owner asked for.
        unknown = [key for key in item if key not in _ENTITY_KEYS]
        if unknown:
            raise ConfigError(
                f"devices.file {path}: entity.{entity_id}: unknown key "
                f"{', '.join(map(repr, unknown))}; expected {', '.join(_ENTITY_KEYS)}"
            )
        result[entity_id] = Override(
            name=item.get("name"),
            area=item.get("area"),
            aliases=tuple(aliases),
            risk=_risk(item, f"entity.{entity_id}", path),
        )
    return result


def _risk(item: dict[str, Any], where: str, path: Path) -> Risk | None:
    value = item.get("risk")
    if value is None:
        return None
    for risk in RISKS:
        if value == risk:
            return risk
    allowed = " or ".join(f'"{risk}"' for risk in RISKS)
    raise ConfigError(f"devices.file {path}: {where}: risk must be {allowed}, not {value!r}")


def declare_devices(registry: DeviceRegistry, data: dict[str, Any], path: Path) -> int:
    """Add the file's devices to the registry; returns how many."""
    unknown = set(data) - set(COMPONENTS) - {"entity"}
    if unknown:
        raise ConfigError(
            f"devices.file {path}: unknown section(s) {sorted(unknown)}; "
            f'expected device kinds {list(COMPONENTS)} or [entity."<id>"]'
        )
    count = 0
    for component in COMPONENTS:
        items = data.get(component, [])
        if not isinstance(items, list):
            raise ConfigError(f"devices.file {path}: use [[{component}]] for each {component}")
        for index, item in enumerate(items):
            where = f"{component} #{index + 1} ({item.get('name', 'unnamed')})"
            source = f"file:{path}#{component}[{index}]"
            try:
                registry.declare(component, item, source=source, risk=_risk(item, where, path))
            except ValidationError as error:
                raise ConfigError(
                    f"devices.file {path}: {where}: {format_validation_error(error)}"
                ) from None
            count += 1
    return count
