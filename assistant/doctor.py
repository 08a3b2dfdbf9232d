"""`assistant doctor`: is this machine ready to run the assistant, and if not, what to do.

Every check prints one line, and every problem one concrete fix, because the person reading
it is often at a Pi without a screen, over ssh, after the service failed to start. The doctor
changes nothing: it reads, connects and opens devices, and judges the state folder with
access() instead of writing into it. `--deep` also loads every model, which takes a minute
on a Pi, so it is not the default. Exit code 1 when any check failed; warnings and
information (no systemd, no broker configured) do not count.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from assistant.config import Settings, load_settings
from assistant.errors import AssistantError
from assistant.modelstore.store import ModelStore

Status = Literal["ok", "fail", "warn", "info", "skip"]

UNIT = "assistant.service"
_SYSTEMCTL_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    """One line: what was found."""
    fix: str | None = None
    """One concrete thing to do about it (a command, a setting), for fail and warn."""


def run_doctor(config_file: Path | None, *, deep: bool, as_json: bool) -> int:
    checks = run_checks(config_file, deep=deep)
    if as_json:
        print(json.dumps([asdict(check) for check in checks], indent=1))
    else:
        for check in checks:
            label = check.status.upper() if check.status in ("fail", "warn") else check.status
            print(f"{label:5} {check.name:11} {check.detail}")
            if check.fix:
                print(f"{'':17} fix: {check.fix}")
        failed = sum(1 for check in checks if check.status == "fail")
        print(f"{failed} problem(s) to fix" if failed else "ready")
    return 1 if any(check.status == "fail" for check in checks) else 0


def run_checks(config_file: Path | None, *, deep: bool) -> list[Check]:
    from assistant.doctor_devices import check_audio, check_mqtt

    settings, config = check_config(config_file)
    service = check_service()
    if settings is None:
        needs = "not checked: needs a valid configuration"
        skipped = ("models", "mqtt", "microphone", "speaker", "state-dir")
        return [config, *(Check(name, "skip", needs) for name in skipped), service]
    checks = [
        config,
        check_models(settings, rehash=deep),
        check_mqtt(settings.mqtt),
        *check_audio(settings, service_active=service.status == "ok"),
        service,
        check_state_dir(settings.storage.state_dir),
    ]
    if deep:
        checks += check_engines(settings)
    else:
        checks.append(Check("engines", "skip", "models not loaded (--deep loads each one)"))
    return checks


def current_user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid without a passwd entry (containers)
        return str(os.geteuid())


def check_config(config_file: Path | None) -> tuple[Settings | None, Check]:
    source = str(config_file) if config_file else "built-in defaults and ASSISTANT_* variables"
    try:
        settings = load_settings(config_file)
    except AssistantError as error:
        if config_file is not None and not config_file.is_file():
            fix = f"create {config_file} (from systemd/assistant.example.toml) or fix --config"
        else:
            fix = "correct the value named above, where it says it was set"
        return None, Check("config", "fail", error.message, fix)
    return settings, Check("config", "ok", f"valid ({source})")


def _model_references(settings: Settings) -> list[tuple[str, str]]:
    """(setting, value) for every model the runtime will load with this configuration."""
    references = [("wake.features", settings.wake.features)]
    references += [(f"wake.models[{i}]", model) for i, model in enumerate(settings.wake.models)]
    references += [("vad.model", settings.vad.model), ("stt.model", settings.stt.model)]
    if settings.understanding.model:
        references.append(("llm.model", settings.llm.model))
    references.append(("tts.voice", settings.tts.voice))
    return references


def check_models(settings: Settings, *, rehash: bool) -> Check:
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
    for setting, reference in _model_references(settings):
        if reference in manifest.models:
            status = store.check(manifest.models[reference], rehash=rehash)
            if not status.verified:
                problems.append(f"{reference} ({setting}): {'; '.join(status.problems)}")
                to_fetch.append(reference)
        elif not Path(reference).expanduser().exists():
            problems.append(f"{setting} = {reference!r} is neither a manifest id nor a path")
            bad_paths.append(setting)
    if not problems:
        count = len(_model_references(settings))
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


def check_service() -> Check:
    """The unit's state. No systemd, or no unit installed, is information, not a problem."""
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return Check("service", "info", "systemd is not available here; run `assistant run`")
    try:
        result = subprocess.run(
            [
                systemctl,
                "show",
                UNIT,
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
        return Check(
            "service", "info", f"{UNIT} is not installed", "to install it: sudo systemd/install.sh"
        )
    active, sub = state.get("ActiveState", "?"), state.get("SubState", "?")
    enabled = state.get("UnitFileState", "?")
    summary = f"{UNIT} is {active} ({sub}), {enabled}, restarted {state.get('NRestarts', '0')}×"
    if active == "active":
        return Check("service", "ok", summary)
    if active in ("activating", "reloading", "deactivating"):
        return Check("service", "info", summary)
    if active == "failed":
        return Check(
            "service",
            "fail",
            summary,
            "see `journalctl -u assistant -b`, fix it, then `sudo systemctl restart assistant`",
        )
    return Check("service", "warn", summary, "sudo systemctl enable --now assistant")


def check_engines(settings: Settings) -> list[Check]:
    """Load each model the way the runtime does (slow: this is what `--deep` asks for)."""
    from assistant.pipeline.engines import EngineName, Engines

    names: list[EngineName] = ["wake", "vad", "stt", "tts"]
    if settings.understanding.model:
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
    finally:
        engines.close()
    return checks
