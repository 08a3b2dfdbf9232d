"""The adapter `assistant model tune` made for this home, kept beside the shipped one.

    <model store>/tuned/current  → run-20261203-141500/   (a symbolic link, swapped atomically)
    <model store>/tuned/previous → the one before, kept for `assistant model tune --revert`

Each run folder holds `specialist-lora.gguf` and its record (`specialist-lora.gguf.json`, with
the adapter's sha256). The runtime uses a tuned adapter only if that sha256 verifies; anything
else falls back to the shipped specialist, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

ADAPTER_NAME = "specialist-lora.gguf"
SHIPPED_ADAPTER = "specialist"
"""The manifest id of the shipped adapter; `llm.adapter = "specialist"` prefers a tuned one."""
SPECIALIST_BASE = "gemma-3-270m"
"""The base model the specialist was trained on: on any other, it is not applied."""


def tuned_folder(store_dir: Path) -> Path:
    return store_dir / "tuned"


def verified_adapter(run: Path) -> Path | None:
    """The run's adapter if its sha256 matches its record, else None (logged)."""
    adapter, record = run / ADAPTER_NAME, run / (ADAPTER_NAME + ".json")
    try:
        expected = json.loads(record.read_text())["adapter_sha256"]
        digest = hashlib.sha256(adapter.read_bytes()).hexdigest()
    except (OSError, ValueError, KeyError) as error:
        log.warning("the tuned adapter in %s is unusable (%s); using the shipped one", run, error)
        return None
    if digest != expected:
        log.warning("the tuned adapter in %s fails its sha256; using the shipped one", run)
        return None
    return adapter


def current_tuned(store_dir: Path) -> Path | None:
    """The tuned adapter in use, verified; None when there is none (or it does not verify)."""
    current = tuned_folder(store_dir) / "current"
    if not current.exists():
        return None
    return verified_adapter(current.resolve())


def swap_in(store_dir: Path, run: Path) -> None:
    """Make `run` current in one atomic rename; the current one becomes `previous`."""
    folder = tuned_folder(store_dir)
    current, previous = folder / "current", folder / "previous"
    if current.exists():
        _point(previous, current.resolve())
    _point(current, run.resolve())


def revert(store_dir: Path) -> Path | None:
    """Swap `previous` back in; returns the run now current, or None without a previous one."""
    folder = tuned_folder(store_dir)
    previous = folder / "previous"
    if not previous.exists():
        return None
    target = previous.resolve()
    swap_in(store_dir, target)
    return target


def _point(link: Path, target: Path) -> None:
    temporary = link.with_name(f".{link.name}.{os.getpid()}")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    temporary.replace(link)  # rename(2) over the old link: never a moment without one
