"""Log lines in the journal carry their priority; in a terminal they read as plain lines."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import pytest

from assistant.logs import configure_logging

from .conftest import assistant_command, clean_env


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


def _ask_logging_to(path: Path, *options: str) -> list[str]:
    """`assistant ask hi` with standard error in a file announced as the journal's stream."""
    with path.open("w") as stream:
        status = os.fstat(stream.fileno())
        journal = f"{status.st_dev}:{status.st_ino}"
        subprocess.run(
            [*assistant_command(), *options, "ask", "hi"], stdout=subprocess.DEVNULL,
            stderr=stream, env=clean_env(JOURNAL_STREAM=journal), timeout=120, check=False,
        )  # fmt: skip
    return path.read_text().splitlines()


def test_the_log_level_option_chooses_what_reaches_the_journal(tmp_path: Path) -> None:
    at_info = _ask_logging_to(tmp_path / "info", "--log-level", "info")
    assert any(line.startswith("<6>assistant.skill_host") for line in at_info), at_info
    by_default = _ask_logging_to(tmp_path / "default")  # a command run by hand: warnings only
    assert not any(line.startswith(("<6>", "<7>")) for line in by_default), by_default


def test_llama_cpp_lines_are_logged_at_debug_not_written_raw(tmp_path: Path) -> None:
    """llama.cpp's own notes (its caches, the tokenizer) went straight to standard error, so
    the journal got them on every start whatever the log level."""
    by_default = _ask_logging_to(tmp_path / "default")
    assert not any("llama" in line for line in by_default), by_default
    at_debug = _ask_logging_to(tmp_path / "debug", "-v")
    assert any(line.startswith("<7>assistant.llm.llama: llama_kv_cache") for line in at_debug)
    assert all(line.startswith("<") for line in at_debug), [
        line for line in at_debug if not line.startswith("<")
    ]
