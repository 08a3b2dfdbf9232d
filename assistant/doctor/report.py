"""`assistant doctor`: is this machine ready to run the assistant, and if not, what to do.

Every check prints one line, and every problem one concrete fix, because the person reading
it is often at a Pi without a screen, over ssh, after the service failed to start. The doctor
changes nothing: it reads, connects and opens devices, and judges the state folder with
access() instead of writing into it. `--deep` also loads every model, which takes a minute
on a Pi, so it is not the default. `--satellite` checks a satellite board instead: its models,
sound card, hub and unit. Exit code 1 when any check failed; warnings and
information (no systemd, no broker configured) do not count.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from assistant.config import Settings
from assistant.doctor.audio import check_audio
from assistant.doctor.check import Check
from assistant.doctor.hub import check_hub_listener, check_hub_reachable, check_rooms
from assistant.doctor.machine import (
    SATELLITE_UNIT,
    UNIT,
    check_config,
    check_engines,
    check_models,
    check_service,
    check_state_dir,
)
from assistant.doctor.mqtt import check_mqtt
from assistant.doctor.skills import check_skills


def run_doctor(
    config_file: Path | None, *, deep: bool, as_json: bool, satellite: bool = False
) -> int:
    checks = run_checks(config_file, deep=deep, satellite=satellite)
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


def run_checks(config_file: Path | None, *, deep: bool, satellite: bool = False) -> list[Check]:
    settings, config = check_config(config_file)
    service = check_service(SATELLITE_UNIT if satellite else UNIT)
    if settings is None:
        needs = "not checked: needs a valid configuration"
        skipped = (
            ("models", "microphone", "speaker", "hub") if satellite else
            ("models", "skills", "mqtt", "microphone", "speaker", "rooms", "satellites",
             "state-dir")
        )  # fmt: skip
        return [config, *(Check(name, "skip", needs) for name in skipped), service]
    if satellite:  # no skills, devices, rooms or state here: the hub has them
        checks = [
            config,
            check_models(settings, rehash=deep, satellite=True),
            *check_audio(settings, service_active=service.status == "ok"),
            check_hub_reachable(settings),
            service,
        ]
    else:
        checks = _hub_checks(settings, config, service, deep=deep)
    if deep:
        checks += check_engines(settings, satellite=satellite)
    else:
        checks.append(Check("engines", "skip", "models not loaded (--deep loads each one)"))
    return checks


def _hub_checks(settings: Settings, config: Check, service: Check, *, deep: bool) -> list[Check]:
    return [
        config,
        check_models(settings, rehash=deep),
        check_skills(settings),
        check_mqtt(settings.mqtt),
        *check_audio(settings, service_active=service.status == "ok"),
        check_rooms(settings),
        check_hub_listener(settings),
        service,
        check_state_dir(settings.storage.state_dir),
    ]
