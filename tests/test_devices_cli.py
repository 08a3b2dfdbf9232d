"""The device command line against `assistant simulate` on a private Mosquitto, as users run it."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt import publish, subscribe

from assistant.cli.devices import run_devices_call
from assistant.config import Settings

from .conftest import clean_env, simulated_home_env
from .test_skills_framework import make_settings

ASSISTANT = [sys.executable, "-m", "assistant.cli"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A broker with the simulated home running on it; yields the environment to reach it
    (the front door lock exposed to voice, the state folder of its own)."""
    simulate = ("--lose", "living_room_fan", "--offline", "front_door_lock")
    with simulated_home_env(
        ASSISTANT, *simulate, ASSISTANT_MQTT__CONFIRM_TIMEOUT_SECONDS="3",
        ASSISTANT_SAFETY__EXPOSED='["lock.front_door_lock"]',
        ASSISTANT_STORAGE__STATE_DIR=str(tmp_path_factory.mktemp("cli-state")),
    ) as env:  # fmt: skip
        yield env


def run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ASSISTANT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        check=False,
    )


def test_devices_list_shows_every_simulated_device_with_area_state_and_availability(
    home: dict[str, str],
) -> None:
    table = run(home, "devices", "list")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["entity", "name", "area", "kind", "state", "available"]
    assert rows[-1].endswith("entities")
    listing = run(home, "devices", "list", "--json")
    entities = {item["entity"]: item for item in map(json.loads, listing.stdout.splitlines())}
    light = entities["light.kitchen_ceiling_light"]
    assert (light["kind"], light["area"], light["available"]) == ("light", "Kitchen", True)
    assert entities["lock.front_door_lock"]["available"] is False
    kinds = {item["kind"] for item in entities.values()}
    assert kinds == {
        "light",
        "switch",
        "fan",
        "climate",
        "cover",
        "lock",
        "sensor",
        "binary_sensor",
    }
    assert any(e["kind"] == "sensor" and e.get("unit") == "°C" for e in entities.values())


def test_devices_call_prints_each_outcome(home: dict[str, str]) -> None:
    done = run(
        home, "devices", "call", "light.kitchen_ceiling_light", "turn_on", "brightness=30", "--json"
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["status"] == "confirmed" and outcome["confirmed"] is True
    assert outcome["state"]["brightness_percent"] == 30
    assert json.loads(outcome["payload"]) == {"state": "ON", "brightness": 76}

    refused = run(
        home, "devices", "call", "climate.hallway_thermostat", "set_temperature", "temperature=40"
    )
    assert refused.returncode == 1
    assert refused.stdout.startswith(  # the safety policy's comfort range comes first
        "refused: I keep thermostats between 16 and 26 degrees; 40 is outside that comfort range."
    )

    unavailable = run(home, "devices", "call", "lock.front_door_lock", "lock")
    assert unavailable.returncode == 1
    assert unavailable.stdout.startswith("unavailable:")

    started = time.monotonic()
    lost = run(home, "devices", "call", "fan.living_room_fan", "turn_on", "--timeout", "1.5")
    assert lost.returncode == 1
    assert lost.stdout.startswith("failed: The Living room fan did not confirm it is on")
    assert time.monotonic() - started < 30

    unknown = run(home, "devices", "call", "light.nowhere", "turn_on")
    assert unknown.returncode == 1
    assert "no entity 'light.nowhere'" in unknown.stderr


def test_ask_acts_on_devices_and_reports_only_what_was_confirmed(home: dict[str, str]) -> None:
    answers = run(
        home,
        "ask",
        "-",
        "--json",
        stdin="turn off the kitchen lights\nswitch on the living room fan\n",
    )
    first, second = map(json.loads, answers.stdout.splitlines())
    assert first["intent"]["name"] == "HassTurnOff"
    assert first["intent"]["slots"] == {"area": "Kitchen", "domain": "light"}
    assert [a["entity"] for a in first["actions"]] == ["light.kitchen_ceiling_light"]
    assert first["actions"][0]["confirmed"] is True
    assert first["response"] == "Turned off the Kitchen ceiling light."
    assert first["timings_ms"]["act"] > 0
    # The fan applies commands but never confirms: the reply must not claim success.
    assert second["actions"][0]["status"] == "failed"
    assert not second["response"].startswith("Turned on")


def test_demo_switches_a_simulated_device_and_shows_it(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASSISTANT_MQTT")}
    demo = subprocess.run(
        [*ASSISTANT, "demo", "--out", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    lines = demo.stdout.splitlines()
    before = next(line for line in lines if line.strip().startswith("before"))
    after = next(line for line in lines if line.strip().startswith("after"))
    assert before.split()[1:] == ["light.kitchen_ceiling_light", "off"]
    assert after.split()[1:3] == ["light.kitchen_ceiling_light", "on"]
    assert any("turn_on: confirmed" in line for line in lines)
    assert (tmp_path / "sample.reply.wav").stat().st_size > 10_000


def audit_lines(env: dict[str, str]) -> list[dict[str, Any]]:
    path = Path(env["ASSISTANT_STORAGE__STATE_DIR"]) / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_devices_call_asks_the_safety_policy_and_audits_every_call(home: dict[str, str]) -> None:
    before = len(audit_lines(home))
    unlock = run(home, "devices", "call", "lock.front_door_lock", "unlock")
    assert unlock.returncode == 1
    assert unlock.stdout.splitlines()[0] == (
        "refused: Do you really want me to unlock the Front door lock? "
        "Nothing was sent: add --force to do it without asking."
    )

    plug = run(home, "devices", "call", "switch.living_room_plug", "turn_on")
    assert plug.returncode == 0, plug.stdout + plug.stderr

    entries = audit_lines(home)[before:]
    assert [(e["tool"], e["entity"], e["service"], e["outcome"], e["forced"]) for e in entries] == [
        ("devices call", "lock.front_door_lock", "unlock", "needs-confirmation", False),
        ("devices call", "switch.living_room_plug", "turn_on", "confirmed", False),
    ]
    assert entries[0]["actions"] == [
        {"entity": "lock.front_door_lock", "service": "unlock", "status": "refused"}
    ]
    assert len({e["turn"] for e in entries}) == 2
    # What was done in the home is nobody else's business on a shared machine.
    state = Path(home["ASSISTANT_STORAGE__STATE_DIR"])
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "audit.jsonl").stat().st_mode) == 0o600


def test_devices_call_refuses_data_the_service_does_not_take(home: dict[str, str]) -> None:
    colour = run(home, "devices", "call", "light.kitchen_ceiling_light", "turn_on", "colour=red")
    assert colour.returncode == 1
    assert colour.stdout.splitlines()[0] == (
        "refused: The Kitchen ceiling light can't take colour with turn_on; "
        "turn_on takes brightness."
    )
    off = run(home, "devices", "call", "light.kitchen_ceiling_light", "turn_off", "brightness=3")
    assert off.returncode == 1
    assert off.stdout.startswith(
        "refused: The Kitchen ceiling light can't take brightness with turn_off; "
        "turn_off takes no data."
    )
    assert audit_lines(home)[-1]["outcome"] == "invalid-data"


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_without_the_broker_devices_call_and_ask_say_so() -> None:
    port = unused_port()
    env = clean_env(ASSISTANT_MQTT__HOST="127.0.0.1", ASSISTANT_MQTT__PORT=str(port),
                    ASSISTANT_UNDERSTANDING__MODEL="false")  # fmt: skip
    called = run(env, "devices", "call", "light.kitchen_ceiling_light", "turn_on")
    listed = run(env, "devices", "list")
    for result in (called, listed):
        assert result.returncode == 2
        assert result.stderr.splitlines()[-1] == (
            f"assistant: cannot reach the MQTT broker at 127.0.0.1:{port}"
        )

    asked = run(env, "ask", "-", "--json", stdin="turn on the kitchen light\nturn on the lights\n")
    assert asked.returncode == 1
    for line in asked.stdout.splitlines():
        turn = json.loads(line)
        assert turn["error"] == {
            "code": "broker-unavailable",
            "message": f"cannot reach the MQTT broker at 127.0.0.1:{port}",
        }
        assert turn["response"] == "I can't reach your devices right now."


def test_force_stands_for_the_yes_and_is_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # In process, as `devices call --force` runs it (the command line passes `force`).
    with simulated_home_env(ASSISTANT) as env:
        mqtt = {"host": env["ASSISTANT_MQTT__HOST"], "port": int(env["ASSISTANT_MQTT__PORT"])}
        settings = make_settings(tmp_path, mqtt=mqtt)
        hidden = make_settings(tmp_path, mqtt=mqtt, safety={"hidden": ["lock.front_door_lock"]})

        def unlock(settings: Settings, *, force: bool) -> tuple[int, str]:
            code = run_devices_call(settings, "lock.front_door_lock", "unlock", [],
                                    as_json=False, timeout=None, force=force)  # fmt: skip
            return code, capsys.readouterr().out.splitlines()[0]

        assert unlock(settings, force=False) == (
            1,
            "refused: The Front door lock is not exposed to voice control (safety.exposed), "
            "so nothing was sent: add --force to command it anyway.",
        )
        assert unlock(hidden, force=True) == (
            1,
            "refused: The Front door lock is in safety.hidden, so nothing was sent.",
        )
        assert unlock(settings, force=True) == (0, "confirmed: The Front door lock is unlocked.")
        listing = run(env, "devices", "list", "--json")
        states = {e["entity"]: e["state"] for e in map(json.loads, listing.stdout.splitlines())}
        assert states["lock.front_door_lock"] == "unlocked"

    entries = [
        json.loads(line) for line in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()
    ]
    assert [(e["outcome"], e["forced"]) for e in entries] == [
        ("not-exposed", False),
        ("not-exposed", True),
        ("confirmed", True),
    ]


def test_ask_from_standard_input_follows_the_home_while_it_waits(home: dict[str, str]) -> None:
    """`ask -` reads its lines on a thread of its own: while it waits for the next one, it
    still takes in the devices' reports, so a light switched by hand is answered as it is."""
    asking = subprocess.Popen(
        [*ASSISTANT, "ask", "-", "--json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=home,
    )  # fmt: skip
    assert asking.stdin is not None and asking.stdout is not None
    try:
        asking.stdin.write("turn on the kitchen light\n")
        asking.stdin.flush()
        assert json.loads(asking.stdout.readline())["actions"][0]["status"] == "confirmed"
        # A wall switch: the light is turned off without the assistant, and reports it.
        broker = {
            "hostname": home["ASSISTANT_MQTT__HOST"],
            "port": int(home["ASSISTANT_MQTT__PORT"]),
        }
        publish.single("zigbee2mqtt/Kitchen ceiling light/set", '{"state": "OFF"}', **broker)
        deadline = time.monotonic() + 30
        while (
            json.loads(subscribe.simple("zigbee2mqtt/Kitchen ceiling light", **broker).payload)[
                "state"
            ]
            != "OFF"
        ):
            assert time.monotonic() < deadline, "the light never reported off"
        answers = []
        while time.monotonic() < deadline:  # its report reaches the process while it waits
            asking.stdin.write("is the kitchen light on\n")
            asking.stdin.flush()
            answers.append(json.loads(asking.stdout.readline())["response"])
            if answers[-1].startswith("No."):
                break
        assert answers[-1].startswith("No."), answers
    finally:
        asking.stdin.close()
        asking.wait(timeout=60)
