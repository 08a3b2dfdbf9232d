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
```

A file that cannot be read or has an invalid device is a start-up error naming the file,
the device and the field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.devices.entity_config import COMPONENTS
from assistant.devices.registry import DeviceRegistry, Override, format_validation_error
from assistant.errors import ConfigError


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
        result[entity_id] = Override(
            name=item.get("name"), area=item.get("area"), aliases=tuple(aliases)
        )
    return result


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
            try:
                registry.declare(component, item, source=f"file:{path}#{component}[{index}]")
            except ValidationError as error:
                raise ConfigError(
                    f"devices.file {path}: {component} #{index + 1} "
                    f"({item.get('name', 'unnamed')}): {format_validation_error(error)}"
                ) from None
            count += 1
    return count
