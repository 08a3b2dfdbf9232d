"""The broker connection: reconnection, a bounded inbox, acknowledged publishing."""

from assistant.devices.mqtt.client import default_client_id, new_paho_client, process_client_id
from assistant.devices.mqtt.connection import DeliveryFailed, MqttConnection
from assistant.devices.mqtt.inbox import Handler, Message

__all__ = [
    "DeliveryFailed",
    "Handler",
    "Message",
    "MqttConnection",
    "default_client_id",
    "new_paho_client",
    "process_client_id",
]
