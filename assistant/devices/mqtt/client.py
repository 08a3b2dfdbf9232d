"""The paho client as the runtime makes it: client id, credentials, TLS.

Shared with `assistant doctor`, so its connection test is the connection the runtime makes.
"""

from __future__ import annotations

import os
import secrets
import socket

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from assistant.config import MqttSettings


def default_client_id(settings: MqttSettings, role: str = "") -> str:
    """The assistant's stable name on the network (`mqtt.client_id`, else assistant-<host>)."""
    base = settings.client_id or f"assistant-{socket.gethostname()}"
    return f"{base}-{role}" if role else base


def process_client_id(settings: MqttSettings, role: str = "") -> str:
    """The client id this process connects with: the configured one, else one of its own.

    A broker lets one connection per client id live and drops the older one, so two processes
    with one id (two `ask -` at once) kept knocking each other off. Without `mqtt.client_id`
    every process adds its pid and a random part; a configured id is used as it is.
    """
    name = default_client_id(settings, role)
    if settings.client_id:
        return name
    return f"{name}-{os.getpid()}-{secrets.token_hex(3)}"


def new_paho_client(settings: MqttSettings, client_id: str) -> paho.Client:
    """A paho client with the configured credentials and TLS (MQTT 3.1.1, clean session)."""
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv311,
        clean_session=True,
    )
    if settings.username:
        password = settings.password.get_secret_value() if settings.password else None
        client.username_pw_set(settings.username, password)
    if settings.tls.enabled:
        client.tls_set(
            ca_certs=str(settings.tls.ca_file) if settings.tls.ca_file else None,
            certfile=str(settings.tls.cert_file) if settings.tls.cert_file else None,
            keyfile=str(settings.tls.key_file) if settings.tls.key_file else None,
        )
        client.tls_insecure_set(settings.tls.insecure)
    return client
