"""The assistant's side of a skill test: its skills running, alone or in the whole pipeline.

`running_skills` and `assistant_in` give a started SkillHost, whose toolbox calls a tool the way
understanding does (validation, time limit, safety gate, audit). `assembled_in` gives the whole
runtime over a simulated home, whose turns take typed text or recorded speech and give the
reply. Settings come from nowhere but the arguments, except where models are needed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.devices.commands import DeviceCommander
from assistant.devices.home import DeviceHome
from assistant.devices.registry import DeviceRegistry
from assistant.engines import EngineName
from assistant.pipeline.assembly import Assembled, assemble
from assistant.skill_host.host import SkillHost
from assistant.skill_host.loader import BUILTIN_FOLDER
from assistant.skill_testing.home import SimulatedHome, eventually

DEVICE_SKILLS = ("device_control", "device_state")


def make_settings(folder: Path, **sections: Any) -> Settings:
    """Settings with the state under `folder/state` and the given sections; nothing read from
    the environment or a file, so a developer's own ASSISTANT_* variables cannot leak in."""
    data: dict[str, Any] = {"storage": {"state_dir": str(folder / "state")}, **sections}
    return Settings.model_validate(data)


def device_skills_folder(folder: Path) -> Path:
    """`folder/device-skills`, holding only the built-in device skills (links to the real
    files): a test of a device skill then does not depend on the other built-in skills."""
    skills = folder / "device-skills"
    skills.mkdir(parents=True, exist_ok=True)
    for name in DEVICE_SKILLS:
        link = skills / f"{name}.py"
        if not link.exists():
            link.symlink_to(BUILTIN_FOLDER / f"{name}.py")
    return skills


@contextlib.asynccontextmanager
async def running_skills(
    settings: Settings,
    registry: DeviceRegistry | None = None,
    commander: DeviceCommander | None = None,
) -> AsyncIterator[SkillHost]:
    """A started SkillHost; without a registry, over an empty one with no device network (a
    command's outcome is then `failed`: "No device network is connected.")."""
    runtime = SkillHost(
        settings, registry if registry is not None else DeviceRegistry(None), commander
    )
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def assistant_in(
    home: SimulatedHome, folder: Path, **sections: Any
) -> AsyncIterator[SkillHost]:
    """The skills over `home`'s devices, seen through the assistant's real device layer, once
    every simulated device is known and available. State goes under `folder` (make_settings);
    by default only the device skills are loaded: pass `skills={...}` to choose others."""
    sections.setdefault("skills", {"builtin": False, "folders": [device_skills_folder(folder)]})
    settings = make_settings(folder, mqtt=home.mqtt.model_dump(), **sections)
    async with DeviceHome(settings, role="test", publish_status=False) as devices:
        if not await devices.ready():
            raise TimeoutError(f"the broker at {home.mqtt.host}:{home.mqtt.port} did not answer")
        await _all_devices_known(home, devices.registry)
        async with running_skills(settings, devices.registry, devices.commander) as runtime:
            yield runtime


async def _all_devices_known(home: SimulatedHome, registry: DeviceRegistry) -> None:
    """Every simulated entity discovered and available: a test then starts from the home the
    home file describes, not from whatever part of it has arrived."""
    expected = {e for d in home.simulator.devices.values() for e in d.entity_ids()}

    def complete() -> bool:
        entities = registry.entities
        return set(entities) == expected and all(e.state.available for e in entities.values())

    if not await eventually(complete):
        unknown = sorted(expected - set(registry.entities))
        offline = sorted(i for i, e in registry.entities.items() if not e.state.available)
        raise TimeoutError(f"simulated devices not discovered: {unknown}; offline: {offline}")


@contextlib.asynccontextmanager
async def assembled_in(
    home: SimulatedHome | None,
    folder: Path,
    *,
    engines: tuple[EngineName, ...] = (),
    **sections: Any,
) -> AsyncIterator[Assembled]:
    """The whole runtime over `home` (none: no devices), with the models named in `engines`.

    Its `turns.from_text(text)` and `turns.from_wav(path, use_wake=False, out_dir=None)` take a
    request and return the TurnResult (`response`, `actions`, `intent`, …). No model is needed
    for text; recorded speech needs "vad" and "stt" (and "wake" with `use_wake=True`). Settings
    are read as the runtime reads them (defaults, hardware profile, ASSISTANT_* variables), so
    the models are found where the installed assistant keeps them; `sections` go over them,
    and the state goes under `folder/state`."""
    mqtt = home.mqtt.model_dump() if home is not None else {}
    settings = load_settings(mqtt=mqtt, storage={"state_dir": folder / "state"}, **sections)
    async with assemble(settings, engines=engines, role="test") as assembled:
        yield assembled
