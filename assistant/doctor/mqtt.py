"""The doctor's check of the MQTT broker: a real session with the runtime's own client settings.

The broker is asked for CONNECT, then CONNACK, because an open TCP port says nothing about
credentials or TLS.
"""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path
from typing import Any

from assistant.config import MqttSettings
from assistant.doctor.check import Check

MQTT_TIMEOUT_SECONDS = 3.0


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
