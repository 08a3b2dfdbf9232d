"""Kitchen timers: several at once, named or not, that ring with a tone and a voice when done.

Timers are kept in the skill's state folder with their wall-clock end time (or what was left when
paused), so a restart of the service neither loses them nor moves them; one that came due while
the service was down is announced as soon as it is back. The sentences people use for timers
are in `sentences`, a timer and how its times are said in `timer`, the saved list in `store`.

Only a process that keeps running can ring a timer (`SkillContext.keeper`). A one-shot command
(`assistant ask`) ends once it has answered: while the service runs on the same state folder,
what it starts or changes goes into the folder and the service, which watches it, rings it;
with no service running it starts nothing and says so, and can only tell about or cancel the
timers the service left.

A timer rings where it was set: it keeps the place of the request that started it (saved with
it), and its announcements carry that place, so the satellite that heard "set a timer" rings.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import Iterator

from assistant.skills import Skill, ToolResult, tool

from . import sentences
from .parameters import (
    MAX_SECONDS,
    AddHours,
    AddMinutes,
    AddSeconds,
    Hours,
    Minutes,
    Name,
    OneOfSeveral,
    Seconds,
    SetHours,
    SetMinutes,
    SetSeconds,
    TimerName,
)
from .store import TimerStore
from .timer import Timer, clean_name, listing, rounded, spoken_duration

__all__ = ["Timers", "spoken_duration"]

MAX_TIMERS = 20  # more would be unlistenable when asked "how much time is left"
# How often the service looks for timers a one-shot command started or changed: one stat of the
# store; a ring is late by at most this when its timer is shorter.
WATCH_SECONDS = 1.0
NOT_KEPT = (
    "timers ring only while the assistant is running, and it isn't. Start it with "
    "'assistant run', then ask again."
)


class Timers(Skill):
    """Countdown timers: start, cancel, pause, resume, add or remove time, and ask what is left."""

    name = "timers"
    timers: dict[str, Timer]
    _store: TimerStore
    _rings: dict[str, float]
    """Rings scheduled here: timer id -> the end it rings at."""
    _watching: asyncio.Task[None] | None

    async def setup(self) -> None:
        self.timers, self._rings = {}, {}
        self._store = TimerStore(self.context.state_dir, self.context.log)
        self._watching = None
        if self.context.keeper() != "here":
            return  # a one-shot command: it reads the timers when asked, and rings none
        now = time.time()
        with self._store.locked():
            self._reload()
            finished = [
                t for t in self.timers.values() if t.paused_left is None and t.ends_at <= now
            ]
            for timer in finished:
                del self.timers[timer.id]
            if finished:
                self._save()
        self._reschedule()
        self._watching = asyncio.create_task(self._watch(), name="timers/watch")
        for timer in sorted(finished, key=lambda t: t.ends_at):
            overdue = now - timer.ends_at
            ago = "moments ago" if overdue < 10 else f"{spoken_duration(rounded(overdue))} ago"
            text = f"Your {timer.label} finished while I was off, {ago}."
            await self.context.announcer.announce(text, sound="timer", place=timer.place)

    async def teardown(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
        for timer_id in self._rings:  # the runtime cancels them all too; this is for a reload
            self.context.scheduler.cancel(f"timers/{timer_id}")

    def _reload(self) -> None:
        self.timers = {timer.id: timer for timer in self._store.load()}

    def _save(self) -> None:
        self._store.save(list(self.timers.values()))

    @contextlib.contextmanager
    def _editing(self) -> Iterator[None]:
        """One tool's look at the timers, and its change (`_done` saves it), with none from
        another process in between: a one-shot command and the service share the store."""
        with self._store.locked():
            self._reload()
            yield
        self._reschedule()

    def _reschedule(self) -> None:
        """Where timers ring (the service), one ring per running timer, at its end."""
        if self.context.keeper() != "here":
            return
        running = {t.id: t.ends_at for t in self.timers.values() if t.paused_left is None}
        for timer_id in set(self._rings) - set(running):
            self.context.scheduler.cancel(f"timers/{timer_id}")
            del self._rings[timer_id]
        for timer_id, ends_at in running.items():
            if self._rings.get(timer_id) != ends_at:
                # Named per timer, so a new end (more time, resumed) replaces the pending ring.
                ring = functools.partial(self._ring, timer_id)
                self.context.scheduler.call_at(ends_at, ring, f"timers/{timer_id}")
                self._rings[timer_id] = ends_at

    async def _watch(self) -> None:
        """Timers a one-shot command started, changed or cancelled, found in the store."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                if self._store.changed():
                    with self._store.locked():
                        self._reload()
                    self._reschedule()
            except OSError as error:  # the folder gone or unwritable: look again next time
                self.context.log.error("timers: cannot read %s: %s", self._store.path, error)

    async def _ring(self, timer_id: str) -> None:
        with self._store.locked():
            self._reload()  # a one-shot command may have cancelled or moved it a moment ago
            timer = self.timers.get(timer_id)
            due = timer is not None and timer.paused_left is None and timer.ends_at <= time.time()
            if timer is not None and due:
                del self.timers[timer_id]
                self._save()
        self._rings.pop(timer_id, None)
        self._reschedule()  # a ring at its new end, if it was moved
        if timer is not None and due:
            text = f"Your {timer.label} is done."
            await self.context.announcer.announce(text, sound="timer", place=timer.place)

    def _sorted(self, now: float) -> list[Timer]:
        return sorted(self.timers.values(), key=lambda t: t.left(now))

    def _pick(
        self, name: str | None, duration: int, paused: bool | None = None
    ) -> Timer | ToolResult:
        """The one timer meant, or a result saying why there isn't one (or asking which).

        `paused` prefers timers in that state when none is named: "pause the timer" with one
        running and one paused timer means the running one. Of several, the one set where the
        request was heard is meant.
        """
        now = time.time()
        timers = self._sorted(now)
        if not timers:
            return ToolResult.failure("not-found", "You have no timers.")
        wanted = clean_name(name)
        found = [
            t for t in timers
            if (not duration or t.duration == duration)
            and (not wanted or wanted in (t.name, spoken_duration(t.duration, adjective=True)))
        ]  # fmt: skip
        if not found:
            size = spoken_duration(duration, adjective=True) if duration else None
            what = " ".join(word for word in (size, wanted) if word)
            speech = f"You have no {what} timer; " + listing([t.status(now) for t in timers]) + "."
            return ToolResult.failure("not-found", speech, timers=[t.label for t in timers])
        if paused is not None and not (wanted or duration):
            found = [t for t in found if (t.paused_left is not None) == paused] or found
        if len(found) > 1 and (here := self.context.place) is not None:
            found = [t for t in found if t.place == here] or found  # the one set here
        if len(found) == 1:
            return found[0]
        choices = listing([t.choice(now) for t in found], "or")
        speech = f"Which timer do you mean: {choices}?"
        return ToolResult.ambiguous(
            speech, [t.as_choice() for t in found], timers=[t.describe(now) for t in found]
        )

    def _done(self, speech: str, timer: Timer) -> ToolResult:
        self._save()
        return ToolResult(speech, data={"timer": timer.describe(time.time())})

    @staticmethod
    def _not_kept(what: str) -> ToolResult:
        return ToolResult.failure("refused", f"I can't {what}: {NOT_KEPT}")

    @tool("HassStartTimer", examples=sentences.START)
    async def start_timer(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Start a countdown timer, optionally named; it rings and says so when the time is up."""

        keeper = self.context.keeper()
        if keeper is None:
            return self._not_kept("keep a timer")
        with self._editing():
            return self._start(hours * 3600 + minutes * 60 + seconds, clean_name(name), keeper)

    def _start(self, total: int, label: str | None, keeper: str) -> ToolResult:
        if total <= 0:
            speech = "A timer needs a length. For how long?"
            return ToolResult(speech, success=False, error="invalid-arguments", expects_answer=True)
        if total > MAX_SECONDS:
            speech = f"I can only set timers of up to 24 hours, not {spoken_duration(total)}."
            return ToolResult.failure("invalid-arguments", speech, seconds=total)
        if label and any(t.name == label for t in self.timers.values()):
            speech = (
                f"You already have a {label} timer. Cancel it first, or give this one another name."
            )
            return ToolResult.failure("duplicate", speech)
        if len(self.timers) >= MAX_TIMERS:
            return ToolResult.failure(
                "refused", f"You already have {MAX_TIMERS} timers; cancel one first."
            )
        timer = Timer(
            uuid.uuid4().hex[:12], label, total, time.time() + total, place=self.context.place
        )
        self.timers[timer.id] = timer
        what = f"the {label} timer" if label else "a timer"
        where = "" if keeper == "here" else "; the running assistant will ring it"
        return self._done(f"Started {what} for {spoken_duration(total)}{where}.", timer)

    @tool("HassCancelTimer", examples=sentences.CANCEL)
    async def cancel_timer(
        self, hours: SetHours = 0, minutes: SetMinutes = 0, seconds: SetSeconds = 0,
        name: TimerName = None,
    ) -> ToolResult:  # fmt: skip
        """Cancel a timer so it never rings; asks which when several run and none is named."""

        with self._editing():
            timer = self._pick(name, hours * 3600 + minutes * 60 + seconds)
            if isinstance(timer, ToolResult):
                return timer
            del self.timers[timer.id]
            return self._done(f"Cancelled your {timer.label}.", timer)

    @tool("HassTimerStatus", examples=sentences.STATUS)
    async def timer_status(
        self, hours: SetHours = 0, minutes: SetMinutes = 0, seconds: SetSeconds = 0,
        name: TimerName = None,
    ) -> ToolResult:  # fmt: skip
        """Tell how much time is left on one timer, or on every timer when none is named."""

        now, duration = time.time(), hours * 3600 + minutes * 60 + seconds
        with self._editing():
            timers = self._sorted(now)
            if not timers:
                return ToolResult("You have no timers.", data={"timers": []})
            if name or duration:
                picked = self._pick(name, duration)
                if isinstance(picked, ToolResult):
                    return picked
                timers = [picked]
        text = listing([t.status(now) for t in timers])
        intro = f"You have {len(timers)} timers: " if len(timers) > 1 else ""
        speech = intro + (text if intro else text[0].upper() + text[1:]) + "."
        if self.context.keeper() is None and any(t.paused_left is None for t in timers):
            speech = "The assistant isn't running, so no timer rings until it starts. " + speech
        return ToolResult(speech, data={"timers": [t.describe(now) for t in timers]})

    def _pause(self, name: str | None, duration: int, pause: bool) -> ToolResult:
        if self.context.keeper() is None:
            return self._not_kept("change a timer")
        with self._editing():
            timer = self._pick(name, duration, paused=not pause)
            if isinstance(timer, ToolResult):
                return timer
            now = time.time()
            if (timer.paused_left is not None) == pause:
                speech = f"Your {timer.label} is already {'paused' if pause else 'running'}."
                return ToolResult(speech, data={"timer": timer.describe(now)})
            if pause:
                timer.paused_left = timer.left(now)
            else:
                timer.ends_at, timer.paused_left = now + timer.left(now), None
            left = spoken_duration(rounded(timer.left(now)))
            return self._done(
                f"{'Paused' if pause else 'Resumed'} your {timer.label}; {left} left.", timer
            )

    @tool("HassPauseTimer", examples=sentences.PAUSE)
    async def pause_timer(
        self, hours: SetHours = 0, minutes: SetMinutes = 0, seconds: SetSeconds = 0,
        name: TimerName = None,
    ) -> ToolResult:  # fmt: skip
        """Pause a running timer: it stops counting down until it is resumed."""

        return self._pause(name, hours * 3600 + minutes * 60 + seconds, pause=True)

    @tool("HassUnpauseTimer", examples=sentences.UNPAUSE)
    async def unpause_timer(
        self, hours: SetHours = 0, minutes: SetMinutes = 0, seconds: SetSeconds = 0,
        name: TimerName = None,
    ) -> ToolResult:  # fmt: skip
        """Resume a paused timer from where it was paused."""

        return self._pause(name, hours * 3600 + minutes * 60 + seconds, pause=False)

    def _change(self, name: str | None, amount: int, sign: int) -> ToolResult:
        if amount <= 0:
            what = "add" if sign > 0 else "take off"
            return ToolResult.failure("invalid-arguments", f"How much time should I {what}?")
        if self.context.keeper() is None:
            return self._not_kept("change a timer")
        with self._editing():
            timer = self._pick(name, 0)
            if isinstance(timer, ToolResult):
                return timer
            left = timer.left(time.time())
            if sign < 0 and amount >= left:
                speech = f"Your {timer.label} has only {spoken_duration(rounded(left))} left."
                return ToolResult.failure("invalid-arguments", speech)
            if sign > 0 and left + amount > MAX_SECONDS:
                return ToolResult.failure(
                    "invalid-arguments", "Timers can run for at most 24 hours."
                )
            if timer.paused_left is not None:
                timer.paused_left += sign * amount
            else:
                timer.ends_at += sign * amount
            verb, where = ("Added", "to") if sign > 0 else ("Took", "off")
            left_now = spoken_duration(rounded(timer.left(time.time())))
            speech = (
                f"{verb} {spoken_duration(amount)} {where} your {timer.label}; {left_now} left."
            )
            return self._done(speech, timer)

    @tool("HassIncreaseTimer", examples=sentences.INCREASE)
    async def increase_timer(
        self, hours: AddHours = 0, minutes: AddMinutes = 0, seconds: AddSeconds = 0,
        name: OneOfSeveral = None,
    ) -> ToolResult:  # fmt: skip
        """Add time to a running or paused timer.

        Args:
            hours: hours to add.
            minutes: minutes to add.
            seconds: seconds to add.
        """

        return self._change(name, hours * 3600 + minutes * 60 + seconds, +1)

    @tool("HassDecreaseTimer", examples=sentences.DECREASE)
    async def decrease_timer(
        self, hours: AddHours = 0, minutes: AddMinutes = 0, seconds: AddSeconds = 0,
        name: OneOfSeveral = None,
    ) -> ToolResult:  # fmt: skip
        """Take time off a running or paused timer.

        Args:
            hours: hours to take off.
            minutes: minutes to take off.
            seconds: seconds to take off.
        """

        return self._change(name, hours * 3600 + minutes * 60 + seconds, -1)
