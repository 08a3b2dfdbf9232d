"""The doctor's checks of this machine: configuration, models, state folder, service, engines.

The doctor changes nothing: it judges the state folder with access() instead of writing into
it, and only `--deep` loads the models.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.devices.devices_file import registry_with_file
from assistant.doctor.check import Check, current_user
from assistant.errors import AssistantError
from assistant.modelstore.store import ModelStore

UNIT = "assistant.service"
SATELLITE_UNIT = "assistant-satellite.service"
_SYSTEMCTL_TIMEOUT_SECONDS = 10.0


def check_config(config_file: Path | None) -> tuple[Settings | None, Check]:
    source = str(config_file) if config_file else "built-in defaults and ASSISTANT_* variables"
    try:
        settings = load_settings(config_file)
        # The devices file is configuration too: what would stop start-up is reported here.
        registry_with_file(settings.devices.file, None)
    except AssistantError as error:
        if config_file is not None and not config_file.is_file():
            fix = f"create {config_file} (from systemd/assistant.example.toml) or fix --config"
        else:
            fix = "correct the value named above, where it says it was set"
        return None, Check("config", "fail", error.message, fix)
    return settings, Check("config", "ok", f"valid ({source})")


def _model_references(settings: Settings, *, satellite: bool) -> list[tuple[str, str]]:
    """(setting, value) for every model the runtime will load with this configuration: a
    satellite's only the wake word's and the voice detector's."""
    references = [("wake.features", settings.wake.features)]
    references += [(f"wake.models[{i}]", model) for i, model in enumerate(settings.wake.models)]
    references.append(("vad.model", settings.vad.model))
    if satellite:
        return references
    references.append(("stt.model", settings.stt.model))
    if settings.understanding.model:
        references.append(("llm.model", settings.llm.model))
        if settings.llm.adapter:
            references.append(("llm.adapter", settings.llm.adapter))
    references.append(("tts.voice", settings.tts.voice))
    return references


def check_models(settings: Settings, *, rehash: bool, satellite: bool = False) -> Check:
    try:
        store = ModelStore(settings.models.dir)
        manifest = store.manifest
    except AssistantError as error:
        return Check(
            "models", "fail", error.message, "reinstall the code (the manifest is part of it)"
        )
    problems: list[str] = []
    to_fetch: list[str] = []
    bad_paths: list[str] = []
    references = _model_references(settings, satellite=satellite)
    for setting, reference in references:
        if reference in manifest.models:
            status = store.check(manifest.models[reference], rehash=rehash)
            if not status.verified:
                problems.append(f"{reference} ({setting}): {'; '.join(status.problems)}")
                to_fetch.append(reference)
        elif not Path(reference).expanduser().exists():
            problems.append(f"{setting} = {reference!r} is neither a manifest id nor a path")
            bad_paths.append(setting)
    if not problems:
        count = len(references)
        how = "re-hashed" if rehash else "verified"
        return Check("models", "ok", f"{count} models present and {how} in {store.directory}")
    fixes = []
    if to_fetch:
        ids = " ".join(dict.fromkeys(to_fetch))
        fixes.append(f"run `assistant models fetch {ids}` (into {store.directory}, as its owner)")
    if bad_paths:
        fixes.append(f"set {', '.join(bad_paths)} to a model id from `assistant models list`")
    return Check("models", "fail", "; ".join(problems), "; ".join(fixes))


def check_state_dir(path: Path) -> Check:
    user = current_user()
    if path.is_dir():
        if os.access(path, os.W_OK | os.X_OK):
            return Check("state-dir", "ok", f"{path} is writable by {user}")
        return Check(
            "state-dir",
            "fail",
            f"{path} is not writable by {user}",
            f"sudo chown -R {user}: {path}   (or set [storage] state_dir)",
        )
    if path.exists():
        return Check(
            "state-dir", "fail", f"{path} is not a folder", "set [storage] state_dir to a folder"
        )
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if os.access(parent, os.W_OK | os.X_OK):
        return Check("state-dir", "info", f"{path} does not exist yet; it is made on first start")
    return Check(
        "state-dir",
        "fail",
        f"{path} does not exist and {user} cannot create it in {parent}",
        f"sudo install -d -m 0700 -o {user} {path}   (or set [storage] state_dir)",
    )


def check_service(unit: str = UNIT) -> Check:
    """The unit's state. No systemd, or no unit installed, is information, not a problem."""
    name = unit.removesuffix(".service")
    install = "sudo systemd/install.sh" + (" --satellite" if unit == SATELLITE_UNIT else "")
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return Check("service", "info", "systemd is not available here; run `assistant run`")
    try:
        result = subprocess.run(
            [
                systemctl,
                "show",
                unit,
                "--property=LoadState,ActiveState,SubState,UnitFileState,NRestarts",
            ],
            capture_output=True,
            text=True,
            timeout=_SYSTEMCTL_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check("service", "info", f"systemctl did not answer: {error}")
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no answer"])[0]
        return Check("service", "info", f"systemd is not running here ({reason})")
    state = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if state.get("LoadState") != "loaded":
        return Check("service", "info", f"{unit} is not installed", f"to install it: {install}")
    active, sub = state.get("ActiveState", "?"), state.get("SubState", "?")
    enabled = state.get("UnitFileState", "?")
    summary = f"{unit} is {active} ({sub}), {enabled}, restarted {state.get('NRestarts', '0')}×"
    if active == "active":
        return Check("service", "ok", summary)
    if active in ("activating", "reloading", "deactivating"):
        return Check("service", "info", summary)
    if active == "failed":
        return Check(
            "service",
            "fail",
            summary,
            f"see `journalctl -u {name} -b`, fix it, then `sudo systemctl restart {name}`",
        )
    return Check("service", "warn", summary, f"sudo systemctl enable --now {name}")


def check_engines(settings: Settings, *, satellite: bool = False) -> list[Check]:
    """Load each model the way the runtime does (slow: this is what `--deep` asks for); a
    satellite's only the wake word and the voice detector."""
    from assistant.engines import EngineName, Engines

    names: list[EngineName] = ["wake", "vad"] if satellite else ["wake", "vad", "stt", "tts"]
    if settings.understanding.model and not satellite:
        names.insert(3, "llm")
    engines = Engines(settings)
    checks = []
    try:
        for name in names:
            started = time.perf_counter()
            try:
                engines.load(name)
            except AssistantError as error:
                fix = "run `assistant models fetch`" if error.code.startswith("model") else None
                checks.append(Check(f"load-{name}", "fail", error.message, fix))
                continue
            except Exception as error:  # a library failing in its own way: report, go on
                checks.append(
                    Check(
                        f"load-{name}",
                        "fail",
                        f"{type(error).__name__}: {error}",
                        "run `assistant doctor --deep -v` and report the log",
                    )
                )
                continue
            seconds = time.perf_counter() - started
            checks.append(Check(f"load-{name}", "ok", f"loaded in {seconds:.1f} s"))
            if name == "llm":
                checks.append(_llm_answers(engines))
    finally:
        engines.close()
    return checks


# A prompt as long as the specialist ever gets: retrieval caps it at 10 devices and 5 rooms,
# whatever the size of the home, so if this one fits and answers, every request will.
_LONGEST_PROMPT = (
    "Devices: "
    + "; ".join(
        f"Upstairs guest room ceiling light {i} (light, Upstairs guest room)" for i in range(10)
    )
    + "\nRooms: Upstairs guest room, Downstairs toilet, Consultation room, Utility room, Attic"
    + "\nHere: Upstairs guest room\nRequest: could you please turn on the ceiling light in the "
    "upstairs guest room and switch off the one in the downstairs toilet\nCall:"
)


def _llm_answers(engines: Any) -> Check:
    """The loaded model evaluates the longest prompt retrieval can produce."""
    llm = engines.llm
    started = time.perf_counter()
    try:
        tokens = llm.tokenize(_LONGEST_PROMPT, bos=True)
        llm.next_scores(tokens)
    except AssistantError as error:
        return Check("llm-prompt", "fail", error.message, "raise llm.context_tokens")
    elapsed_ms = (time.perf_counter() - started) * 1000
    summary = f"the longest prompt ({len(tokens)} tokens) evaluated in {elapsed_ms:.0f} ms"
    return Check("llm-prompt", "ok", summary)
