"""Hardware profiles: board detection, the profile files, and where they sit in the settings."""

from __future__ import annotations

import functools
import json
import logging
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from assistant.config import LlmSettings, Settings, SttSettings, hardware, load_settings
from assistant.config.hardware import available_profiles, detect_board, load_profile, profiles_dir
from assistant.errors import ConfigError

from .test_config import run_config_show, write_toml

BOARDS = ["generic-x86", "jetson-orin-nano", "raspberry-pi-4", "raspberry-pi-5"]

# What the boards' own files say (device-tree strings end in NUL; `compatible` is a list).
PI4 = {
    "proc/device-tree/model": "Raspberry Pi 4 Model B Rev 1.4\0",
    "proc/device-tree/compatible": "raspberrypi,4-model-b\0brcm,bcm2711\0",
}
PI5 = {
    "proc/device-tree/model": "Raspberry Pi 5 Model B Rev 1.0\0",
    "proc/device-tree/compatible": "raspberrypi,5-model-b\0brcm,bcm2712\0",
}
ORIN_NANO = {
    "proc/device-tree/model": "NVIDIA Jetson Orin Nano Developer Kit\0",
    "proc/device-tree/compatible": (
        "nvidia,p3768-0000+p3767-0005\0nvidia,p3767-0005\0nvidia,tegra234\0"
    ),
    "etc/nv_tegra_release": "# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, "
    "EABI: aarch64, DATE: Wed Jan  8 01:49:37 UTC 2025\n",
}


@pytest.fixture(autouse=True)
def _no_stray_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from the defaults, whatever the developer's shell exports."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)


def fake_root(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def pretend_board(monkeypatch: pytest.MonkeyPatch, root: Path, machine: str) -> None:
    """Make `[hardware] profile = "auto"` see the fake board's files."""
    monkeypatch.setattr(
        hardware, "detect_board", functools.partial(detect_board, root=root, machine=machine)
    )


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "machine", "board"),
    [
        (PI4, "aarch64", "raspberry-pi-4"),
        ({"proc/device-tree/model": "Raspberry Pi 400 Rev 1.0\0"}, "armv7l", "raspberry-pi-4"),
        (
            {"proc/device-tree/compatible": "raspberrypi,4-compute-module\0brcm,bcm2711\0"},
            "aarch64",
            "raspberry-pi-4",
        ),
        (PI5, "aarch64", "raspberry-pi-5"),
        ({"proc/device-tree/model": "Raspberry Pi 500 Rev 1.0\0"}, "aarch64", "raspberry-pi-5"),
        (
            {
                "proc/device-tree/model": "Raspberry Pi 3 Model B Plus Rev 1.3\0",
                "proc/device-tree/compatible": "raspberrypi,3-model-b-plus\0brcm,bcm2837\0",
            },
            "aarch64",
            "generic-arm",
        ),
        (ORIN_NANO, "aarch64", "jetson-orin-nano"),
        # A container on the Jetson: L4T's release file but no device tree. R36 is Orin-only.
        (
            {"etc/nv_tegra_release": ORIN_NANO["etc/nv_tegra_release"]},
            "aarch64",
            "jetson-orin-nano",
        ),
        # R35 also runs on Xavier, so it does not prove an Orin.
        ({"etc/nv_tegra_release": "# R35 (release), REVISION: 5.0\n"}, "aarch64", "generic-arm"),
        (
            {
                "proc/device-tree/model": "NVIDIA Jetson Xavier NX Developer Kit\0",
                "proc/device-tree/compatible": "nvidia,p3509-0000+p3668-0001\0nvidia,tegra194\0",
            },
            "aarch64",
            "generic-arm",
        ),
        ({}, "x86_64", "generic-x86"),
        ({}, "aarch64", "generic-arm"),
    ],
)
def test_detect_board_from_the_boards_files(
    tmp_path: Path, files: dict[str, str], machine: str, board: str
) -> None:
    assert detect_board(fake_root(tmp_path, files), machine=machine) == board


def test_an_unreadable_device_tree_falls_back_to_the_cpu(tmp_path: Path) -> None:
    (tmp_path / "proc/device-tree/model").mkdir(parents=True)  # a directory: reading fails
    assert detect_board(tmp_path, machine="x86_64") == "generic-x86"


# --- the profile files -----------------------------------------------------------------------


def test_one_profile_per_board() -> None:
    assert available_profiles() == BOARDS


@pytest.mark.parametrize("name", BOARDS)
def test_profile_uses_only_existing_settings_and_each_value_applies(name: str) -> None:
    profile = load_profile(name)
    assert set(profile) <= set(Settings.model_fields) - {"hardware"}
    settings = load_settings(hardware={"profile": name})  # extra keys would raise here
    assert settings.hardware_choice is not None
    assert settings.hardware_choice.profile == name
    for section, values in profile.items():
        for key, value in values.items():
            assert getattr(getattr(settings, section), key) == value, f"{section}.{key}"


@pytest.mark.parametrize("name", BOARDS)
def test_every_profile_value_says_why(name: str) -> None:
    lines = (profiles_dir() / f"{name}.toml").read_text().splitlines()
    settings_lines = [line for line in lines if "=" in line.split("#")[0]]
    assert settings_lines, "the profile sets nothing"
    assert [line for line in settings_lines if "#" not in line] == []


def test_load_profile_refuses_names_outside_the_folder() -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile("../models/manifest")
    assert "unknown hardware profile" in caught.value.message
    assert "raspberry-pi-4" in caught.value.message


# --- precedence: defaults < profile < TOML file < environment --------------------------------


def test_profile_beats_the_defaults() -> None:
    profile = load_profile("raspberry-pi-5")
    default = LlmSettings().threads
    assert profile["llm"]["threads"] != default
    settings = load_settings(hardware={"profile": "raspberry-pi-5"})
    assert settings.llm.threads == profile["llm"]["threads"]
    # Keys the profile does not set keep their defaults.
    assert settings.llm.max_tokens == LlmSettings().max_tokens


def test_toml_beats_the_profile_key_by_key(tmp_path: Path) -> None:
    profile = load_profile("raspberry-pi-4")
    assert profile["stt"]["threads"] != 1
    config = write_toml(
        tmp_path, '[hardware]\nprofile = "raspberry-pi-4"\n[stt]\nthreads = 1\n[llm]\nseed = 7\n'
    )
    settings = load_settings(config)
    assert settings.stt.threads == 1  # the file
    assert settings.llm.seed == 7  # the file
    assert settings.llm.threads == profile["llm"]["threads"]  # same section, from the profile
    assert settings.audio.queue_blocks == profile["audio"]["queue_blocks"]


def test_environment_beats_the_toml_and_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_toml(tmp_path, '[hardware]\nprofile = "raspberry-pi-4"\n[stt]\nthreads = 1\n')
    monkeypatch.setenv("ASSISTANT_STT__THREADS", "5")
    monkeypatch.setenv("ASSISTANT_HARDWARE__PROFILE", "jetson-orin-nano")
    settings = load_settings(config)
    assert settings.stt.threads == 5
    # The environment also chose the profile over the file's choice.
    assert settings.hardware_choice is not None
    assert settings.hardware_choice.profile == "jetson-orin-nano"
    assert settings.llm.threads == load_profile("jetson-orin-nano")["llm"]["threads"]


def test_none_applies_no_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pretend_board(monkeypatch, fake_root(tmp_path, PI4), "aarch64")
    monkeypatch.setenv("ASSISTANT_HARDWARE__PROFILE", "none")
    settings = load_settings()
    assert settings.hardware_choice is not None
    assert settings.hardware_choice.board == "raspberry-pi-4"
    assert settings.hardware_choice.profile is None
    assert settings.stt.threads == SttSettings().threads
    assert settings.audio.queue_blocks == Settings().audio.queue_blocks


def test_auto_applies_the_detected_boards_profile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pretend_board(monkeypatch, fake_root(tmp_path, PI4), "aarch64")
    settings = load_settings()
    assert settings.hardware.profile == "auto"
    assert settings.hardware_choice is not None
    assert settings.hardware_choice.profile == "raspberry-pi-4"
    profile = load_profile("raspberry-pi-4")
    assert settings.stt.threads == profile["stt"]["threads"]
    assert settings.audio.output_latency == profile["audio"]["output_latency"]


def test_auto_on_an_unknown_arm_board_keeps_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pretend_board(monkeypatch, tmp_path, "aarch64")
    settings = load_settings()
    assert settings.hardware_choice is not None
    assert settings.hardware_choice.board == "generic-arm"
    assert settings.hardware_choice.profile is None
    assert settings.llm.threads == LlmSettings().threads


# --- errors ----------------------------------------------------------------------------------


def test_unknown_profile_names_the_key_and_lists_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSISTANT_HARDWARE__PROFILE", "raspberry-pi-9")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = caught.value.message
    assert caught.value.code == "config-invalid"
    assert "hardware.profile = 'raspberry-pi-9'" in message
    assert "ASSISTANT_HARDWARE__PROFILE" in message
    for choice in ["auto", "none", *BOARDS]:
        assert choice in message


def use_profiles(monkeypatch: pytest.MonkeyPatch, folder: Path, **profiles: str) -> None:
    folder.mkdir()
    for name, text in profiles.items():
        (folder / f"{name}.toml").write_text(text)
    monkeypatch.setattr(hardware, "profiles_dir", lambda: folder)


def test_a_section_this_version_lacks_is_skipped_with_a_log_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    use_profiles(
        monkeypatch, tmp_path / "profiles", board="[stt]\nthreads = 5\n[radar]\nrange_m = 3\n"
    )
    with caplog.at_level(logging.INFO, logger="assistant.config"):
        settings = load_settings(hardware={"profile": "board"})
    assert settings.stt.threads == 5
    assert any("[radar]" in record.getMessage() for record in caplog.records), caplog.text


def test_a_bad_value_in_a_profile_names_the_profile_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_profiles(monkeypatch, tmp_path / "profiles", board="[stt]\nthreads = 0\nthread = 2\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(hardware={"profile": "board"})
    message = caught.value.message
    assert "stt.threads = 0" in message
    assert "stt.thread = 2" in message  # keys inside a known section stay strict
    assert f"from hardware profile {tmp_path / 'profiles' / 'board.toml'}" in message


def test_a_bad_value_in_the_toml_is_still_blamed_on_the_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_profiles(monkeypatch, tmp_path / "profiles", board="[stt]\nthreads = 3\n")
    config = write_toml(tmp_path, '[hardware]\nprofile = "board"\n[stt]\nthreads = "many"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "stt.threads = 'many'" in caught.value.message
    assert "set in the TOML file or ASSISTANT_STT__THREADS" in caught.value.message


# --- the command line ------------------------------------------------------------------------


def test_config_show_says_which_profile_auto_picked(tmp_path: Path) -> None:
    result = run_config_show(tmp_path)
    assert result.returncode == 0, result.stderr
    shown: dict[str, Any] = json.loads(result.stdout)
    board = detect_board()  # the same machine as the subprocess
    applied = board if board in BOARDS else None
    assert shown["hardware"] == {"profile": "auto", "board": board, "applied": applied}
    if applied is not None:
        assert shown["stt"]["threads"] == load_profile(applied)["stt"]["threads"]


def test_config_show_with_a_forced_profile_and_a_file_over_it(tmp_path: Path) -> None:
    config = write_toml(tmp_path, "[llm]\nthreads = 1\n")
    result = run_config_show(
        tmp_path, "--config", str(config), ASSISTANT_HARDWARE__PROFILE="raspberry-pi-4"
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["hardware"]["profile"] == "raspberry-pi-4"
    assert shown["hardware"]["applied"] == "raspberry-pi-4"
    with (profiles_dir() / "raspberry-pi-4.toml").open("rb") as handle:
        profile = tomllib.load(handle)
    assert shown["stt"]["threads"] == profile["stt"]["threads"]  # the profile
    assert shown["llm"]["threads"] == 1  # the file beats it


def test_config_show_with_an_unknown_profile_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_config_show(tmp_path, ASSISTANT_HARDWARE__PROFILE="pi")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "hardware.profile = 'pi'" in lines[0]
    assert all(board in lines[0] for board in BOARDS)
