"""The skills running: their policy, audit log, device gate, announcer, scheduler and tools."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from assistant.config import Settings
from assistant.devices.commands import CommandOutcome, DeviceCommander
from assistant.devices.mqtt import default_client_id
from assistant.devices.registry import DeviceRegistry
from assistant.private import private_folder
from assistant.skill_host.audit import AuditLog
from assistant.skill_host.device_gate import DeviceGate
from assistant.skill_host.loader import LoadedSkills, load_skills, run_hook
from assistant.skill_host.safety import SafetyPolicy
from assistant.skill_host.toolbox import Toolbox
from assistant.skills.context import Announcer, Keeper, Scheduler, SkillContext
from assistant.skills.request import CURRENT_REQUEST

log = logging.getLogger(__name__)


class SkillHost:
    def __init__(
        self,
        settings: Settings,
        registry: DeviceRegistry,
        commander: DeviceCommander | None,
        announcer: Announcer | None = None,
        reply_ahead: Callable[[str], None] | None = None,
        *,
        keeper: Callable[[], Keeper] | None = None,
    ) -> None:
        """`reply_ahead` makes a reply's speech before it is given
        (`SkillContext.expect_reply`); None where replies are not spoken. `keeper` says who
        carries out what skills schedule (`SkillContext.keeper`); None: this runtime."""
        self.settings = settings
        state_dir = settings.storage.state_dir
        self.policy = SafetyPolicy(settings.safety)
        self.audit = AuditLog(state_dir / "audit.jsonl" if settings.safety.audit_log else None)
        self.devices = DeviceGate(registry, commander, self.policy)
        self.reply_ahead = reply_ahead or (lambda text: None)
        self.keeper: Callable[[], Keeper] = keeper or (lambda: "here")
        self.broker = commander.connection if commander is not None else None
        self.announcer = announcer or Announcer()
        self.scheduler = Scheduler()
        self.loaded = LoadedSkills({}, {}, [])
        self.toolbox = Toolbox(
            {}, self.devices, self.audit,
            confirmation_timeout_seconds=settings.safety.confirmation_timeout_seconds,
        )  # fmt: skip
        self._telling: set[asyncio.Task[None]] = set()
        if commander is not None:
            commander.subscribe_late(self._confirmed_late)

    def _confirmed_late(self, late: CommandOutcome) -> None:
        """A command the person heard had failed did happen: the audit log and the person
        hear the truth, or they repeat a command that was already carried out. They hear it
        where they gave the command: the commander calls this in the context of that call
        (`subscribe_late`), so the request it answered is the current one here."""
        self.audit.record(
            outcome="confirmed-late", reason=late.reason,
            actions=[{"entity": late.entity_id, "service": late.service, "status": late.status}],
        )  # fmt: skip
        request = CURRENT_REQUEST.get()
        place = request.place if request is not None else None
        told = self.announcer.announce(late.reason, place=place)
        task = asyncio.get_running_loop().create_task(told)
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)

    def _context(self, name: str, config: Any) -> SkillContext:
        state_dir = self.settings.storage.state_dir / "skills" / name
        private_folder(self.settings.storage.state_dir)
        private_folder(state_dir)
        return SkillContext(
            skill=name,
            devices=self.devices,
            announcer=self.announcer,
            scheduler=self.scheduler,
            state_dir=state_dir,
            config=config,
            log=logging.getLogger(f"assistant.skill.{name}"),
            broker=self.broker,
            assistant_name=default_client_id(self.settings.mqtt),
            reply_ahead=self.reply_ahead,
            keeper=self.keeper,
            describe_tools=lambda: [
                (tool.name, tool.description, tool.info.examples)
                for tool in self.toolbox.tools.values()
            ],
        )

    async def start(self) -> SkillHost:
        self.loaded = await load_skills(self.settings.skills, self._context)
        self.toolbox.tools = self.loaded.tools
        broken = [status.name for status in self.loaded.statuses if status.state == "broken"]
        log.info("%d skills, %d tools%s", len(self.loaded.skills), len(self.loaded.tools),
                 f"; broken: {', '.join(broken)}" if broken else "")  # fmt: skip
        return self

    async def stop(self) -> None:
        self.scheduler.cancel_all()
        for name, skill in self.loaded.skills.items():
            try:
                await run_hook(skill.teardown)
            except Exception:
                log.exception("skill %s failed to tear down", name)
