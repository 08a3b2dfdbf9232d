"""`assistant model tune`: specialise the model on this home's names and installed skills.

Reads the home from the broker, saves its names (never audio or transcripts) in the state
folder, and starts `python -m assistant.training.tune_main` at the lowest CPU priority in the
background (or in the foreground with `--wait`), logging progress to `tune.log` there.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from typing import Any

from assistant.config import Settings
from assistant.devices.home import DeviceHome
from assistant.modelstore.store import ModelStore
from assistant.modelstore.tuned import revert

TRAIN_EXTRA_HINT = "install the training extra first: pip install -e '.[train]'"


def _home_json(settings: Settings) -> dict[str, list[Any]]:
    async def read() -> dict[str, list[Any]]:
        async with DeviceHome(settings, role="cli", publish_status=False) as home:
            if not await home.ready():
                raise ConnectionError(
                    f"the MQTT broker {settings.mqtt.host}:{settings.mqtt.port} is not reachable"
                )
            await home.registry.settle()
            entities = list(home.registry.entities.values())
            return {
                "devices": [
                    {"name": e.name, "kind": e.kind, "area": e.area, "aliases": list(e.aliases)}
                    for e in entities
                ],
                "rooms": home.registry.areas(),
            }

    return asyncio.run(read())


def run_model_tune(settings: Settings, *, examples: int, wait: bool, back: bool) -> int:
    store = ModelStore(settings.models.dir)
    if back:
        restored = revert(store.directory)
        if restored is None:
            print("no previous tuned adapter to go back to", file=sys.stderr)
            return 1
        print(f"the tuned adapter in use is now {restored.name} (restart the assistant)")
        return 0
    missing = [
        m for m in ("torch", "transformers", "peft", "gguf") if not importlib.util.find_spec(m)
    ]
    if missing:
        print(
            f"assistant: model tune needs {', '.join(missing)}: {TRAIN_EXTRA_HINT}", file=sys.stderr
        )
        return 2
    if not settings.mqtt.host:
        print("assistant: model tune learns this home's names from the broker: set mqtt.host",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        home = _home_json(settings)
    except ConnectionError as error:
        print(f"assistant: {error}", file=sys.stderr)
        return 1
    work = settings.storage.state_dir / "training"
    work.mkdir(parents=True, exist_ok=True)
    home_file = work / "home.json"
    home_file.write_text(json.dumps(home, indent=1), encoding="utf-8")
    command = [sys.executable, "-m", "assistant.training.tune_main", "--home", str(home_file),
               "--work", str(work), "--examples", str(examples)]  # fmt: skip
    log_path = work / "tune.log"
    count = len(home["devices"])
    print(f"tuning on {count} devices (about 50 minutes on 2 cores) at the lowest CPU "
          f"priority; progress: {log_path}")  # fmt: skip
    with log_path.open("ab") as log_file:
        if wait:
            return subprocess.run(command, check=False).returncode
        child = subprocess.Popen(command, stdout=log_file, stderr=log_file,
                                 start_new_session=True)  # fmt: skip
    print(f"started in the background (pid {child.pid}); the new adapter is used from the "
          "next start once it has passed its checks")  # fmt: skip
    return 0
