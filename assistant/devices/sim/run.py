"""`assistant simulate`: the simulated home on the configured broker."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from assistant.config import MqttSettings
from assistant.devices.broker import BrokerError
from assistant.devices.sim.home import load_home, with_faults
from assistant.devices.sim.simulator import CONTROL_TOPIC, Simulator, simulator_connection
from assistant.errors import AssistantError, ConfigError

_CONNECT_TIMEOUT_SECONDS = 10.0


async def run_simulator(
    settings: MqttSettings,
    home_file: Path | None,
    *,
    offline: Sequence[str] = (),
    slow: Mapping[str, float] | None = None,
    lose: Sequence[str] = (),
) -> int:
    """`assistant simulate`: the home's devices on the configured broker until Ctrl-C or SIGTERM."""
    if not settings.host:
        raise ConfigError(
            "no MQTT broker is configured for the simulator: set mqtt.host (ASSISTANT_MQTT__HOST), "
            "or run `assistant demo`, which starts a private broker with simulated devices"
        )
    specs = with_faults(load_home(home_file), offline=offline, slow=slow, lose=lose)
    connection = simulator_connection(settings)
    simulator = Simulator(connection, specs, discovery_prefix=settings.discovery_prefix)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not main thread
            loop.add_signal_handler(signum, stopping.set)
            handled.append(signum)
    await connection.start()
    started = False
    try:
        if not await connection.wait_connected(_CONNECT_TIMEOUT_SECONDS):
            raise BrokerError(
                f"cannot reach the MQTT broker at {settings.host}:{settings.port} "
                f"within {_CONNECT_TIMEOUT_SECONDS:.0f} s"
            )
        await simulator.start()
        started = True
        print(
            f"Simulating {len(specs)} devices on {settings.host}:{settings.port}, discovery prefix "
            f"{simulator.discovery_prefix!r}, control topic {CONTROL_TOPIC}; Ctrl-C stops.",
            flush=True,
        )
        for line in simulator.describe():
            print(line, flush=True)
        await stopping.wait()
    finally:
        if started:
            with contextlib.suppress(AssistantError):
                await simulator.stop()
        await connection.stop()
        for signum in handled:
            loop.remove_signal_handler(signum)
    return 0
