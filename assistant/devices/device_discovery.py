"""Home Assistant's device-based discovery: one `<prefix>/device/<id>/config` per device.

The payload names the device (`dev`/`device`), its origin (`o`/`origin`) and its components
(`cmps`/`components`: an object id → a component config with `p`/`platform` and the usual keys).
Every other key at the top level (`state_topic`, `command_topic`, `availability`, `qos`, `~`, …)
is shared: each component inherits it unless it sets its own. A component given with nothing but
its platform is being removed, as Home Assistant does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.devices.abbreviations import ABBREVIATIONS

_COMPONENTS_KEYS = ("cmps", "components")
_ORIGIN_KEYS = ("o", "origin")


class DeviceConfigError(ValueError):
    """The device config as a whole cannot be read; its components are left as they were."""


@dataclass(frozen=True)
class DeviceComponent:
    object_id: str
    platform: str
    config: dict[str, Any] | None
    """The component's own config with the shared keys merged in; None when it is removed."""


def _full_keys(data: dict[str, Any]) -> dict[str, Any]:
    return {ABBREVIATIONS.get(key, key): value for key, value in data.items()}


def device_components(data: dict[str, Any]) -> list[DeviceComponent]:
    """The components of a device config, each as a single-component config."""
    components = next((data[key] for key in _COMPONENTS_KEYS if key in data), None)
    if not isinstance(components, dict) or not components:
        raise DeviceConfigError("a device config needs 'cmps' (components) as a JSON object")
    shared = _full_keys(
        {
            key: value
            for key, value in data.items()
            if key not in _COMPONENTS_KEYS and key not in _ORIGIN_KEYS
        }
    )
    found: list[DeviceComponent] = []
    for object_id, component in components.items():
        if not isinstance(component, dict):
            raise DeviceConfigError(f"component {object_id!r} is not a JSON object")
        own = {key: value for key, value in component.items() if key not in ("p", "platform")}
        platform = component.get("p", component.get("platform"))
        if not isinstance(platform, str) or not platform:
            raise DeviceConfigError(f"component {object_id!r} has no platform ('p')")
        config = {**shared, **_full_keys(own)} if own else None
        found.append(DeviceComponent(str(object_id), platform, config))
    return found
