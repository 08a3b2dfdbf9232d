"""One finding of the doctor: what was checked, what was found, and the one fix."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "fail", "warn", "info", "skip"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    """One line: what was found."""
    fix: str | None = None
    """One concrete thing to do about it (a command, a setting), for fail and warn."""


def current_user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid without a passwd entry (containers)
        return str(os.geteuid())
