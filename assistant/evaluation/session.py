"""One assembled runtime shared by every item, brought back to a fresh conversation each time.

Assembling per item would load the models per item, so the runtime is assembled once and each
item starts from the same place instead: the home in its initial state, no question waiting,
no timers, no skill state. Context utterances are then replayed as typed text at every level
(they set the scene; only the item's own utterance is the thing measured).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from assistant.evaluation.devset import DevItem
from assistant.evaluation.home import EvalHome
from assistant.evaluation.scoring import TurnRecord
from assistant.pipeline.assembly import Assembled
from assistant.pipeline.contract import turn_json
from assistant.skill_host.loader import run_hook


class ModelProbe:
    """Notes whether, and for how long, the language model was asked during a turn.

    The turn's JSON only says which stage answered; a model that answered "none" leaves no
    trace there, yet it cost the time the latency table should show.
    """

    def __init__(self, brain: object) -> None:
        self.elapsed_ms: float | None = None
        model = getattr(brain, "model", None)
        propose: Callable[..., Awaitable[Any]] | None = getattr(model, "propose", None)
        if model is None or propose is None:
            return
        original = propose

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.elapsed_ms = (self.elapsed_ms or 0.0) + (time.perf_counter() - started) * 1000

        model.propose = timed  # on this instance only, for this evaluation's runtime


class Session:
    def __init__(self, assembled: Assembled, home: EvalHome) -> None:
        self.assembled = assembled
        self.home = home
        self.probe = ModelProbe(assembled.brain)

    async def fresh(self) -> None:
        """The home as the home file says and a conversation that has not started."""
        await self.home.reset()
        self.assembled.brain.reset()
        await self._fresh_skills()

    async def _fresh_skills(self) -> None:
        """Skills that kept something (timers) start again with empty state folders."""
        skills = self.assembled.skills
        skills.scheduler.cancel_all()
        root = skills.settings.storage.state_dir / "skills"
        for name, skill in skills.loaded.skills.items():
            folder = root / name
            if not folder.is_dir() or not any(folder.iterdir()):
                continue
            await run_hook(skill.teardown)
            for path in folder.iterdir():
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            await run_hook(skill.setup)

    async def turn(self, said: str | Path) -> TurnRecord:
        """One turn, typed (str) or spoken (a WAV path), and what the devices received."""
        toolbox = self.assembled.skills.toolbox
        confirming = toolbox.pending is not None
        mark = self.home.mark()
        self.probe.elapsed_ms = None
        if isinstance(said, Path):
            result = await self.assembled.turns.from_wav(said, use_wake=False, out_dir=None)
        else:
            result = await self.assembled.turns.from_text(said)
        data = turn_json(result)
        commands = await self.home.commands_since(mark, data["actions"])
        response = (result.response or "").rstrip()
        asked = self.assembled.brain.asking or response.endswith("?")
        return TurnRecord(
            text=str(said), result=data, commands=commands, confirming=confirming,
            asked=asked, model_ms=self.probe.elapsed_ms,
        )  # fmt: skip

    async def run_item(self, item: DevItem, said: str | Path) -> list[TurnRecord]:
        await self.fresh()
        turns = [await self.turn(context) for context in item.context]
        turns.append(await self.turn(said))
        return turns
