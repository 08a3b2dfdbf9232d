"""`assistant skills list` and `assistant tools schema`."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from assistant.config import Settings
from assistant.devices.home import DeviceHome
from assistant.devices.registry import DeviceRegistry
from assistant.skill_host.host import SkillHost


@contextlib.asynccontextmanager
async def running_skills(settings: Settings) -> AsyncIterator[SkillHost]:
    """Skills over the configured home; without a broker, over an empty registry (schemas then
    have no device names, which is what the model would see too)."""
    async with contextlib.AsyncExitStack() as stack:
        if settings.mqtt.host:
            home = await stack.enter_async_context(
                DeviceHome(settings, role="cli", publish_status=False)
            )
            await home.ready()
            runtime = SkillHost(settings, home.registry, home.commander)
        else:
            runtime = SkillHost(settings, DeviceRegistry(None), None)
        await runtime.start()
        stack.push_async_callback(runtime.stop)
        yield runtime


def run_skills_list(settings: Settings, *, as_json: bool = False) -> int:
    async def show() -> int:
        async with running_skills(settings) as runtime:
            statuses = runtime.loaded.statuses
            broken = 1 if any(s.state == "broken" for s in statuses) else 0
            if as_json:
                listed = [
                    {"name": s.name, "state": s.state, "tools": s.tools,
                     "reason": s.reason or None, "source": s.source}
                    for s in statuses
                ]  # fmt: skip
                print(json.dumps(listed, indent=2, ensure_ascii=False))
                return broken
            width = max((len(s.name) for s in statuses), default=5)
            for status in statuses:
                detail = ", ".join(status.tools) if status.state == "enabled" else status.reason
                print(f"{status.name:{width}}  {status.state:8}  {detail}")
                print(f"{'':{width}}  {'':8}  from {status.source}")
            return broken

    return asyncio.run(show())


def run_tools_schema(settings: Settings) -> int:
    async def show() -> int:
        async with running_skills(settings) as runtime:
            print(json.dumps(runtime.toolbox.schemas(), indent=2, ensure_ascii=False))
        return 0

    return asyncio.run(show())
