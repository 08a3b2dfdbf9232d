"""The device command line against `assistant simulate` on a private Mosquitto, as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import simulated_home_env

ASSISTANT = [sys.executable, "-m", "assistant.cli"]


@pytest.fixture(scope="module")
def home() -> Iterator[dict[str, str]]:
    """A broker with the simulated home running on it; yields the environment to reach it."""
    simulate = ("--lose", "living_room_fan", "--offline", "front_door_lock")
    with simulated_home_env(
        ASSISTANT, *simulate, ASSISTANT_MQTT__CONFIRM_TIMEOUT_SECONDS="3"
    ) as env:
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
    assert refused.stdout.startswith(
        "refused: The Hallway thermostat can be set between 7 and 30 degrees"
    )

    unavailable = run(home, "devices", "call", "lock.front_door_lock", "unlock")
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
