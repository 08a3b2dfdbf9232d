"""What a skill gets to work with: devices, scheduling, speaking, its config and state folder."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assistant.skills.broker import Broker
from assistant.skills.devices import Devices
from assistant.skills.request import CURRENT_REQUEST, Place

log = logging.getLogger(__name__)

_ANNOUNCEMENTS_KEPT = 32

Keeper = Literal["here", "service"] | None
"""Who carries out what a skill schedules for later: see `SkillContext.keeper`."""


@dataclass(frozen=True)
class Announcement:
    text: str
    sound: str | None = None
    """An earcon name ("timer", "alert", "done", "error"); played before the text."""
    place: Place | None = None
    """Where it is meant to be heard: the satellite whose request started it (a timer rings
    where it was set); None for everywhere, or the default speaker."""


class Announcer:
    """Speech and sounds a skill starts on its own (a timer ringing, an alert going out).

    The live loop drains the queue, speaking while idle and queueing while busy; one-shot
    commands and tests read it. Bounded: the oldest announcement goes when it is full.
    """

    def __init__(self, on_announce: Callable[[Announcement], None] | None = None) -> None:
        self.queue: asyncio.Queue[Announcement] = asyncio.Queue(maxsize=_ANNOUNCEMENTS_KEPT)
        self.history: list[Announcement] = []
        self._on_announce = on_announce

    async def announce(
        self, text: str, *, sound: str | None = None, place: Place | None = None
    ) -> None:
        announcement = Announcement(text, sound, place)
        if self.queue.full():
            self.queue.get_nowait()
            log.warning("announcement queue full: dropped the oldest")
        self.queue.put_nowait(announcement)
        self.history = [*self.history[-_ANNOUNCEMENTS_KEPT + 1 :], announcement]
        where = f" (at {place.satellite})" if place else ""
        log.info("announcement%s: %s%s", where, f"[{sound}] " if sound else "", text)
        if self._on_announce is not None:
            self._on_announce(announcement)


class Scheduler:
    """Run a coroutine at a wall-clock time; tasks are named and kept until they finish."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def call_at(
        self, when_epoch_seconds: float, action: Callable[[], Awaitable[None]], name: str
    ) -> None:
        self.cancel(name)
        self._tasks[name] = asyncio.create_task(
            self._run(when_epoch_seconds, action, name), name=name
        )

    async def _run(
        self, when_epoch_seconds: float, action: Callable[[], Awaitable[None]], name: str
    ) -> None:
        # Sleep in short steps against the wall clock, so a clock set by NTP after boot (no RTC
        # on a Pi) moves the due time with it.
        while (remaining := when_epoch_seconds - time.time()) > 0:
            await asyncio.sleep(min(remaining, 5.0))
        self._tasks.pop(name, None)
        try:
            await action()
        except Exception:
            log.exception("scheduled %s failed", name)

    def cancel(self, name: str) -> bool:
        task = self._tasks.pop(name, None)
        if task is None:
            return False
        task.cancel()
        return True

    def pending(self) -> list[str]:
        return sorted(self._tasks)

    def cancel_all(self) -> None:
        for name in list(self._tasks):
            self.cancel(name)


@dataclass
class SkillContext:
    skill: str
    devices: Devices
    announcer: Announcer
    scheduler: Scheduler
    state_dir: Path
    """This skill's own folder for state that survives restarts."""
    config: Any = None
    """The skill's `Config` model filled from [skills.options.<skill>], if it declares one."""
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("assistant.skill"))
    describe_tools: Callable[[], list[tuple[str, str, tuple[str, ...]]]] = lambda: []
    """(name, description, examples) of every loaded tool, for "what can you do"."""
    broker: Broker | None = None
    """The broker connection, for skills that publish their own messages (alerts); None when
    no broker is configured. Device commands go through `devices`, never through this."""
    assistant_name: str = ""
    """This assistant's name on the network (its MQTT client id), for messages that say which
    assistant sent them."""
    reply_ahead: Callable[[str], None] = lambda text: None
    """The host's: starts making speech for a reply before it is given (`expect_reply`)."""
    keeper: Callable[[], Keeper] = lambda: "here"
    """Who carries out what the skill schedules for later (a timer's ring), asked when it
    matters: "here" in the assistant that keeps running (`assistant run`, or a runtime that
    lives on in a test); "service" in a one-shot command (`ask`, `once`) while `assistant run`
    runs on the same state folder, which the skill hands such work to through its state folder;
    None in a one-shot command with no service running, whose scheduled work would never run."""

    def expect_reply(self, text: str) -> None:
        """Say which reply this tool will give if the devices confirm, before commanding them:
        its speech is made while they answer, and played only if the reply is these very words
        (a device that fails changes the reply, and the guess is dropped)."""
        self.reply_ahead(text)

    @property
    def place(self) -> Place | None:
        """Where the request being carried out was heard (its satellite and room); None for
        typed text or a file, and outside a request."""
        request = CURRENT_REQUEST.get()
        return request.place if request is not None else None

    @property
    def words(self) -> str | None:
        """The words of the request being carried out, in full, as heard or typed; None
        outside a request. For what a tool passes on as said (a call for help), never to be
        kept: transcripts are not stored."""
        request = CURRENT_REQUEST.get()
        return request.words if request is not None else None

    async def speak(self, text: str) -> None:
        """Say `text` on its own, where the request that started the work was heard."""
        await self.announcer.announce(text, place=self.place)

    async def play(self, sound: str) -> None:
        await self.announcer.announce("", sound=sound, place=self.place)
