"""Folders and files only their owner may read: the state folder holds the audit log (what was
done in the home, and when) and skills' state, which are nobody else's business on a shared
machine. systemd's unit sets `UMask=0077` as well; outside systemd the umask is usually 022,
so the modes are set here rather than left to it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TextIO

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Make the folder (and missing parents) owner-only; tighten one of ours made before."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours (a shared parent given in the config)
        if path.stat().st_uid == os.getuid():
            path.chmod(FOLDER_MODE)
    return path


def append_private(path: Path) -> TextIO:
    """Open a file for appending text, created owner-only (and tightened if it was not)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    with contextlib.suppress(OSError):
        os.fchmod(descriptor, FILE_MODE)
    return os.fdopen(descriptor, "a", encoding="utf-8")
