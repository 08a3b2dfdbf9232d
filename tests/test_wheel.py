"""The runtime as a wheel: built from this checkout, installed into a new environment, run there.

The new environment gets the wheel and nothing of the checkout: its dependencies are borrowed
from the test environment's site-packages (building llama.cpp again would take minutes), but the
checkout itself is never on its path, so what runs is exactly what the wheel holds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import clean_env, simulated_home_env

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.models  # `ask` loads the language model from the store


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(dist), str(REPO)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (built,) = dist.glob("assistant-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new environment with the wheel installed; returns its `bin` folder."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(root)
    python = root / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # A plain path line: the dependencies become importable, but the test environment's own
    # .pth files (among them the editable install of this checkout) are not processed.
    (Path(site_packages) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return root / "bin"


def test_the_wheel_holds_the_built_in_skills_and_the_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "assistant/builtin_skills/device_control.py",
        "assistant/builtin_skills/timers/__init__.py",
        "assistant/builtin_skills/timers/sentences.py",
        "assistant/_data/manifest.toml",
        "assistant/_data/hardware-profiles/raspberry-pi-4.toml",
        "assistant/py.typed",
    ):
        assert required in names, required
    assert not any(name.startswith(("tests/", "skills/")) for name in names)


@pytest.fixture(scope="module")
def home(installed: Path) -> Iterator[dict[str, str]]:
    """A private broker with the wheel's own simulated home on it."""
    assistant = [str(installed / "assistant")]
    with simulated_home_env(assistant, ASSISTANT_SAFETY__AUDIT_LOG="false") as env:
        yield env


def test_the_installed_runtime_is_the_wheel_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    found = subprocess.run(
        [str(installed / "python"), "-c", "import assistant; print(assistant.__file__)"],
        cwd=tmp_path, env=clean_env(), check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert Path(found).is_relative_to(installed.parent), found  # not the checkout's


def test_ask_switches_a_light_with_the_built_in_skills(
    installed: Path, home: dict[str, str], tmp_path: Path
) -> None:
    asked = subprocess.run(
        [str(installed / "assistant"), "ask", "turn on the kitchen light", "--json"],
        cwd=tmp_path, env=home, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    turn = json.loads(asked.stdout)
    assert turn["response"] == "Turned on the Kitchen ceiling light."
    assert [(a["entity"], a["status"]) for a in turn["actions"]] == [
        ("light.kitchen_ceiling_light", "confirmed")
    ]
    listed = subprocess.run(
        [str(installed / "assistant"), "skills", "list"],
        cwd=tmp_path, env=home, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert str(installed.parent) in listed.stdout  # loaded from the installed package
    assert "timers" in listed.stdout and "device_control" in listed.stdout
