"""Where log lines go, and how they look there.

Under systemd, standard error goes to the journal, which reads a `<N>` prefix as the line's
syslog priority: without it every line is *info*, errors included. The prefix is used only
when standard error really is the journal's stream (`JOURNAL_STREAM` names its device and
inode), so a person running a command in a terminal sees plain `LEVEL name: message` lines.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

# syslog priorities (sd-daemon(3)) by logging level, most severe first.
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
_DEBUG_PRIORITY = 7


def syslog_priority(level: int) -> int:
    return next((priority for floor, priority in _PRIORITIES if level >= floor), _DEBUG_PRIORITY)


class JournalFormatter(logging.Formatter):
    """`<priority>name: message`, one journal entry per line."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def to_the_journal(stream: TextIO) -> bool:
    """Whether this stream is the one systemd connected to the journal."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = expected.partition(":")
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError):  # no real file behind it (a test's capture, a closed stream)
        return False
    return (
        device.isdigit()
        and inode.isdigit()
        and (status.st_dev, status.st_ino) == (int(device), int(inode))
    )


def configure_logging(level: int, stream: TextIO | None = None) -> None:
    """The root logger at `level`, to standard error, in the journal's form when it is there."""
    target = stream or sys.stderr
    handler = logging.StreamHandler(target)
    if to_the_journal(target):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
