"""The timers' tool parameters: what a rule or the language model may fill in, with bounds."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_SECONDS = 24 * 3600

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
