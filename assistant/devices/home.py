"""The device layer assembled: broker connection, registry and commander."""

from __future__ import annotations

import logging
from types import TracebackType

from assistant.config import Settings
from assistant.devices.commands import DeviceCommander
from assistant.devices.devices_file import declare_devices, overrides_from, read_devices_file
from assistant.devices.mqtt import MqttConnection, process_client_id
from assistant.devices.registry import DeviceRegistry
from assistant.errors import ConfigError

log = logging.getLogger(__name__)


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
        file_data = {}
        overrides = {}
        if settings.devices.file is not None:
            file_data = read_devices_file(settings.devices.file)
            overrides = overrides_from(file_data, settings.devices.file)
        self.connection = MqttConnection(
            settings.mqtt,
            client_id=process_client_id(settings.mqtt, role),
            status_topic=settings.mqtt.status_topic if publish_status else None,
        )
        self.registry = DeviceRegistry(
            self.connection, discovery_prefix=settings.mqtt.discovery_prefix, overrides=overrides
        )
        if settings.devices.file is not None:
            count = declare_devices(self.registry, file_data, settings.devices.file)
            log.info("declared %d devices from %s", count, settings.devices.file)
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
