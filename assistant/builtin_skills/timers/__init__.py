"""Kitchen timers: several at once, named or not, that ring with a tone and a voice when done.

Timers are kept in the skill's state folder with their wall-clock end time (or what was left when
paused), so a restart of the service neither loses them nor moves them; one that came due while
the service was down is announced as soon as it is back. The sentences people use for timers
are in `sentences`, a timer and how its times are said in `timer`, the saved list in `store`.
"""

from __future__ import annotations

import functools
import time
import uuid
from typing import Annotated

from pydantic import Field

from assistant.skills import Skill, ToolResult, tool

from . import sentences
from .store import TimerStore
from .timer import Timer, clean_name, listing, rounded, spoken_duration

__all__ = ["Timers", "spoken_duration"]

MAX_SECONDS = 24 * 3600
MAX_TIMERS = 20  # more would be unlistenable when asked "how much time is left"

# The length of a new timer.
Hours = Annotated[int, Field(ge=0, le=24, description="hours to count down.")]
Minutes = Annotated[int, Field(ge=0, le=24 * 60, description="minutes to count down.")]
Seconds = Annotated[int, Field(ge=0, le=MAX_SECONDS, description="seconds to count down.")]
Name = (
    Annotated[
        str, Field(max_length=60, description='what the timer is for, e.g. "pasta" or "laundry".')
    ]
    | None
)  # "" from a model means no name
# Which timer is meant: by the length it was set for, or by its name.
SetHours = Annotated[
    int, Field(ge=0, le=24, description="the hours the timer was set for, to tell it from others.")
]
SetMinutes = Annotated[
    int,
    Field(
        ge=0, le=24 * 60, description="the minutes the timer was set for, to tell it from others."
    ),
]
SetSeconds = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_SECONDS,
        description="the seconds the timer was set for, to tell it from others.",
    ),
]
TimerName = (
    Annotated[str, Field(max_length=60, description='the timer\'s name, e.g. "pasta".')] | None
)
# An amount of time to add to a timer or take off it.
AddHours = Annotated[int, Field(ge=0, le=24)]
AddMinutes = Annotated[int, Field(ge=0, le=24 * 60)]
AddSeconds = Annotated[int, Field(ge=0, le=MAX_SECONDS)]
OneOfSeveral = (
    Annotated[
        str,
        Field(
            max_length=60,
            description='the timer\'s name, e.g. "pasta"; needed only when there are several.',
        ),
    ]
    | None
)


class Timers(Skill):
    """Countdown timers: start, cancel, pause, resume, add or remove time, and ask what is left."""

    name = "timers"
    timers: dict[str, Timer]
    _store: TimerStore

    async def setup(self) -> None:
        self.timers, self._store = {}, TimerStore(self.context.state_dir, self.context.log)
        now = time.time()
        finished = []
        for timer in self._store.load():
            if timer.paused_left is None and timer.ends_at <= now:
                finished.append(timer)
                continue
            self.timers[timer.id] = timer
            if timer.paused_left is None:
                self._schedule(timer)
        if finished:
            self._save()
        for timer in sorted(finished, key=lambda t: t.ends_at):
            overdue = now - timer.ends_at
            ago = "moments ago" if overdue < 10 else f"{spoken_duration(rounded(overdue))} ago"
            text = f"Your {timer.label} finished while I was off, {ago}."
            await self.context.announcer.announce(text, sound="timer")

    async def teardown(self) -> None:
        for timer_id in self.timers:  # the runtime cancels them all too; this is for a reload
            self.context.scheduler.cancel(f"timers/{timer_id}")

    def _save(self) -> None:
        self._store.save(list(self.timers.values()))

    def _schedule(self, timer: Timer) -> None:
        # Named per timer, so rescheduling (more time, resumed) replaces the pending ring.
        ring = functools.partial(self._ring, timer.id)
        self.context.scheduler.call_at(timer.ends_at, ring, f"timers/{timer.id}")

    async def _ring(self, timer_id: str) -> None:
        timer = self.timers.pop(timer_id, None)
        if timer is None:  # cancelled as it came due
            return
        self._save()
        await self.context.announcer.announce(f"Your {timer.label} is done.", sound="timer")

    def _sorted(self, now: float) -> list[Timer]:
        return sorted(self.timers.values(), key=lambda t: t.left(now))

    def _pick(
        self, name: str | None, duration: int, paused: bool | None = None
    ) -> Timer | ToolResult:
        """The one timer meant, or a result saying why there isn't one (or asking which).

        `paused` prefers timers in that state when none is named: "pause the timer" with one
        running and one paused timer means the running one.
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

    @tool("HassStartTimer", examples=sentences.START)
    async def start_timer(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Start a countdown timer, optionally named; it rings and says so when the time is up."""

        total, label = hours * 3600 + minutes * 60 + seconds, clean_name(name)
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
        timer = Timer(uuid.uuid4().hex[:12], label, total, time.time() + total)
        self.timers[timer.id] = timer
        self._schedule(timer)
        what = f"the {label} timer" if label else "a timer"
        return self._done(f"Started {what} for {spoken_duration(total)}.", timer)

    @tool("HassCancelTimer", examples=sentences.CANCEL)
    async def cancel_timer(
        self, hours: SetHours = 0, minutes: SetMinutes = 0, seconds: SetSeconds = 0,
        name: TimerName = None,
    ) -> ToolResult:  # fmt: skip
        """Cancel a timer so it never rings; asks which when several run and none is named."""

        timer = self._pick(name, hours * 3600 + minutes * 60 + seconds)
        if isinstance(timer, ToolResult):
            return timer
        del self.timers[timer.id]
        self.context.scheduler.cancel(f"timers/{timer.id}")
        return self._done(f"Cancelled your {timer.label}.", timer)

    @tool("HassTimerStatus", examples=sentences.STATUS)
    async def timer_status(
        self, hours: SetHours = 0, minutes: SetMinutes = 0, seconds: SetSeconds = 0,
        name: TimerName = None,
    ) -> ToolResult:  # fmt: skip
        """Tell how much time is left on one timer, or on every timer when none is named."""

        now, duration = time.time(), hours * 3600 + minutes * 60 + seconds
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
        return ToolResult(speech, data={"timers": [t.describe(now) for t in timers]})

    async def _pause(self, name: str | None, duration: int, pause: bool) -> ToolResult:
        timer = self._pick(name, duration, paused=not pause)
        if isinstance(timer, ToolResult):
            return timer
        now = time.time()
        if (timer.paused_left is not None) == pause:
            speech = f"Your {timer.label} is already {'paused' if pause else 'running'}."
            return ToolResult(speech, data={"timer": timer.describe(now)})
        if pause:
            timer.paused_left = timer.left(now)
            self.context.scheduler.cancel(f"timers/{timer.id}")
        else:
            timer.ends_at, timer.paused_left = now + timer.left(now), None
            self._schedule(timer)
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

        return await self._pause(name, hours * 3600 + minutes * 60 + seconds, pause=True)

    @tool("HassUnpauseTimer", examples=sentences.UNPAUSE)
    async def unpause_timer(
        self, hours: SetHours = 0, minutes: SetMinutes = 0, seconds: SetSeconds = 0,
        name: TimerName = None,
    ) -> ToolResult:  # fmt: skip
        """Resume a paused timer from where it was paused."""

        return await self._pause(name, hours * 3600 + minutes * 60 + seconds, pause=False)

    async def _change(self, name: str | None, amount: int, sign: int) -> ToolResult:
        if amount <= 0:
            what = "add" if sign > 0 else "take off"
            return ToolResult.failure("invalid-arguments", f"How much time should I {what}?")
        timer = self._pick(name, 0)
        if isinstance(timer, ToolResult):
            return timer
        left = timer.left(time.time())
        if sign < 0 and amount >= left:
            speech = f"Your {timer.label} has only {spoken_duration(rounded(left))} left."
            return ToolResult.failure("invalid-arguments", speech)
        if sign > 0 and left + amount > MAX_SECONDS:
            return ToolResult.failure("invalid-arguments", "Timers can run for at most 24 hours.")
        if timer.paused_left is not None:
            timer.paused_left += sign * amount
        else:
            timer.ends_at += sign * amount
            self._schedule(timer)
        verb, where = ("Added", "to") if sign > 0 else ("Took", "off")
        left_now = spoken_duration(rounded(timer.left(time.time())))
        speech = f"{verb} {spoken_duration(amount)} {where} your {timer.label}; {left_now} left."
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

        return await self._change(name, hours * 3600 + minutes * 60 + seconds, +1)

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

        return await self._change(name, hours * 3600 + minutes * 60 + seconds, -1)
