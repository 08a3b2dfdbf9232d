"""The simulated home: its devices, read from a home file, with faults added for tests."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.devices.registry import format_validation_error
from assistant.devices.sim.base import SimDevice
from assistant.devices.sim.climate import Climate
from assistant.devices.sim.covers_locks import Cover, Lock
from assistant.devices.sim.lights import Light
from assistant.devices.sim.sensors import BinarySensor, Sensor
from assistant.devices.sim.spec import DeviceSpec, Faults
from assistant.devices.sim.switches import Fan, Switch
from assistant.errors import ConfigError

DEFAULT_HOME = Path(__file__).with_name("home.toml")
DEVICE_CLASSES: dict[str, type[SimDevice]] = {
    cls.kind: cls for cls in (Light, Switch, Fan, Climate, Cover, Lock, Sensor, BinarySensor)
}


def make_device(spec: DeviceSpec, *, discovery_prefix: str, bridge_topic: str | None) -> SimDevice:
    """Build a device; raises ValueError naming what in its spec is wrong."""
    device_class = DEVICE_CLASSES[spec.kind]
    return device_class(spec, discovery_prefix=discovery_prefix, bridge_topic=bridge_topic)


def load_home(path: Path | None = None) -> list[DeviceSpec]:
    """Read a home file (`home.toml` here by default); errors name the file and the device."""
    path = path or DEFAULT_HOME
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"simulated home {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"simulated home {path}: {error}") from None
    if set(data) - {"device"} or not isinstance(data.get("device", []), list):
        raise ConfigError(
            f"simulated home {path}: expected only [[device]] tables, not {sorted(data)}"
        )
    specs: list[DeviceSpec] = []
    for index, item in enumerate(data.get("device", []), start=1):
        where = f"simulated home {path}: device #{index} ({item.get('id', 'no id')})"
        try:
            spec = DeviceSpec.model_validate(item)
            make_device(
                spec, discovery_prefix="check", bridge_topic=None
            )  # style, options, initial
        except ValidationError as error:
            raise ConfigError(f"{where}: {format_validation_error(error)}") from None
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from None
        if any(spec.id == other.id or spec.name == other.name for other in specs):
            raise ConfigError(
                f"{where}: another device has the id {spec.id!r} or name {spec.name!r}"
            )
        specs.append(spec)
    return specs


def with_faults(
    specs: Sequence[DeviceSpec], *, offline: Sequence[str] = (),
    slow: Mapping[str, float] | None = None, lose: Sequence[str] = (),
) -> list[DeviceSpec]:  # fmt: skip
    """The specs with command-line faults added; unknown device ids are a ConfigError."""
    slow = slow or {}
    known = {spec.id for spec in specs}
    unknown = (set(offline) | set(slow) | set(lose)) - known
    if unknown:
        raise ConfigError(f"no simulated device {sorted(unknown)}; the home has {sorted(known)}")
    result = []
    for spec in specs:
        changes: dict[str, Any] = {"available": False} if spec.id in offline else {}
        if spec.id in slow:
            changes["confirm_delay_seconds"] = slow[spec.id]
        if spec.id in lose:
            changes["lose_confirmations"] = True
        try:
            faults = Faults.model_validate({**spec.faults.model_dump(), **changes})
        except ValidationError as error:
            raise ConfigError(f"faults of {spec.id}: {format_validation_error(error)}") from None
        result.append(spec.model_copy(update={"faults": faults}))
    return result
