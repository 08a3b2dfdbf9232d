"""Which board this is, and the settings that suit it (`hardware/profiles/<board>.toml`).

A profile is one settings layer: above the built-in defaults, below the config file and the
environment (see `assistant.config.load_settings`). `[hardware] profile = "auto"` picks it from
the board; a profile name forces one; `"none"` applies none.
"""

from __future__ import annotations

import logging
import platform
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

log = logging.getLogger(__name__)

AUTO = "auto"
NONE = "none"
GENERIC_X86 = "generic-x86"
# ARM (or anything else) we cannot name: no profile file, so the built-in defaults apply, which
# are already conservative (two threads each, the smallest default models).
GENERIC_ARM = "generic-arm"

_PROFILE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_X86_MACHINES = {"x86_64", "amd64", "i386", "i686"}
# BCM2711 is the Pi 4 family (4 B, 400, CM4), BCM2712 the Pi 5 family (5, 500, CM5).
_PI4_SOC, _PI5_SOC = "brcm,bcm2711", "brcm,bcm2712"
# Any Orin (tegra234) gets the Orin Nano profile: the Nano is the smallest Orin, so its values
# are a safe floor for the NX and AGX modules, which have more and faster cores.
_ORIN_SOC = "nvidia,tegra234"
_PI_MODEL = re.compile(r"^Raspberry Pi (?:Compute Module )?(?P<generation>[45])(?:00|S)?\b")
_TEGRA_RELEASE = re.compile(r"^#\s*R(?P<major>\d+)\b")
# L4T R36 (JetPack 6) runs on Orin only; R35 also runs on Xavier, so it proves nothing.
_FIRST_ORIN_ONLY_L4T = 36


@dataclass(frozen=True)
class HardwareChoice:
    """What `load_settings` decided: the board it found and the profile it applied (or None)."""

    requested: str
    board: str
    profile: str | None


def profiles_dir() -> Path:
    """The profiles in a source checkout, else the copy packaged into the wheel."""
    checkout = Path(__file__).resolve().parents[2] / "hardware" / "profiles"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("assistant").joinpath("_data/hardware-profiles")))


def available_profiles(directory: Path | None = None) -> list[str]:
    folder = directory or profiles_dir()
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.toml"))


def check_profile_name(name: str, directory: Path | None = None) -> str:
    """`name` if it is "auto", "none" or a profile file's name; else a ValueError listing them."""
    known = available_profiles(directory)
    if name in (AUTO, NONE) or name in known:
        return name
    choices = ", ".join([AUTO, NONE, *known])
    raise ValueError(f"unknown hardware profile {name!r}; choose one of: {choices}")


def load_profile(name: str, directory: Path | None = None) -> dict[str, Any]:
    """The profile's settings as nested dicts (`{"stt": {"threads": 3}, ...}`)."""
    folder = directory or profiles_dir()
    path = folder / f"{name}.toml"
    # Names come from config and the environment: never let one walk out of the folder.
    if not _PROFILE_NAME.fullmatch(name) or not path.is_file():
        known = ", ".join(available_profiles(folder)) or "none installed"
        raise ConfigError(f"unknown hardware profile {name!r}; available: {known}")
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"hardware profile {path}: {error}") from None


def detect_board(root: Path = Path("/"), machine: str | None = None) -> str:
    """The profile name for this board, from the device tree, L4T's release file or the CPU.

    `root` and `machine` exist for tests: a fake file tree and a fake `platform.machine()`.
    """
    model = _read_text(root / "proc/device-tree/model")
    compatible = _read_text(root / "proc/device-tree/compatible").split("\0")
    pi = _PI_MODEL.match(model)
    if _PI5_SOC in compatible or (pi and pi["generation"] == "5"):
        return "raspberry-pi-5"
    if _PI4_SOC in compatible or (pi and pi["generation"] == "4"):
        return "raspberry-pi-4"
    if _ORIN_SOC in compatible or "Orin" in model:
        return "jetson-orin-nano"
    # Containers on a Jetson often see L4T's release file but not the device tree.
    release = _TEGRA_RELEASE.match(_read_text(root / "etc/nv_tegra_release"))
    if release and int(release["major"]) >= _FIRST_ORIN_ONLY_L4T:
        return "jetson-orin-nano"
    cpu = (machine if machine is not None else platform.machine()).lower()
    return GENERIC_X86 if cpu in _X86_MACHINES else GENERIC_ARM


def resolve_profile(requested: str, directory: Path | None = None) -> HardwareChoice:
    """Which profile `[hardware] profile = requested` means on this board."""
    board = detect_board()
    if requested == NONE:
        return HardwareChoice(requested, board, None)
    if requested != AUTO:
        return HardwareChoice(requested, board, requested)
    if board in available_profiles(directory):
        return HardwareChoice(requested, board, board)
    log.info("hardware: no profile for %s, the built-in defaults apply", board)
    return HardwareChoice(requested, board, None)


def _read_text(path: Path) -> str:
    # Device-tree strings end in NUL; `compatible` is a NUL-separated list.
    try:
        return path.read_bytes().decode("utf-8", "replace").strip("\0\n ")
    except OSError:
        return ""
