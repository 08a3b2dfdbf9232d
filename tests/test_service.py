"""Running as a systemd service: sd_notify, the unit, the install scripts and `assistant doctor`.

sd_notify is tested against a real AF_UNIX datagram socket, the units (the hub's and the
satellite's) with the real systemd-analyze, the scripts by their dry runs with every command that
could change the system replaced by a recorder, and the doctor as a subprocess against a real
Mosquitto. This machine runs no systemd, so the doctor's reading of a unit's state is tested with
a stand-in systemctl.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.devices.broker import PrivateBroker, free_loopback_port
from assistant.doctor import audio as doctor_audio
from assistant.live.backend import DeviceInfo
from assistant.live.virtual_card import VirtualSoundCard
from assistant.modelstore.manifest import load_manifest
from assistant.service import notify

from .conftest import Speech, assistant_command, clean_env

ROOT = Path(__file__).resolve().parents[1]
SYSTEMD = ROOT / "systemd"
UNIT = SYSTEMD / "assistant.service"
SATELLITE_UNIT = SYSTEMD / "assistant-satellite.service"
UNITS = [UNIT, SATELLITE_UNIT]


def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, **options
    )


# --- sd_notify --------------------------------------------------------------------------------


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """What systemd listens on: an AF_UNIX datagram socket, named by $NOTIFY_SOCKET."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        yield server


def received(server: socket.socket) -> list[str]:
    return server.recv(4096).decode().split("\n")


def test_ready_status_watchdog_and_stopping_reach_the_socket(notify_socket: socket.socket) -> None:
    assert notify.ready("listening on USB microphone")
    assert received(notify_socket) == ["READY=1", "STATUS=listening on USB microphone"]
    assert notify.status("thinking")
    assert received(notify_socket) == ["STATUS=thinking"]
    assert notify.watchdog_ping()
    assert received(notify_socket) == ["WATCHDOG=1"]
    assert notify.stopping()
    assert received(notify_socket) == ["STOPPING=1", "STATUS=Stopping"]


def test_a_status_cannot_smuggle_in_another_field(notify_socket: socket.socket) -> None:
    assert notify.status("heard: hello\nWATCHDOG=1")
    assert received(notify_socket) == ["STATUS=heard: hello WATCHDOG=1"]
    with pytest.raises(ValueError, match="single KEY=VALUE"):
        notify.notify("STATUS=a\nREADY=1")


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"assistant-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        server.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify.ready("ok")
        assert received(server) == ["READY=1", "STATUS=ok"]


def test_a_child_process_notifies_like_the_service_would(notify_socket: socket.socket) -> None:
    code = "import sys; from assistant.service import notify; sys.exit(not notify.ready('up'))"
    assert run([sys.executable, "-c", code], env=dict(os.environ)).returncode == 0
    assert received(notify_socket) == ["READY=1", "STATUS=up"]


def test_outside_systemd_every_call_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not notify.ready("x")
    assert not notify.status("x")
    assert not notify.watchdog_ping()
    assert not notify.stopping()


def test_a_socket_nobody_listens_on_returns_false(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    assert not notify.watchdog_ping()


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("30000000", None, 30.0),
        ("30000000", "self", 30.0),
        ("30000000", "other", None),  # inherited from a parent: not ours to ping
        ("0", None, None),
        ("soon", None, None),
        (None, None, None),
    ],
)
def test_watchdog_interval(
    monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None, expected: float | None
) -> None:
    for name, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", pid)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            given = {"self": str(os.getpid()), "other": str(os.getpid() + 1)}.get(value, value)
            monkeypatch.setenv(name, given)
    assert notify.watchdog_interval_seconds() == expected


# --- the unit ---------------------------------------------------------------------------------


def unit_settings(unit: Path = UNIT) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def lib_settings() -> dict[str, str]:
    """lib.sh's plain `name=value` lines, with `$name` in them expanded as the shell would."""
    settings: dict[str, str] = {}
    for name, value in re.findall(r"(?m)^(\w+)=(\S+)$", (SYSTEMD / "lib.sh").read_text()):
        settings[name] = re.sub(r"\$(\w+)", lambda m: settings[m[1]], value)
    return settings


def satellite_models() -> list[str]:
    """The model ids install.sh --satellite fetches (lib.sh's `satellite_models`)."""
    listed = re.search(r"(?m)^satellite_models=\((.*)\)$", (SYSTEMD / "lib.sh").read_text())
    assert listed is not None
    return listed[1].split()


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_unit_verifies(tmp_path: Path, unit: Path) -> None:
    # verify insists that ExecStart's binary exists, and /opt/assistant is not installed here:
    # the unmodified unit fails on exactly that and nothing else, a copy running /bin/true passes.
    as_is = run(["systemd-analyze", "verify", str(unit)])
    complaints = [line for line in as_is.stderr.splitlines() if line.strip()]
    if Path("/opt/assistant/.venv/bin/assistant").exists():
        assert as_is.returncode == 0, as_is.stderr
    else:
        assert len(complaints) == 1, as_is.stderr
        assert "/opt/assistant/.venv/bin/assistant is not executable" in complaints[0]
    copy = tmp_path / unit.name
    copy.write_text(re.sub(r"(?m)^ExecStart=.*$", "ExecStart=/bin/true", unit.read_text()))
    result = run(["systemd-analyze", "verify", str(copy)])
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


# Where systemd/README.md documents each unit's hardening: from this heading to the next.
HARDENING_HEADINGS = {
    UNIT.name: "## Hardening\n",
    SATELLITE_UNIT.name: "## Hardening the satellite\n",
}


def hardening_section(unit: Path) -> str:
    readme = (SYSTEMD / "README.md").read_text()
    start = readme.index(HARDENING_HEADINGS[unit.name])
    end = readme.find("\n## ", start + 1)
    return readme[start:] if end == -1 else readme[start:end]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_exposure_score_is_at_most_the_documented_one(unit: Path) -> None:
    section = hardening_section(unit)
    documented = re.search(r"Overall exposure level: \*\*([\d.]+)\*\*", section)
    assert documented is not None
    assert f"systemd/{unit.name}`" in section  # the score is said to be this unit's
    result = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit)])
    output = result.stdout + result.stderr
    score = re.search(rf"Overall exposure level for {re.escape(unit.name)}: ([\d.]+)", output)
    assert score is not None, output
    assert float(score[1]) <= float(documented[1])
    # Every exposure that remains is explained in the section's table.
    remaining = re.findall(r"^✗ (\S+)", output, re.MULTILINE)
    assert remaining, output
    for setting in remaining:
        as_in_table = setting.replace("|", "\\|").split("/")[0]  # a table escapes its pipes
        assert f"| `{as_in_table}`" in section, setting


def test_the_satellite_scores_no_worse_than_the_hub() -> None:
    def score(unit: Path) -> float:
        result = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit)])
        found = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
        assert found is not None, result.stdout + result.stderr
        return float(found[1])

    assert score(SATELLITE_UNIT) <= min(score(UNIT), 1.4)


def test_unit_is_hardened_as_intended() -> None:
    unit = unit_settings()
    assert unit["Type"] == ["notify"]
    assert unit["NotifyAccess"] == ["main"]
    assert unit["WatchdogSec"] == ["30"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] == ["assistant"] and unit["SupplementaryGroups"] == ["audio"]
    assert unit["CapabilityBoundingSet"] == [""]
    assert unit["DeviceAllow"] == ["char-alsa rw"] and unit["DevicePolicy"] == ["closed"]
    assert unit["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert "HF_HUB_OFFLINE=1" in unit["Environment"]


# What the satellite's unit may set otherwise than the hub's: what runs, how long it may take to
# start, its memory, and its state folder (it has none: nothing is writable to it).
SATELLITE_DIFFERS = {
    "Description", "ExecStart", "TimeoutStartSec", "MemoryHigh", "MemoryMax", "StateDirectory",
    "StateDirectoryMode",
}  # fmt: skip


def test_the_satellite_unit_is_hardened_at_least_as_the_hubs() -> None:
    hub, satellite = unit_settings(UNIT), unit_settings(SATELLITE_UNIT)
    for key, value in hub.items():
        if key not in SATELLITE_DIFFERS:
            assert satellite.get(key) == value, key
    # Nothing more than the hub's, but what it adds: no listening, and not beside the hub.
    assert set(satellite) - set(hub) == {"SocketBindDeny", "Conflicts"}
    assert satellite["SocketBindDeny"] == ["any"]
    assert satellite["Conflicts"] == [UNIT.name]
    # No writable path at all: no state folder, nothing made writable under ProtectSystem=strict.
    assert satellite["ProtectSystem"] == ["strict"]
    for writable in ("StateDirectory", "ReadWritePaths", "CacheDirectory", "LogsDirectory"):
        assert writable not in satellite, writable
    # Smaller models, a smaller ceiling, for a board with 512 MB.
    megabytes = {
        key: int(satellite[key][0].removesuffix("M")) for key in ("MemoryHigh", "MemoryMax")
    }
    assert megabytes["MemoryHigh"] < megabytes["MemoryMax"] <= 400
    assert megabytes["MemoryMax"] < int(hub["MemoryMax"][0].removesuffix("M"))


@pytest.mark.parametrize(
    ("unit", "command"), [(UNIT, "run"), (SATELLITE_UNIT, "satellite")], ids=["hub", "satellite"]
)
def test_paths_agree_across_unit_scripts_and_example_config(unit: Path, command: str) -> None:
    settings = unit_settings(unit)
    lib = lib_settings()
    opt_dir, config_dir, state_dir = lib["opt_dir"], lib["config_dir"], lib["state_dir"]
    exec_start = settings["ExecStart"][0].split()
    assert exec_start[:2] == [f"{opt_dir}/.venv/bin/assistant", command]
    assert exec_start[2:] == ["--config", f"{config_dir}/assistant.toml"]
    assert f"/etc/{settings['ConfigurationDirectory'][0]}" == config_dir
    assert settings["WorkingDirectory"] == [state_dir]
    if unit == UNIT:
        assert f"/var/lib/{settings['StateDirectory'][0]}" == state_dir
    environment = dict(entry.split("=", 1) for entry in settings["Environment"])
    example = tomllib.loads((SYSTEMD / "assistant.example.toml").read_text())
    assert environment["ASSISTANT_MODELS__DIR"] == example["models"]["dir"] == lib["model_dir"]
    assert environment["ASSISTANT_STORAGE__STATE_DIR"] == example["storage"]["state_dir"]
    assert example["storage"]["state_dir"] == state_dir
    # The scripts install and remove the unit under its own name.
    prefix = "" if unit == UNIT else "satellite_"
    assert lib[f"{prefix}service"] == unit.name.removesuffix(".service")
    assert lib[f"{prefix}unit_path"] == f"/etc/systemd/system/{unit.name}"
    assert lib[f"{prefix}dropin_dir"] == f"/etc/systemd/system/{unit.name}.d"


def test_the_satellite_fetches_what_it_loads_and_nothing_of_the_hubs() -> None:
    manifest = load_manifest()
    fetched = satellite_models()
    # The default set's wake word and voice detector models, in the manifest's order.
    wanted_roles = {"wake_features", "wake_word", "vad"}
    assert fetched == [spec.id for spec in manifest.defaults() if spec.role in wanted_roles]
    # Among them, whatever the default configuration has the satellite load.
    settings = load_settings()
    assert {settings.wake.features, *settings.wake.models, settings.vad.model} <= set(fetched)
    assert settings.stt.model not in fetched and settings.tts.voice not in fetched
    assert settings.llm.model not in fetched


HUB_LIBRARIES = ("faster_whisper", "ctranslate2", "llama_cpp", "piper")
"""The `hub` extra's modules: `bootstrap.sh satellite` installs none of them."""


def without_hub_libraries(folder: Path) -> str:
    """A PYTHONPATH on which the hub's libraries are missing, as on a satellite's install:
    each is shadowed by a module that cannot be imported."""
    folder.mkdir()
    for module in HUB_LIBRARIES:
        message = f"No module named {module!r}"
        (folder / f"{module}.py").write_text(
            f"raise ModuleNotFoundError({message!r}, name={module!r})\n"
        )
    return os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))


def test_the_satellite_reports_ready_and_feeds_the_watchdog_with_only_its_models(
    notify_socket: socket.socket, tmp_path: Path
) -> None:
    # A store holding only what install.sh --satellite fetches, a hub that is away, and only
    # the libraries bootstrap.sh satellite installs.
    source, store, state = load_settings().models.dir, tmp_path / "models", tmp_path / "state"
    for model in satellite_models():
        shutil.copytree(source / model, store / model)
    stored = sorted(store.rglob("*"))
    env = clean_env(
        NOTIFY_SOCKET=os.environ["NOTIFY_SOCKET"], WATCHDOG_USEC="2000000",
        ASSISTANT_MODELS__DIR=str(store), ASSISTANT_STORAGE__STATE_DIR=str(state),
        PYTHONPATH=without_hub_libraries(tmp_path / "satellite-install"),
    )  # fmt: skip
    hub = f"tcp://127.0.0.1:{free_loopback_port()}"
    command = [*assistant_command(), "satellite", "--hub", hub, "--name", "probe"]
    notify_socket.settimeout(60)  # loading the models on a busy machine
    heard: list[str] = []

    def wait_for(field: str) -> None:
        while not any(field in message for message in heard):
            heard.append(notify_socket.recv(4096).decode())

    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, cwd=tmp_path) as satellite:  # fmt: skip
        try:
            wait_for("READY=1")
            # Pinged while it waits for a sound card (none here) or listens (on a machine with one).
            wait_for("WATCHDOG=1")
        finally:
            satellite.send_signal(signal.SIGTERM)
            _, errors = satellite.communicate(timeout=60)
    wait_for("STOPPING=1")
    assert satellite.returncode == 0, errors
    assert heard[0] == "STATUS=loading models"
    ready = heard.index("READY=1\nSTATUS=models loaded; opening audio")
    assert heard.index("WATCHDOG=1") > ready  # systemd counts the watchdog only after READY=1
    # It keeps no state and changed nothing in the store: a read-only file system serves it.
    assert not state.exists()
    assert sorted(store.rglob("*")) == stored


def test_a_hub_command_on_a_satellites_install_says_what_to_install(
    tmp_path: Path, speech: Speech
) -> None:
    wav = tmp_path / "command.wav"
    speech.wav("Hey Jarvis, turn on the kitchen light.", wav)
    env = clean_env(PYTHONPATH=without_hub_libraries(tmp_path / "satellite-install"))
    result = run([*assistant_command(), "once", str(wav)], env=env)
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "faster-whisper is not installed here" in said, said
    assert "bootstrap.sh runtime" in said and "Traceback" not in said, said


# --- install.sh and uninstall.sh --------------------------------------------------------------

# Everything the scripts could change the system with; in a dry run none may be called.
MUTATING = [
    "useradd", "usermod", "userdel", "groupadd", "groupdel", "install", "cp", "mv", "rm",
    "mkdir", "chmod", "chown", "tar", "runuser", "systemctl", "find", "ln", "apt-get", "git",
]  # fmt: skip


def stand_in(directory: Path, name: str, body: str) -> None:
    """An executable `name` in `directory` that runs the shell `body` instead of the command."""
    command = directory / name
    command.write_text(f"#!/bin/sh\n{body}\n")
    command.chmod(0o755)


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose PATH finds stand-ins that only log their arguments."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for name in MUTATING:
        stand_in(bin_dir, name, f'echo "{name} $*" >> "{log}"\nexit 1')
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    return env, log


def watched_paths() -> dict[str, bool]:
    paths = ["/opt/assistant", "/etc/assistant", "/var/lib/assistant",
             "/etc/systemd/system/assistant.service",
             "/etc/systemd/system/assistant-satellite.service"]  # fmt: skip
    return {path: os.path.lexists(path) for path in paths}


def script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run([str(SYSTEMD / name), *args], env=env)


def test_install_dry_run_prints_every_step_and_touches_nothing(
    recorder: tuple[dict[str, str], Path],
) -> None:
    env, log = recorder
    before = watched_paths()
    result = script("install.sh", "--dry-run", "--wheels", "/srv/wheels", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "would run: /opt/assistant/bootstrap.sh runtime",
        "would run: install -d -m 0700 -o assistant -g assistant /var/lib/assistant "
        "/var/lib/assistant/models",
        "would run: runuser -u assistant -- env HOME=/var/lib/assistant",
        "ASSISTANT_MODELS__DIR=/var/lib/assistant/models",
        "/opt/assistant/.venv/bin/assistant --config /etc/assistant/assistant.toml models fetch "
        "--wheels /srv/wheels",
        "would run: install -m 0644 /opt/assistant/systemd/assistant.service "
        "/etc/systemd/system/assistant.service",
        "would run: systemctl daemon-reload",
        "would run: systemctl enable --now assistant",
    ]
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions), out
    if os.path.lexists("/etc/assistant/assistant.toml"):
        assert "exists: kept as it is" in out
    else:
        assert "assistant.example.toml /etc/assistant/assistant.toml" in out
    if run(["id", "-u", "assistant"]).returncode == 0:
        assert "useradd" not in out
    else:
        useradd = r"would run: useradd --system .*--groups audio --home-dir /var/lib/assistant "
        assert re.search(useradd + r".*--shell /usr/sbin/nologin .* assistant\n", out)
    assert f"would copy {ROOT} to /opt/assistant" in out
    assert not log.exists(), log.read_text()
    assert watched_paths() == before


def test_uninstall_dry_run_keeps_state_unless_purged(
    recorder: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, log = recorder
    before = watched_paths()
    kept = script("uninstall.sh", "--dry-run", env=env)
    assert kept.returncode == 0, kept.stderr
    assert "keeping /etc/assistant, /var/lib/assistant and the assistant user" in kept.stdout
    assert "userdel" not in kept.stdout
    # A user that exists (as id and getent say) is removed only with --purge.
    for name in ("id", "getent"):
        stand_in(Path(env["PATH"].split(":")[0]), name, "echo 999")
    purged = script("uninstall.sh", "--dry-run", "--purge", env=env)
    assert purged.returncode == 0, purged.stderr
    assert "would run: userdel assistant" in purged.stdout
    assert "would run: groupdel assistant" in purged.stdout
    for path in ("/etc/assistant", "/var/lib/assistant", "/opt/assistant",
                 "/etc/systemd/system/assistant.service.d",
                 "/etc/systemd/system/assistant-satellite.service.d"):  # fmt: skip
        assert (f"rm -rf -- {path}" in purged.stdout) == os.path.lexists(path), path
    # Whichever unit is installed is removed: both are looked for.
    for unit in ("assistant.service", "assistant-satellite.service"):
        path = f"/etc/systemd/system/{unit}"
        said = f"rm -f -- {path}" if os.path.lexists(path) else f"{path}: already absent"
        assert said in kept.stdout and said in purged.stdout, unit
    assert not log.exists(), log.read_text()
    assert watched_paths() == before


def test_install_dry_run_for_a_satellite(recorder: tuple[dict[str, str], Path]) -> None:
    env, log = recorder
    before = watched_paths()
    result = script("install.sh", "--dry-run", "--satellite", "--wheels", "/srv/wheels", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "would run: /opt/assistant/bootstrap.sh satellite",  # without the hub's libraries
        "would run: install -d -m 0700 -o assistant -g assistant /var/lib/assistant "
        "/var/lib/assistant/models",
        "would run: runuser -u assistant -- env HOME=/var/lib/assistant",
        "/opt/assistant/.venv/bin/assistant --config /etc/assistant/assistant.toml models fetch "
        f"{' '.join(satellite_models())} --wheels /srv/wheels",
        "would run: install -m 0644 /opt/assistant/systemd/assistant-satellite.service "
        "/etc/systemd/system/assistant-satellite.service",
        "would run: systemctl daemon-reload",
        "would run: systemctl enable --now assistant-satellite\n",
        "done; check it with: systemctl status assistant-satellite",
    ]
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions), out
    # Not the hub's unit, and not the hub's models.
    assert "systemd/assistant.service" not in out
    assert "enable --now assistant\n" not in out
    assert "whisper" not in out and "piper" not in out and "gemma" not in out
    if not os.path.lexists("/etc/assistant/assistant.toml"):
        assert "set [satellite] hub_uri (and name) in /etc/assistant/assistant.toml" in out
    assert not log.exists(), log.read_text()
    assert watched_paths() == before


def dry_run_beside(unit: str, name: str, *args: str, env: dict[str, str]) -> str:
    """The script's dry run on this machine as if `unit` were installed: in a mount namespace of
    its own, /etc/systemd/system is an empty tmpfs holding only that unit file."""
    mount, unshare = shutil.which("mount"), shutil.which("unshare")
    assert mount is not None and unshare is not None
    units = "/etc/systemd/system"
    inside = f'{mount} -t tmpfs tmpfs {units} && : > {units}/{unit} && exec "$@"'
    command = [unshare, "--mount", "--propagation", "private", "sh", "-c", inside, "sh"]
    result = run([*command, str(SYSTEMD / name), "--dry-run", *args], env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_board_changes_role_and_uninstall_removes_whichever_unit_it_has(
    recorder: tuple[dict[str, str], Path],
) -> None:
    env, log = recorder
    before = watched_paths()
    hub = "/etc/systemd/system/assistant.service"
    satellite = "/etc/systemd/system/assistant-satellite.service"
    # A hub becoming a satellite loses the hub's unit, and the other way round.
    out = dry_run_beside("assistant.service", "install.sh", "--satellite", env=env)
    assert f"replacing {hub}: a board is the hub or a satellite, not both" in out
    assert out.index(f"would run: rm -f -- {hub}") < out.index("enable --now assistant-satellite")
    out = dry_run_beside("assistant-satellite.service", "install.sh", env=env)
    assert f"would run: rm -f -- {satellite}" in out
    assert out.index(f"rm -f -- {satellite}") < out.index("enable --now assistant\n")
    # Uninstalling removes the unit that is there and says the other is absent.
    for present, absent in ((satellite, hub), (hub, satellite)):
        out = dry_run_beside(Path(present).name, "uninstall.sh", env=env)
        assert f"would run: rm -f -- {present}" in out
        assert f"{absent}: already absent" in out and f"rm -f -- {absent}" not in out
    assert not log.exists(), log.read_text()
    assert watched_paths() == before


@pytest.mark.parametrize("name", ["install.sh", "uninstall.sh"])
def test_scripts_explain_themselves_and_refuse_unknown_options(name: str) -> None:
    helped = script(name, "--help", env=dict(os.environ))
    assert helped.returncode == 0 and "--dry-run" in helped.stdout
    wrong = script(name, "--frobnicate", env=dict(os.environ))
    assert wrong.returncode == 64 and "unknown option --frobnicate" in wrong.stderr


def test_bootstrap_knows_the_runtime_mode() -> None:
    result = run([str(ROOT / "bootstrap.sh"), "nonsense"])
    assert result.returncode == 64
    assert "run|test|runtime" in result.stderr


# --- assistant doctor --------------------------------------------------------------------------


def doctor(*args: str, **env: str) -> tuple[int, dict[str, dict[str, Any]]]:
    result = run([*assistant_command(), "doctor", "--json", *args], env=clean_env(**env), cwd=ROOT)
    checks = json.loads(result.stdout)
    return result.returncode, {check["name"]: check for check in checks}


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


def test_doctor_in_a_clean_environment(broker: PrivateBroker) -> None:
    code, checks = doctor(ASSISTANT_MQTT__HOST=broker.host, ASSISTANT_MQTT__PORT=str(broker.port))
    assert checks["config"]["status"] == "ok"
    assert checks["mqtt"]["status"] == "ok"
    assert f"{broker.host}:{broker.port} accepted a session" in checks["mqtt"]["detail"]
    assert checks["service"]["status"] in ("info", "ok", "warn")
    assert checks["engines"]["status"] == "skip"
    # This machine's own sound cards (or their absence): either fine, or a failure with a fix.
    for name in ("microphone", "speaker"):
        assert checks[name]["status"] in ("ok", "fail")
        assert checks[name]["status"] == "ok" or checks[name]["fix"]
    failed = any(check["status"] == "fail" for check in checks.values())
    assert code == (1 if failed else 0)


class NoSoundCards(VirtualSoundCard):
    def devices(self) -> list[DeviceInfo]:
        return []


def test_the_doctor_explains_a_missing_sound_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(hardware={"profile": "none"})
    monkeypatch.setattr(doctor_audio, "_SND", tmp_path / "snd")  # no kernel sound card
    monkeypatch.setattr(doctor_audio, "_in_group", lambda group: True)  # whoever runs this
    checks = {c.name: c for c in doctor_audio.check_audio(
        settings, service_active=False, backend=NoSoundCards())}  # fmt: skip
    for name, lister in (("microphone", "arecord -l"), ("speaker", "aplay -l")):
        assert checks[name].status == "fail"
        assert "no /dev/snd" in checks[name].detail and lister in (checks[name].fix or "")
    (tmp_path / "snd").mkdir()  # a card, but no capture or playback device on it
    checks = {c.name: c for c in doctor_audio.check_audio(
        settings, service_active=False, backend=NoSoundCards())}  # fmt: skip
    assert "ALSA has no capture device" in checks["microphone"].detail
    assert "ALSA has no playback device" in checks["speaker"].detail


def test_doctor_reports_an_unreachable_broker_with_a_fix() -> None:
    port = free_loopback_port()
    _, checks = doctor(ASSISTANT_MQTT__HOST="127.0.0.1", ASSISTANT_MQTT__PORT=str(port))
    mqtt = checks["mqtt"]
    assert mqtt["status"] == "fail"
    assert f"127.0.0.1:{port}" in mqtt["detail"] and "refused" in mqtt["detail"]
    assert "ASSISTANT_MQTT__PORT" in mqtt["fix"]


def test_doctor_reports_missing_models_and_says_what_to_fetch(tmp_path: Path) -> None:
    code, checks = doctor(ASSISTANT_MODELS__DIR=str(tmp_path / "empty-store"))
    models = checks["models"]
    assert models["status"] == "fail"
    assert "whisper-tiny.en (stt.model)" in models["detail"]
    assert "assistant models fetch" in models["fix"] and "whisper-tiny.en" in models["fix"]
    assert str(tmp_path / "empty-store") in models["fix"]
    assert not (tmp_path / "empty-store").exists()  # the doctor changes nothing
    assert code == 1


def test_doctor_reports_an_invalid_configuration_and_skips_what_needs_it() -> None:
    code, checks = doctor(ASSISTANT_VAD__SILENCE_SECONDS="-1")
    assert checks["config"]["status"] == "fail"
    assert "vad.silence_seconds" in checks["config"]["detail"]
    assert checks["models"]["status"] == checks["mqtt"]["status"] == "skip"
    assert code == 1


def test_doctor_checks_a_satellite_board_for_what_a_satellite_needs(tmp_path: Path) -> None:
    # Only what install.sh --satellite fetches; a hub that accepts connections.
    source, store = load_settings().models.dir, tmp_path / "models"
    for model in satellite_models():
        shutil.copytree(source / model, store / model)
    board = {"ASSISTANT_MODELS__DIR": str(store), "ASSISTANT_SATELLITE__NAME": "kitchen"}
    with socket.create_server(("127.0.0.1", 0)) as hub:
        uri = f"tcp://127.0.0.1:{hub.getsockname()[1]}"
        code, checks = doctor("--satellite", ASSISTANT_SATELLITE__HUB_URI=uri, **board)
    assert checks["models"]["status"] == "ok", checks["models"]  # none of the hub's missing
    assert checks["hub"] == {
        "name": "hub",
        "status": "ok",
        "fix": None,
        "detail": f"the hub {uri} accepts connections (kitchen is this one)",
    }
    assert checks["service"]["status"] in ("info", "ok", "warn")  # fmt: skip
    assert not {"skills", "mqtt", "rooms", "satellites", "state-dir"} & set(checks)
    failed = any(check["status"] == "fail" for check in checks.values())
    assert code == (1 if failed else 0)  # the sound cards, on a machine without any
    # The hub gone: said, with what to do.
    code, checks = doctor("--satellite", ASSISTANT_SATELLITE__HUB_URI=uri, **board)
    assert checks["hub"]["status"] == "fail" and "cannot be reached" in checks["hub"]["detail"]
    assert "[satellite] hub_uri" in checks["hub"]["fix"] and code == 1
    # As the hub's doctor, the same board misses the hub's models.
    _, checks = doctor(**board)
    assert checks["models"]["status"] == "fail"
    # Its own unit is the one asked about (a stand-in systemctl: no systemd runs here).
    failed_unit = "LoadState=loaded\nActiveState=failed\nSubState=failed\nUnitFileState=enabled"
    stand_in(tmp_path, "systemctl", f"echo \"$2\" > {tmp_path}/asked; printf '{failed_unit}\\n'")
    _, checks = doctor("--satellite", PATH=f"{tmp_path}:{os.environ['PATH']}", **board)
    assert (tmp_path / "asked").read_text().strip() == "assistant-satellite.service"
    assert "journalctl -u assistant-satellite -b" in checks["service"]["fix"]


def test_doctor_accepts_the_example_configuration() -> None:
    _, checks = doctor("--config", str(SYSTEMD / "assistant.example.toml"))
    assert checks["config"]["status"] == "ok"
    assert "assistant.example.toml" in checks["config"]["detail"]
    assert "/var/lib/assistant/models" in checks["models"]["detail"] + (
        checks["models"]["fix"] or ""
    )


@pytest.mark.parametrize(
    ("state", "status", "fix"),
    [
        ("LoadState=loaded\nActiveState=failed\nSubState=failed\nUnitFileState=enabled",
         "fail", "journalctl -u assistant"),
        ("LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled",
         "warn", "systemctl enable --now assistant"),
        ("LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled",
         "ok", None),
        ("LoadState=not-found\nActiveState=inactive", "info", "install.sh"),
    ],
)  # fmt: skip
def test_doctor_reads_the_units_state(
    tmp_path: Path, state: str, status: str, fix: str | None
) -> None:
    # No systemd runs here: a stand-in systemctl answers `show` as systemd would.
    stand_in(tmp_path, "systemctl", f"printf '%s\\n' '{state}'")
    _, checks = doctor(PATH=f"{tmp_path}:{os.environ['PATH']}")
    service = checks["service"]
    assert service["status"] == status, service
    assert (service["fix"] is None) if fix is None else (fix in service["fix"])


def test_doctor_prints_one_line_per_check_and_a_fix_under_each_problem() -> None:
    port = free_loopback_port()
    env = clean_env(ASSISTANT_MQTT__HOST="127.0.0.1", ASSISTANT_MQTT__PORT=str(port))
    result = run([*assistant_command(), "doctor"], env=env, cwd=ROOT)
    lines = result.stdout.splitlines()
    mqtt = next(i for i, line in enumerate(lines) if line.startswith("FAIL  mqtt"))
    assert lines[mqtt + 1].strip().startswith("fix: start the broker")
    assert lines[-1].endswith("problem(s) to fix")
    assert result.returncode == 1


@pytest.mark.models
def test_doctor_deep_loads_every_model() -> None:
    _, checks = doctor("--deep")
    assert "engines" not in checks
    for name in ("wake", "vad", "stt", "llm", "tts"):
        assert checks[f"load-{name}"]["status"] == "ok", checks[f"load-{name}"]
        assert checks[f"load-{name}"]["detail"].startswith("loaded in ")
    # The longest prompt retrieval can make fits llm.context_tokens and is evaluated.
    assert checks["llm-prompt"]["status"] == "ok", checks["llm-prompt"]
    assert checks["llm-prompt"]["detail"].startswith("the longest prompt (")
    assert "re-hashed" in checks["models"]["detail"]
