"""The time and the date, in the machine's local time zone, said the way people say them.

Times are written in words ("It's seven oh five in the evening.") because the speech engine
reads "7:05" as "seven zero five"; the part of the day makes them unambiguous without AM/PM.
Names of days and months are English words, never the process locale's. The exact values go
in the result's data for scripts and displays.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from assistant.skills import Skill, ToolResult, tool

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")  # fmt: skip
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty"}


def local_now() -> datetime:
    """The current time, aware, in the machine's local time zone."""
    return datetime.now().astimezone()


def number_words(number: int) -> str:
    """0 to 59 in words: 7 -> "seven", 45 -> "forty-five"."""
    if not 0 <= number < 60:
        raise ValueError(f"{number} is not between 0 and 59")
    if number < 20:
        return _ONES[number]
    tens, ones = divmod(number, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def part_of_day(hour: int) -> str:
    if hour == 0 or hour >= 22:
        return "at night"
    if hour < 12:
        return "in the morning"
    if hour < 18:
        return "in the afternoon"
    return "in the evening"


def spoken_time(moment: datetime) -> str:
    """ "It's seven oh five in the evening.", "It's nine o'clock in the morning.", "It's noon." """
    hour, minute = moment.hour, moment.minute
    if minute == 0 and hour in (0, 12):
        return "It's midnight." if hour == 0 else "It's noon."
    clock_hour = number_words(hour % 12 or 12)
    if minute == 0:
        words = f"{clock_hour} o'clock"
    elif minute < 10:
        words = f"{clock_hour} oh {number_words(minute)}"
    else:
        words = f"{clock_hour} {number_words(minute)}"
    return f"It's {words} {part_of_day(hour)}."


def ordinal(day: int) -> str:
    """1 -> "1st", 22 -> "22nd", 13 -> "13th"."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def spoken_date(moment: datetime) -> str:
    """ "Today is Sunday, the 22nd of November." """
    weekday = _WEEKDAYS[moment.weekday()]
    return f"Today is {weekday}, the {ordinal(moment.day)} of {_MONTHS[moment.month - 1]}."


class Clock(Skill):
    """Tell the time and the date."""

    name = "clock"

    def __init__(self) -> None:
        self.now: Callable[[], datetime] = local_now
        """Where the time comes from; tests put a fixed clock here."""

    @tool(
        "HassGetCurrentTime",
        examples=[
            "what time is it",
            "what time is it now",
            "what('s| is) the time [now]",
            "(tell me|do you know|do you have) the time",
            "do you know what time it is",
            "what time do you have",
            "(have you got|have you|you got|got) the [current] time",
            "what (time|hour) is it (right [now]|at the moment|here)",
            "what is the [current] time (right [now]|at the moment|here)",
            "what is the current time",
            "(tell|give) me the [current] time",
            "(tell me|do you know|have you got|any idea) what time it is [(right [now]|here)]",
            "(can|could|may) i (have|get) the time",
            "[(the|current|the current)] time",
            "how late is it",
        ],
    )
    async def current_time(self) -> ToolResult:
        """Tell the current time of day."""
        moment = self.now()
        return ToolResult(
            spoken_time(moment),
            data={"time": moment.strftime("%H:%M"), "iso": moment.isoformat(timespec="seconds")},
        )

    @tool(
        "HassGetCurrentDate",
        examples=[
            "what('s| is) the date [today]",
            "what('s| is) today's date",
            "(what|which) day is it [today]",
            "what day of the week is it",
            "what('s| is) today",
            "what (date|day) is (it|today) [today]",
            "what is the (date|day) [today]",
            "what (day|date) of the (week|month) is it [today]",
            "(which|what) month is it",
            "(tell|give) me (the|today's) date",
            "(have you got|do you know|do you have|any idea of) (the|today's) date",
            "(tell me|do you know|any idea) (what day it is|what the date is|what date it is)"
            " [today]",
            "[(the|today's)] date [today]",
            "is (it|today) (monday|tuesday|wednesday|thursday|friday|saturday|sunday) [today]",
        ],
    )
    async def current_date(self) -> ToolResult:
        """Tell today's date and day of the week."""
        moment = self.now()
        return ToolResult(
            spoken_date(moment),
            data={
                "date": moment.date().isoformat(),
                "weekday": _WEEKDAYS[moment.weekday()],
                "iso": moment.isoformat(timespec="seconds"),
            },
        )
