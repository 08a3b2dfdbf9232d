"""Log lines in the journal carry their priority; in a terminal they read as plain lines."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from assistant.logs import configure_logging


def _log_to(path: Path, monkeypatch: pytest.MonkeyPatch, *, journal: bool) -> list[str]:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # restored after the test, pytest's own included
    monkeypatch.setattr(root, "level", root.level)
    with path.open("w") as stream:
        status = os.fstat(stream.fileno())
        if journal:
            monkeypatch.setenv("JOURNAL_STREAM", f"{status.st_dev}:{status.st_ino}")
        else:
            monkeypatch.setenv("JOURNAL_STREAM", "1:2")  # another stream is the journal's
        configure_logging(logging.INFO, stream)
        logger = logging.getLogger("assistant.test")
        logger.error("no microphone")
        logger.warning("still no microphone")
        logger.info("turn done")
        logger.debug("not shown at info")
    return path.read_text().splitlines()


def test_lines_to_the_journal_carry_their_syslog_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _log_to(tmp_path / "journal", monkeypatch, journal=True)
    assert lines == [
        "<3>assistant.test: no microphone",
        "<4>assistant.test: still no microphone",
        "<6>assistant.test: turn done",
    ]


def test_lines_to_a_terminal_are_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _log_to(tmp_path / "terminal", monkeypatch, journal=False)
    assert lines == [
        "ERROR assistant.test: no microphone",
        "WARNING assistant.test: still no microphone",
        "INFO assistant.test: turn done",
    ]
