"""Which data each device service takes, so a typo is refused instead of silently dropped.

`devices call light.kitchen turn_on colour=red` once answered "confirmed" with the colour
ignored: the command plans read only the keys they know. This table is what they read (see
`assistant.devices.command_plan`), checked before the safety policy or the broker see anything.
"""

from __future__ import annotations

from typing import Any

from assistant.devices.command_plan import SERVICES_BY_KIND
from assistant.devices.registry import Entity

SERVICE_DATA: dict[str, dict[str, tuple[str, ...]]] = {
    "light": {"turn_on": ("brightness",), "set_brightness": ("brightness",)},
    "fan": {"turn_on": ("percentage",), "set_percentage": ("percentage",)},
    "climate": {"set_temperature": ("temperature",), "set_hvac_mode": ("hvac_mode",)},
    "cover": {"set_position": ("position",)},
}
"""Per kind, per service, the data keys its command plan reads; a service not listed takes none."""


def unknown_data(entity: Entity, service: str, data: dict[str, Any]) -> str | None:
    """A sentence naming the data the service does not take, or None when all of it is taken."""
    if service not in SERVICES_BY_KIND.get(entity.kind, ()):
        return None  # the command plan refuses the service itself, naming those it has
    taken = SERVICE_DATA.get(entity.kind, {}).get(service, ())
    unknown = sorted(key for key in data if key not in taken)
    if not unknown:
        return None
    takes = " and ".join(taken) if taken else "no data"
    return (
        f"The {entity.name} can't take {' or '.join(unknown)} with {service}; "
        f"{service} takes {takes}."
    )
