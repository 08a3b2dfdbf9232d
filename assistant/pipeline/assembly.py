"""The runtime assembled for a turn: models, devices, skills, rules and the brain over them."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from assistant.config import Settings
from assistant.devices.home import DeviceHome
from assistant.devices.registry import DeviceRegistry
from assistant.engines import EngineName, Engines
from assistant.errors import AssistantError
from assistant.pipeline.events import EventBus
from assistant.pipeline.reply import speak_ahead
from assistant.pipeline.turn import TurnEngine
from assistant.skill_host.host import SkillHost
from assistant.skills.context import Keeper
from assistant.stt.protocol import Vocabulary
from assistant.understanding.cascade import Cascade
from assistant.understanding.model_stage import ModelStage
from assistant.understanding.rules import RuleMatcher

log = logging.getLogger(__name__)


@dataclass
class Assembled:
    engines: Engines
    home: DeviceHome | None
    skills: SkillHost
    rules: RuleMatcher
    brain: Cascade
    turns: TurnEngine


@contextlib.asynccontextmanager
async def assemble(
    settings: Settings,
    *,
    engines: tuple[EngineName, ...],
    home: DeviceHome | None = None,
    role: str = "cli",
    bus: EventBus | None = None,
    keeper: Callable[[], Keeper] | None = None,
) -> AsyncIterator[Assembled]:
    """Models loaded up front (a missing one is a start-up error), the configured broker's
    devices unless a `home` is given, and every enabled skill. `keeper`: who carries out what
    skills schedule (`SkillContext.keeper`); None for a runtime that lives on."""
    if not settings.understanding.model:  # switched off: never spend the time and memory
        engines = tuple(name for name in engines if name != "llm")
    loaded = Engines(settings)
    try:
        engines = await _without_unusable_llm(loaded, engines)
        await _load(loaded, engines)
        async with contextlib.AsyncExitStack() as stack:
            if home is None and settings.mqtt.host:
                home = await stack.enter_async_context(
                    DeviceHome(settings, role=role, publish_status=False)
                )
                if not await home.ready():
                    log.warning(
                        "MQTT broker %s:%s not reachable yet",
                        settings.mqtt.host,
                        settings.mqtt.port,
                    )
            registry = home.registry if home else DeviceRegistry(None)
            skills = await SkillHost(
                settings, registry, home.commander if home else None,
                reply_ahead=speak_ahead(loaded) if "tts" in engines else None, keeper=keeper,
            ).start()  # fmt: skip
            stack.push_async_callback(skills.stop)
            rules = RuleMatcher(skills.toolbox.tools, skills.devices)
            model = None
            if "llm" in engines:
                model = ModelStage(
                    loaded, skills.toolbox.tools, skills.devices, settings.understanding,
                    settings.llm,
                )  # fmt: skip
                await model.warm()
            brain = Cascade(skills.toolbox, rules, model, use_rules=settings.understanding.rules)
            vocabulary = None
            if settings.stt.home_vocabulary:
                devices = skills.devices

                def vocabulary() -> Vocabulary:
                    return Vocabulary(tuple(dict.fromkeys([*devices.names(), *devices.areas()])))

            turns = TurnEngine(loaded, brain, bus, vocabulary=vocabulary)
            yield Assembled(loaded, home, skills, rules, brain, turns)
    finally:
        loaded.close()


async def _load(loaded: Engines, names: Iterable[EngineName]) -> None:
    """Each model loads on its own worker thread, where it will run. A load takes seconds and
    would keep the event loop from acting on a stop; and llama.cpp calls back into Python while
    it loads, where a signal handler running on the main thread could lose the stop."""
    for name in names:
        await loaded.run(name, loaded.load, name)


async def _without_unusable_llm(
    loaded: Engines, engines: tuple[EngineName, ...]
) -> tuple[EngineName, ...]:
    """Load the language model first; if it cannot be loaded, the rules still answer: one
    warning (and `assistant doctor --deep` says why), never a process that will not start."""
    if "llm" not in engines:
        return engines
    await _load(loaded, (name for name in engines if name != "llm"))  # nothing replaces these
    try:
        await _load(loaded, ("llm",))
    except AssistantError as error:
        log.warning("the language model is unavailable, so only the rules understand: %s",
                    error.message)  # fmt: skip
        return tuple(name for name in engines if name != "llm")
    return engines
