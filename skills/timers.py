"""Kitchen timers: several at once, named or not, that ring with a tone and a voice when done.

Timers are kept in the skill's state folder with their wall-clock end time (or what was left when
paused), so a restart of the service neither loses them nor moves them; one that came due while
the service was down is announced as soon as it is back.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from assistant.skills import Skill, ToolResult, tool

MAX_SECONDS = 24 * 3600
MAX_TIMERS = 20  # more would be unlistenable when asked "how much time is left"
STATE_FILE = "timers.json"
Hours = Annotated[int, Field(ge=0, le=24)]
Minutes = Annotated[int, Field(ge=0, le=24 * 60)]
Seconds = Annotated[int, Field(ge=0, le=MAX_SECONDS)]
Name = Annotated[str, Field(max_length=60)] | None  # "" from a model means no name
_UNITS = ((3600, "hour"), (60, "minute"), (1, "second"))

# Pieces of the example templates below, written `<piece>` in them: the everyday ways of saying
# the same thing. `_templates` fills them in.
_PIECES = {
    "<the>": "[(the|my|that|this)]",
    "<start>": (
        "[((set|start|make|create|get|give) [me]|put on|i (need|want|would like)"
        "|(can|could|may) i (have|get))]"
    ),  # asking for a new timer; left out in "timer for 10 minutes"
    "<stop>": "(cancel|stop|delete|remove|clear|end|kill|scrap|get rid of|forget [about])",
    # A timer's length as an adjective ("a 10 minute timer"), or an amount of time to change.
    "<size>": "({minutes} (minute|minutes)|{hours} (hour|hours)|{seconds} (second|seconds))",
    "<more>": (
        "({minutes} [(more|extra)] (minute|minutes)|{seconds} [(more|extra)] (second|seconds)"
        "|{hours} [(more|extra)] (hour|hours))"
    ),
    # Only "5 more minutes", never "give me 5 minutes" (which asks to wait, not for a timer).
    "<more!>": (
        "({minutes} (more|extra) (minute|minutes)|{seconds} (more|extra) (second|seconds)"
        "|{hours} (more|extra) (hour|hours))"
    ),
    "<how long>": (
        "how (much [more] time|long|many [more] (minutes|seconds|hours)) [(is|are|is there"
        "|are there|have i got|do i have|have we got|do we have|has it got|does it have)] [still]"
        " (left|remaining|remains|to go)"
    ),
    "<rings>": "(goes off|go off|rings|ring|is done|be done|finishes|finish|ends|end|is up|beeps)",
}
_LENGTH = (
    "({hours} (hour|hours) [and] {minutes} (minute|minutes)"
    "|{minutes} (minute|minutes) [and] {seconds} (second|seconds)"
    "|{hours} (hour|hours)|{minutes} (minute|minutes)|{seconds} (second|seconds))"
)
"""How long a timer runs: "10 minutes", "1 hour and 20 minutes", "2 minutes 30 seconds"."""
_FIXED_LENGTHS = (
    ("(an|1) hour and a half|1.5 hours", "{hours=1}{minutes=30}"),
    ("2 hours and a half|2.5 hours", "{hours=2}{minutes=30}"),
    ("half an hour|a half hour", "{minutes=30}"),
    ("(a|1) quarter of an hour", "{minutes=15}"),
    ("3 quarters of an hour", "{minutes=45}"),
    ("an hour", "{hours=1}"),
    ("(a|1) minute and a half|1.5 minutes", "{minutes=1}{seconds=30}"),
    ("2 minutes and a half|2.5 minutes", "{minutes=2}{seconds=30}"),
    ("3 minutes and a half|3.5 minutes", "{minutes=3}{seconds=30}"),
    ("a minute", "{minutes=1}"),
    ("half a minute", "{seconds=30}"),
)
"""Lengths said without a number slot ("1.5": the rules read "one and a half" so). A fixed
argument must stand outside any "(a|b)", so each of these makes a template of its own."""


def _templates(*frames: str) -> list[str]:
    """The frames with their `<pieces>` filled in; a frame with `<length>` becomes one template
    for every way of saying how long."""
    templates = []
    for frame in frames:
        filled = frame
        for piece, text in _PIECES.items():
            filled = filled.replace(piece, text)
        if "<length>" not in filled:
            templates.append(filled)
            continue
        for phrase, fixed in ((_LENGTH, ""), *_FIXED_LENGTHS):
            templates.append(filled.replace("<length>", f"({phrase})") + fixed)
    return templates


def spoken_duration(seconds: int, *, adjective: bool = False) -> str:
    """'1 hour and 5 minutes', '30 seconds'; `adjective` gives 'a 5 minute timer'."""
    parts = []
    for size, unit in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 or adjective else 's'}")
    return listing(parts) if parts else "0 seconds"


def listing(phrases: list[str], last: str = "and") -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + f" {last} " + phrases[-1]


def rounded(seconds: float) -> int:
    """Seconds to speak: exact under a minute (never "0 seconds left" while it runs), then to
    the nearest 10 seconds, and whole minutes from 10 minutes on: "9 minutes and 59 seconds"
    is more than anyone wants to hear."""
    if seconds < 60:
        return max(1, math.ceil(seconds))
    step = 10 if seconds < 600 else 60
    return round(seconds / step) * step


def clean_name(name: str | None) -> str | None:
    """'The Pasta timer' -> 'pasta', so the name reads right in "your pasta timer"."""
    words = [word for word in (name or "").lower().split() if word not in ("timer", "timers")]
    while words and words[0] in ("the", "my", "a", "for"):
        words.pop(0)
    return " ".join(words) or None


@dataclass
class Timer:
    id: str
    name: str | None
    duration: int
    """Seconds as set; unnamed timers are called by it ("your 5 minute timer")."""
    ends_at: float
    """Wall-clock epoch seconds: still right after a restart, unlike a monotonic clock."""
    paused_left: float | None = None
    """Seconds that were left when it was paused; None while it runs."""

    @property
    def label(self) -> str:
        return f"{self.name or spoken_duration(self.duration, adjective=True)} timer"

    def left(self, now: float) -> float:
        return self.paused_left if self.paused_left is not None else max(0.0, self.ends_at - now)

    def describe(self, now: float) -> dict[str, Any]:
        left, paused = round(self.left(now), 1), self.paused_left is not None
        # "arguments" pick this timer when the person answers "which one?" with its label.
        picks = {"name": self.name} if self.name else {"seconds": self.duration}
        return {"name": self.name, "label": self.label, "duration_seconds": self.duration,
                "left_seconds": left, "paused": paused, "arguments": picks}  # fmt: skip

    def choice(self, now: float) -> str:
        paused = "paused " if self.paused_left is not None else ""
        return f"the {self.label} {paused}with {spoken_duration(rounded(self.left(now)))} left"

    def status(self, now: float) -> str:
        left = spoken_duration(rounded(self.left(now)))
        if self.paused_left is not None:
            return f"your {self.label} is paused with {left} left"
        return f"{left} left on your {self.label}"


class _Stored(BaseModel):
    version: int = 1
    timers: list[Timer]


class Timers(Skill):
    """Countdown timers: start, cancel, pause, resume, add or remove time, and ask what is left."""

    name = "timers"
    timers: dict[str, Timer]
    _path: Path

    async def setup(self) -> None:
        self.timers, self._path = {}, self.context.state_dir / STATE_FILE
        now = time.time()
        finished = []
        for timer in self._load():
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

    def _load(self) -> list[Timer]:
        try:
            return _Stored.model_validate_json(self._path.read_bytes()).timers
        except FileNotFoundError:
            return []
        except (OSError, ValidationError) as error:
            # A broken file must not take the skill down: start empty, keep the file for a look.
            kept = self._path.with_suffix(".corrupt")
            self.context.log.warning(
                "timers: %s is unreadable (%s); starting with no timers, kept it as %s",
                self._path, type(error).__name__, kept.name,
            )  # fmt: skip
            with contextlib.suppress(OSError):
                self._path.replace(kept)
            return []

    def _save(self) -> None:
        # Temp file + fsync + rename: a power cut leaves the old list or the new one, never half.
        temporary = self._path.with_name(f".{self._path.name}.tmp")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as handle:
                handle.write(_Stored(timers=list(self.timers.values())).model_dump_json().encode())
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(self._path)
        except OSError as error:  # the timers still ring; they just won't survive a restart
            self.context.log.error("timers: cannot save %s: %s", self._path, error)

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
        candidates = {"candidates": [t.describe(now) for t in found]}
        speech = f"Which timer do you mean: {choices}?"
        return ToolResult(speech, False, "ambiguous", data=candidates, expects_answer=True)

    def _done(self, speech: str, timer: Timer) -> ToolResult:
        self._save()
        return ToolResult(speech, data={"timer": timer.describe(time.time())})

    @tool(
        "HassStartTimer",
        examples=[
            "(set|start) a timer for {minutes} (minute|minutes) [and {seconds} (second|seconds)]",
            "(set|start) a timer for {hours} (hour|hours) [and {minutes} (minute|minutes)]",
            "(set|start) a timer for {seconds} (second|seconds)",
            "(set|start) a {minutes} minute timer [for [the] {name}]",
            "(set|start) a {hours} hour timer [for [the] {name}]",
            "(set|start) a {seconds} second timer [for [the] {name}]",
            "(set|start) a {minutes} minute {name} timer",
            "(set|start) a timer (called|named|for [the]) {name} for {minutes} (minute|minutes)",
            "(set|start) a timer for an hour{hours=1} [for [the] {name}]",
            "(set|start) a timer for half an hour{minutes=30} [for [the] {name}]",
            "(set|start) [(a|the)] {name} timer for {minutes} (minute|minutes)",
            "(set|start) [(a|the)] {name} timer for {hours} (hour|hours)",
            "[set a] timer for {minutes} (minute|minutes) [for [the] {name}]",
            *_templates(
                "<start> [(a|an|the|my)] [new] timer (for|of) <length>"
                " [(for|called|named) [the] {name}]",
                "<start> [(a|an|the|my)] {name} timer (for|of) <length>",
                "put [(a|the)] timer on for <length> [for [the] {name}]",
                "(count down|countdown) [from] <length>",
                "start [a] countdown (for|of) <length>",
                "(remind|tell|alert|ping|nudge) me in <length> [to {name}]",
                "remind me in <length> to take [the] {name} (off|out)",
                "(let me know|tell me) when <length> (is|are|has|have) (up|passed|gone by)",
                "<start> [(a|an)] [new] <size> [{name}] timer [(for|called|named) [the] {name}]",
                "<start> [a] half hour [{name}] timer{minutes=30}",
                "<start> an hour [{name}] timer{hours=1}",
            ),
        ],
    )
    async def start_timer(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Start a countdown timer, optionally named; it rings and says so when the time is up.

        Args:
            hours: hours to count down.
            minutes: minutes to count down.
            seconds: seconds to count down.
            name: what the timer is for, e.g. "pasta" or "laundry".
        """
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

    @tool(
        "HassCancelTimer",
        examples=[
            "(cancel|stop|delete) [(the|my)] timer",
            "(cancel|stop|delete) [(the|my)] {name} timer",
            "(cancel|stop|delete) [(the|my)] timer for [the] {name}",
            "(cancel|stop|delete) [(the|my)] {minutes} minute timer",
            "(cancel|stop|delete) [(the|my)] {hours} hour timer",
            "(cancel|stop|delete) [(the|my)] {seconds} second timer",
            *_templates(
                "<stop> <the> (timer|countdown)",
                "<stop> <the> {name} timer",
                "<stop> <the> timer (for|on) [the] {name}",
                "<stop> <the> <size> timer",
                "(turn|switch) <the> [{name}] timer off",
                "(turn|switch) off <the> [{name}] timer",
                "i (do not|no longer) need <the> [{name}] timer [(anymore|any more)]",
                "never mind <the> [{name}] timer",
            ),
        ],
    )
    async def cancel_timer(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Cancel a timer so it never rings; asks which when several run and none is named.

        Args:
            hours: the hours the timer was set for, to tell it from others.
            minutes: the minutes the timer was set for, to tell it from others.
            seconds: the seconds the timer was set for, to tell it from others.
            name: the timer's name, e.g. "pasta".
        """
        timer = self._pick(name, hours * 3600 + minutes * 60 + seconds)
        if isinstance(timer, ToolResult):
            return timer
        del self.timers[timer.id]
        self.context.scheduler.cancel(f"timers/{timer.id}")
        return self._done(f"Cancelled your {timer.label}.", timer)

    @tool(
        "HassTimerStatus",
        examples=[
            "how much time is left [on [(the|my)] {name} timer]",
            "how much time is left on [(the|my)] (timer|timers)",
            "how much time is left on [(the|my)] {minutes} minute timer",
            "how (much longer|long is left) [on [(the|my)] {name} timer]",
            "(what's|what is) [the] status of [(the|my)] {name} timer",
            "(what timers do I have|timer status|timers status)",
            "when (does|will) [(the|my)] {name} timer (end|finish|ring|go off)",
            # Without a name as well as with one: "[(the|my)] {name} timer" also fits "my timer",
            # with a blank for a name, and a match with no free text is preferred.
            *_templates(
                "<how long> [(on|for|in) (it|<the> (timer|timers|countdown))]",
                "<how long> (on|for|in) <the> {name} [timer]",
                "<how long> (on|for|in) <the> <size> timer",
                "how (long|much time) (does|has) (it|<the> [{name}] timer) (have|got) [left]",
                "how much longer [(is|on|for) (it|<the> (timer|countdown))]",
                "how long (until|till|before) (it|<the> timer) <rings>",
                "how long (until|till|before) <the> {name} timer <rings>",
                "how long (until|till|before) [the] {name} (is|are) (done|ready|cooked)",
                "when (does|will) (it|<the> timer) <rings>",
                "what is (left|remaining) on (it|<the> [{name}] timer)",
                "(check|show me|read me|read out|list) [on] [(the|my|all [(the|my)])]"
                " (timer|timers)",
                "what timers (do i have|have i got|are (running|set|on|going))",
                "(do i have|are there|have i got|is there) any timers"
                " [(running|set|on|going|left)]",
                "(do i have|is there|have i got) a timer (running|set|on|going)",
                "is <the> [{name}] timer (still running|still going|still on|running|going|done"
                "|finished|up)",
            ),
        ],
    )
    async def timer_status(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Tell how much time is left on one timer, or on every timer when none is named.

        Args:
            hours: the hours the timer was set for, to tell it from others.
            minutes: the minutes the timer was set for, to tell it from others.
            seconds: the seconds the timer was set for, to tell it from others.
            name: the timer's name, e.g. "pasta".
        """
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

    @tool(
        "HassPauseTimer",
        examples=[
            "(pause|hold|freeze) [(the|my)] timer",
            "(pause|hold|freeze) [(the|my)] {name} timer",
            "(pause|hold|freeze) [(the|my)] timer for [the] {name}",
            "(pause|hold|freeze) [(the|my)] {minutes} minute timer",
            *_templates(
                "put <the> [{name}] timer on (hold|pause)",
                "put <the> <size> timer on (hold|pause)",
                "(pause|hold|freeze|halt|suspend) <the> (timer|countdown)",
                "(pause|hold|freeze|halt|suspend) <the> {name} timer",
                "(pause|hold|freeze|halt|suspend) <the> <size> timer",
                "(stop|pause|hold) <the> timer for a (moment|minute|second|sec|bit|while)",
            ),
        ],
    )
    async def pause_timer(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Pause a running timer: it stops counting down until it is resumed.

        Args:
            hours: the hours the timer was set for, to tell it from others.
            minutes: the minutes the timer was set for, to tell it from others.
            seconds: the seconds the timer was set for, to tell it from others.
            name: the timer's name, e.g. "pasta".
        """
        return await self._pause(name, hours * 3600 + minutes * 60 + seconds, pause=True)

    @tool(
        "HassUnpauseTimer",
        examples=[
            "(resume|unpause|continue) [(the|my)] timer",
            "(resume|unpause|continue) [(the|my)] {name} timer",
            "(resume|unpause|continue) [(the|my)] timer for [the] {name}",
            "start [(the|my)] {name} timer again",
            *_templates(
                "(carry on|go on|keep going|continue) with <the> (timer|countdown)",
                "(carry on|go on|keep going|continue) with <the> {name} timer",
                "(resume|unpause|continue|unfreeze) <the> (timer|countdown)",
                "(resume|unpause|continue|unfreeze) <the> <size> timer",
                # "again" is optional: the rules may drop it as a closing word, like "please".
                "start <the> (timer|countdown) [again]",
                "(get|set) <the> [{name}] timer (going|running) [again]",
                "take <the> [{name}] timer off (hold|pause)",
                "let <the> [{name}] timer (run|continue|carry on|keep going|go on)",
                "keep <the> [{name}] timer going",
            ),
        ],
    )
    async def unpause_timer(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Resume a paused timer from where it was paused.

        Args:
            hours: the hours the timer was set for, to tell it from others.
            minutes: the minutes the timer was set for, to tell it from others.
            seconds: the seconds the timer was set for, to tell it from others.
            name: the timer's name, e.g. "pasta".
        """
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

    @tool(
        "HassIncreaseTimer",
        examples=[
            "add {minutes} (minute|minutes) [to [(the|my)] {name} timer]",
            "add {seconds} (second|seconds) [to [(the|my)] {name} timer]",
            "add {hours} (hour|hours) [to [(the|my)] {name} timer]",
            "add {minutes} (minute|minutes) to [(the|my)] timer",
            "add (a|another) minute{minutes=1} [to [(the|my)] [{name}] timer]",
            "(increase|extend) [(the|my)] {name} timer by {minutes} (minute|minutes)",
            "give [(the|my)] {name} timer {minutes} more (minute|minutes)",
            *_templates(
                "(add|put|give [me]) [(another|an extra)] <more> (on|to|onto)"
                " (it|<the> [{name}] timer)",
                "(add|give me) (another|an extra) <size>",
                "[give me] <more!>",
                "give <the> [{name}] timer [(another|an extra)] <more>",
                "(extend|increase|lengthen) <the> [{name}] timer by <size>",
                "make <the> [{name}] timer <size> longer",
            ),
        ],
    )
    async def increase_timer(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Add time to a running or paused timer.

        Args:
            hours: hours to add.
            minutes: minutes to add.
            seconds: seconds to add.
            name: the timer's name, e.g. "pasta"; needed only when there are several.
        """
        return await self._change(name, hours * 3600 + minutes * 60 + seconds, +1)

    @tool(
        "HassDecreaseTimer",
        examples=[
            "(remove|subtract) {minutes} (minute|minutes) [from [(the|my)] {name} timer]",
            "(remove|subtract) {seconds} (second|seconds) [from [(the|my)] {name} timer]",
            "take {minutes} (minute|minutes) off [(the|my)] [{name}] timer",
            "take a minute{minutes=1} off [(the|my)] [{name}] timer",
            "(decrease|reduce|shorten) [(the|my)] {name} timer by {minutes} (minute|minutes)",
            *_templates(
                "(take|knock|shave|cut) [another] <size> off [(it|<the> [{name}] timer)]",
                "(remove|subtract|deduct) <size> (from|off) (it|<the> [{name}] timer)",
                "(decrease|reduce|shorten|cut) <the> [{name}] timer by <size>",
                "make <the> [{name}] timer <size> shorter",
                "(give me|make it) <size> less [on (it|<the> [{name}] timer)]",
                "<size> less on (it|<the> [{name}] timer)",
            ),
        ],
    )
    async def decrease_timer(
        self, hours: Hours = 0, minutes: Minutes = 0, seconds: Seconds = 0, name: Name = None
    ) -> ToolResult:
        """Take time off a running or paused timer.

        Args:
            hours: hours to take off.
            minutes: minutes to take off.
            seconds: seconds to take off.
            name: the timer's name, e.g. "pasta"; needed only when there are several.
        """
        return await self._change(name, hours * 3600 + minutes * 60 + seconds, -1)
