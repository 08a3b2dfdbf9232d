"""The doctor's checks of what is outside the process: the MQTT broker and the sound devices.

The broker is asked for a real MQTT session (CONNECT, then CONNACK) with the runtime's own
client settings, because an open TCP port says nothing about credentials or TLS. A sound
device is opened the way the live loop opens it (its own rate, one channel) and closed at
once; that is what fails when the user is not in the audio group or another program holds it.
"""

from __future__ import annotations

import grp
import os
import socket
import ssl
import time
from pathlib import Path
from typing import Any

from assistant.config import MqttSettings, Settings
from assistant.doctor import Check, current_user
from assistant.live.backend import (
    AudioBackend,
    AudioDeviceError,
    DeviceInfo,
    SoundDeviceBackend,
    choose_device,
)

MQTT_TIMEOUT_SECONDS = 3.0
_SND = Path("/dev/snd")


# --- MQTT -------------------------------------------------------------------------------------


class _NoAnswer(ConnectionError):
    """The TCP connection ended before the broker sent CONNACK: not an MQTT listener?"""


def check_mqtt(settings: MqttSettings, timeout_seconds: float = MQTT_TIMEOUT_SECONDS) -> Check:
    if not settings.host:
        return Check(
            "mqtt",
            "info",
            "no broker configured: voice works, device commands do not",
            "set [mqtt] host (and port) in the config file, or ASSISTANT_MQTT__HOST",
        )
    where = f"{settings.host}:{settings.port}"
    for key in ("ca_file", "cert_file", "key_file"):
        path = getattr(settings.tls, key)
        if settings.tls.enabled and path is not None and not Path(path).is_file():
            return Check("mqtt", "fail", f"mqtt.tls.{key} {path} does not exist", "correct it")
    try:
        refusal = _mqtt_session(settings, timeout_seconds)
    except OSError as error:
        detail, fix = _explain_connect_error(error, settings, timeout_seconds)
        return Check("mqtt", "fail", f"{where}: {detail}", fix)
    if refusal is not None:
        if "authori" in refusal.lower() or "password" in refusal.lower():
            fix = "check [mqtt] username and password against the broker's accounts"
        else:
            fix = "check the broker's log for why it refused this client"
        return Check("mqtt", "fail", f"{where} refused the session: {refusal}", fix)
    secured = ", TLS" if settings.tls.enabled else ""
    return Check("mqtt", "ok", f"broker {where} accepted a session{secured}")


def _explain_connect_error(
    error: OSError, settings: MqttSettings, timeout_seconds: float
) -> tuple[str, str]:
    """What went wrong connecting, and the one setting or action most likely to fix it."""
    address = "[mqtt] host and port (ASSISTANT_MQTT__HOST, ASSISTANT_MQTT__PORT)"
    if isinstance(error, socket.gaierror):
        return (
            f"cannot resolve {settings.host!r}: {error.strerror}",
            "set [mqtt] host to the broker's IP address or a name this machine resolves",
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"TLS failed: {error.reason or error}",
            "check [mqtt.tls]: ca_file must have signed the broker's certificate, and the port "
            "must be a TLS listener (often 8883)",
        )
    if isinstance(error, TimeoutError):
        return (
            f"no answer within {timeout_seconds:g} s",
            f"check {address} and that no firewall drops the port",
        )
    if isinstance(error, _NoAnswer):
        return (
            f"the connection closed before an MQTT answer ({error})",
            "check that [mqtt] port is the broker's MQTT listener (1883, or 8883 with TLS "
            "and [mqtt.tls] enabled)",
        )
    if isinstance(error, ConnectionRefusedError):
        return (
            "connection refused: no broker listens there",
            f"start the broker, or correct {address}",
        )
    return f"cannot connect: {error.strerror or error}", f"check {address} and the network"


def _mqtt_session(settings: MqttSettings, timeout_seconds: float) -> str | None:
    """Connect and wait for CONNACK: None when accepted, else the broker's reason."""
    import paho.mqtt.client as paho

    from assistant.devices.mqtt import default_client_id, new_paho_client

    client = new_paho_client(settings, default_client_id(settings, "doctor"))
    client.connect_timeout = timeout_seconds
    answers: list[Any] = []
    client.on_connect = lambda _client, _data, _flags, reason, _props: answers.append(reason)
    assert settings.host is not None
    client.connect(settings.host, settings.port, keepalive=settings.keepalive_seconds)
    deadline = time.monotonic() + timeout_seconds
    try:
        while not answers:
            if time.monotonic() > deadline:
                raise TimeoutError
            code = client.loop(timeout=0.1)
            if code != paho.MQTT_ERR_SUCCESS and not answers:
                raise _NoAnswer(paho.error_string(code))
    finally:
        client.disconnect()
    return str(answers[0]) if answers[0].is_failure else None


# --- sound devices -----------------------------------------------------------------------------


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
