"""Virtual devices that announce themselves by MQTT discovery and behave like real ones.

`assistant simulate` runs them on the configured broker; the tests run them on a private one.
Every device publishes a retained discovery config, its availability and its state (retained,
as Zigbee2MQTT and Tasmota do), applies the commands it receives and echoes its new state.

- `home`: the home file (`home.toml` here by default) and the faults the command line adds;
  `spec` is what its `[[device]]` tables may say;
- `base`: what every simulated device shares and how each firmware style speaks; the kinds
  are in `lights`, `switches`, `climate`, `covers_locks` and `sensors`;
- `simulator`: the devices on one broker connection, with the faults tests need;
  `publishing` is its outgoing side;
- `run`: `assistant simulate`.
"""

from assistant.devices.sim.home import load_home, with_faults
from assistant.devices.sim.run import run_simulator
from assistant.devices.sim.simulator import (
    BRIDGE_TOPIC,
    CONTROL_TOPIC,
    Simulator,
    simulator_connection,
)

__all__ = [
    "BRIDGE_TOPIC",
    "CONTROL_TOPIC",
    "Simulator",
    "load_home",
    "run_simulator",
    "simulator_connection",
    "with_faults",
]
