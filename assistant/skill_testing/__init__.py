"""Testing a skill: a simulated home on a real broker, the skills' toolbox, turns in and out.

For a skill's own pytest suite (with pytest-asyncio), in its own repository; nothing here
imports pytest. `docs/skills.md` ("Testing a skill") shows it at work:

- `simulated_home()` starts a private Mosquitto with `assistant simulate`'s devices on it and a
  recorder of all traffic (`home.published_to(device_id)`, `home.simulator.state(device_id)`);
- `assistant_in(home, tmp_path, skills=...)` runs the skills over it through the assistant's
  real device layer: `await runtime.toolbox.call(ToolCall("BrewCoffee", {"cups": 2}), ...)`;
- `running_skills(make_settings(tmp_path, skills=...))` does the same without any devices;
- `assembled_in(home, tmp_path, engines=...)` is the whole runtime: `turns.from_text(text)`
  and `turns.from_wav(path, ...)` return the turn and its reply; `Speech` says the request;
- `eventually(check)` waits for something to come true, with a deadline;
- `PrivateBroker()` is a Mosquitto of a test module's own, for homes that share one.
"""

from assistant.devices.broker import PrivateBroker
from assistant.skill_host.call import ToolCall
from assistant.skill_testing.home import (
    QUICK_MQTT,
    SimulatedHome,
    TrafficRecorder,
    eventually,
    simulated_home,
)
from assistant.skill_testing.runtime import (
    assembled_in,
    assistant_in,
    device_skills_folder,
    make_settings,
    running_skills,
)
from assistant.skill_testing.speech import (
    SAMPLE_RATE_HZ,
    FloatAudio,
    Speech,
    read_pcm16_wav,
    speech_cache_dir,
    write_pcm16_wav,
)

__all__ = [
    "QUICK_MQTT",
    "SAMPLE_RATE_HZ",
    "FloatAudio",
    "PrivateBroker",
    "SimulatedHome",
    "Speech",
    "ToolCall",
    "TrafficRecorder",
    "assembled_in",
    "assistant_in",
    "device_skills_folder",
    "eventually",
    "make_settings",
    "read_pcm16_wav",
    "running_skills",
    "simulated_home",
    "speech_cache_dir",
    "write_pcm16_wav",
]
