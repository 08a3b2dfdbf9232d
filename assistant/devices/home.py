"""The device layer assembled: broker connection, registry and commander."""

from __future__ import annotations

from types import TracebackType

from assistant.config import Settings
from assistant.devices.commands import DeviceCommander
from assistant.devices.devices_file import registry_with_file
from assistant.devices.mqtt import MqttConnection, process_client_id
from assistant.errors import ConfigError


class DeviceHome:
    """`async with DeviceHome(settings) as home:` connects and discovers in the background.

    `role` names the client id of one-shot tools apart from the running assistant's; every
    process has its own client id unless `mqtt.client_id` is set. Only the assistant itself
    (`publish_status=True`) owns the status topic and its last will.
    """

    def __init__(self, settings: Settings, *, role: str = "", publish_status: bool = True) -> None:
        if not settings.mqtt.host:
            raise ConfigError(
                "no MQTT broker is configured: set mqtt.host (ASSISTANT_MQTT__HOST) "
                "or run `assistant demo`, which starts a private broker with simulated devices"
            )
        self.settings = settings
        self.connection = MqttConnection(
            settings.mqtt,
            client_id=process_client_id(settings.mqtt, role),
            status_topic=settings.mqtt.status_topic if publish_status else None,
        )
        self.registry = registry_with_file(
            settings.devices.file, self.connection, discovery_prefix=settings.mqtt.discovery_prefix
        )
        self.commander = DeviceCommander(
            self.registry,
            self.connection,
            confirm_timeout_seconds=settings.mqtt.confirm_timeout_seconds,
        )

    async def __aenter__(self) -> DeviceHome:
        self.registry.start()
        await self.connection.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.commander.close()
        await self.connection.stop()

    async def ready(self, timeout_seconds: float = 5.0) -> bool:
        """Wait for the broker and for retained discovery and states to arrive."""
        if not await self.connection.wait_connected(timeout_seconds):
            return False
        await self.registry.settle(max_seconds=timeout_seconds)
        return True
