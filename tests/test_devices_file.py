"""The devices file: a risk tier for any entity, and what a wrong one stops at start-up.

The file is read by the real DeviceHome (as `assistant run` reads it); an invalid value is
checked from the command line, where a person meets it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from assistant.devices.home import DeviceHome
from assistant.errors import ConfigError
from assistant.skill_host.call import ToolCall
from tests.conftest import assistant_command, clean_env
from tests.test_skills_framework import device_skills_folder, make_settings, running_skills

# Nothing listens there: the file is read before the broker is ever contacted.
NO_BROKER = {"host": "127.0.0.1", "port": 9}

PUMP = """
[[switch]]
name = "Garden pump"
command_topic = "garden/pump/set"
area = "Garden"
risk = {risk}
"""


def home_with(tmp_path: Path, devices_file: str) -> DeviceHome:
    path = tmp_path / "devices.toml"
    path.write_text(devices_file)
    settings = make_settings(
        tmp_path,
        mqtt=NO_BROKER,
        devices={"file": str(path)},
        skills={"builtin": False, "folders": [device_skills_folder(tmp_path)]},
    )
    return DeviceHome(settings, role="test", publish_status=False)


async def test_a_declared_device_with_risk_high_asks_before_any_command(tmp_path: Path) -> None:
    home = home_with(tmp_path, PUMP.format(risk='"high"'))
    async with running_skills(home.settings, home.registry, home.commander) as runtime:
        result = await runtime.toolbox.call(
            ToolCall("HassTurnOn", {"name": "garden pump"}), turn_id="p1"
        )
    asked = "Do you really want me to turn on the Garden pump? Please say yes or no."
    assert result.speech == asked
    assert result.expects_answer


@pytest.mark.parametrize(
    ("devices_file", "where", "value"),
    [
        ('[entity."switch.alarm_relay"]\nrisk = "low"\n', "entity.switch.alarm_relay", "'low'"),
        ('[entity."lock.front_door"]\nrisk = true\n', "entity.lock.front_door", "True"),
        (PUMP.format(risk='"HIGH"'), "switch #1 (Garden pump)", "'HIGH'"),
    ],
)
def test_an_invalid_risk_names_the_file_the_entity_and_the_allowed_values(
    tmp_path: Path, devices_file: str, where: str, value: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        home_with(tmp_path, devices_file)
    path = tmp_path / "devices.toml"
    assert raised.value.message == (
        f'devices.file {path}: {where}: risk must be "high" or "normal", not {value}'
    )


def test_a_misspelt_key_for_an_entity_is_an_error_not_ignored(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        home_with(tmp_path, '[entity."switch.alarm_relay"]\nrisc = "normal"\n')
    assert raised.value.message == (
        f"devices.file {tmp_path / 'devices.toml'}: entity.switch.alarm_relay: unknown key "
        "'risc'; expected name, area, aliases, risk"
    )


def test_the_command_line_stops_at_an_invalid_risk_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text('[entity."switch.alarm_relay"]\nrisk = "medium"\n')
    env = clean_env(
        ASSISTANT_MQTT__HOST=NO_BROKER["host"],
        ASSISTANT_MQTT__PORT=str(NO_BROKER["port"]),
        ASSISTANT_DEVICES__FILE=str(path),
        ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state"),
    )
    shown = subprocess.run(
        [*assistant_command(), "devices", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 2
    assert shown.stderr == (
        f"assistant: devices.file {path}: entity.switch.alarm_relay: "
        'risk must be "high" or "normal", not \'medium\'\n'
    )


def test_the_doctor_reports_an_invalid_risk_as_its_configuration_check(tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text('[entity."switch.alarm_relay"]\nrisk = "medium"\n')
    env = clean_env(
        ASSISTANT_DEVICES__FILE=str(path), ASSISTANT_STORAGE__STATE_DIR=str(tmp_path / "state")
    )
    shown = subprocess.run(
        [*assistant_command(), "doctor", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 1, shown.stderr
    checks = {check["name"]: check for check in json.loads(shown.stdout)}
    assert checks["config"]["status"] == "fail"
    assert checks["config"]["detail"] == (
        f"devices.file {path}: entity.switch.alarm_relay: "
        'risk must be "high" or "normal", not \'medium\''
    )
