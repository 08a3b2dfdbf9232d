"""The doctor's check of the sound devices the live loop would open.

A device is opened the way the live loop opens it (its own rate, one channel) and closed at
once; that is what fails when the user is not in the audio group or another program holds it.
"""

from __future__ import annotations

import grp
import os
from pathlib import Path

from assistant.config import Settings
from assistant.doctor.check import Check, current_user
from assistant.live.backend import (
    AudioBackend,
    AudioDeviceError,
    DeviceInfo,
    SoundDeviceBackend,
    choose_device,
)

_SND = Path("/dev/snd")


def check_audio(
    settings: Settings, *, service_active: bool, backend: AudioBackend | None = None
) -> list[Check]:
    """The microphone and speaker the live loop would open (PortAudio unless `backend`)."""
    try:
        backend = backend or SoundDeviceBackend()
        devices = backend.devices()
    except Exception as error:  # no PortAudio library, or PortAudio cannot start
        fix = "install PortAudio: sudo apt-get install libportaudio2"
        return [
            Check("microphone", "fail", f"PortAudio is not usable: {error}", fix),
            Check("speaker", "fail", f"PortAudio is not usable: {error}", fix),
        ]
    return [
        _check_device(backend, devices, "input", settings.audio.input_device, service_active),
        _check_device(backend, devices, "output", settings.audio.output_device, service_active),
    ]


def _check_device(
    backend: AudioBackend,
    devices: list[DeviceInfo],
    direction: str,
    wanted: str | int | None,
    service_active: bool,
) -> Check:
    """The device the live loop would choose (the same rules), opened once at its own rate."""
    name = "microphone" if direction == "input" else "speaker"
    setting = f"[audio] {direction}_device"
    if not any((d.input_channels if direction == "input" else d.output_channels) for d in devices):
        return _no_device(name, direction)
    try:
        device = choose_device(devices, wanted, direction=direction)
    except AudioDeviceError as error:
        return Check(name, "fail", f"{setting}: {error.message}",
                     f"set {setting} to one of these indexes or a part of its name")  # fmt: skip
    rate_hz = device.default_rate_hz
    try:
        if direction == "input":
            stream = backend.open_input(device.index, rate_hz, 1, rate_hz // 10, lambda _: None)
        else:
            stream = backend.open_output(device.index, rate_hz, rate_hz // 10, "high",
                                         lambda _: None)  # fmt: skip
        stream.close()
    except AudioDeviceError as error:
        busy = any(word in error.message.lower() for word in ("busy", "unavailable"))
        if busy and service_active:
            return Check(name, "info", f"{device.name!r} is in use by the running service")
        return Check(
            name,
            "fail",
            f"{device.name!r} cannot be opened at {rate_hz} Hz: {error.message}",
            f"stop whatever holds it (`fuser -v /dev/snd/*`), or choose another with {setting}",
        )
    return Check(name, "ok", f"{device.name!r} (#{device.index}) opens at {rate_hz} Hz, mono")


def _no_device(name: str, direction: str) -> Check:
    """Why PortAudio lists no device of this direction, as far as it can be told from here."""
    kind = "capture" if direction == "input" else "playback"
    lister = "arecord -l" if direction == "input" else "aplay -l"
    suffix = "c" if direction == "input" else "p"
    user = current_user()
    if not _SND.is_dir():
        return Check(
            name,
            "fail",
            f"no {name}: the kernel has no sound card (no /dev/snd)",
            f"connect a USB {name} or enable the board's audio (dtoverlay/HAT), "
            f"then check `{lister}`",
        )
    if os.geteuid() != 0 and not _in_group("audio"):
        return Check(
            name,
            "fail",
            f"no {name}: {user} is not in the audio group",
            f"sudo usermod -aG audio {user}, then log in again (the service gets the "
            "group from its unit)",
        )
    if not any(_SND.glob(f"pcmC*D*{suffix}")):
        return Check(
            name,
            "fail",
            f"no {name}: ALSA has no {kind} device",
            f"connect a {name}, then check `{lister}`",
        )
    return Check(
        name,
        "fail",
        f"no {name}: PortAudio lists no {direction} device",
        f"check `{lister}` and that {user} is in the audio group",
    )


def _in_group(group: str) -> bool:
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        return False
    return gid in os.getgroups() or gid == os.getegid()
