"""Checks on command-line values made before anything is loaded: a bad value is one line and
exit code 2, never a traceback after the models loaded or a light already switched."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import NoReturn

from assistant.errors import AssistantError


class Parser(argparse.ArgumentParser):
    """No abbreviated options (`--al` must not mean `--all`), and an error is one line."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def positive_float(text: str) -> float:
    value = _number(text)
    if not 0 < value < float("inf"):  # a comparison that also refuses nan
        raise argparse.ArgumentTypeError(f"{text} must be a number of seconds above 0")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a number of seconds, 0 or more")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def check_out_dir(folder: Path, option: str = "--out") -> Path:
    """Create `folder` if needed and prove a file can be written there, or raise one line."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder, prefix=".assistant-check-").close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise AssistantError(
            f"{option} {folder}: cannot write there ({reason}); choose a folder you can write to",
            code="config-invalid",
        ) from None
    return folder


def check_in_dir(folder: Path, option: str) -> Path:
    """An existing folder to read from, or one line saying what is wrong with it."""
    if not folder.exists():
        raise AssistantError(f"{option} {folder}: no such folder", code="config-invalid")
    if not folder.is_dir():
        raise AssistantError(f"{option} {folder}: not a folder", code="config-invalid")
    return folder
