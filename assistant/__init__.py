"""An offline voice and smart-device assistant runtime.

The packages read as the pipeline, foundation first (`tests/test_layout.py` keeps every import
pointing down this list):

- `errors`, `text`, `audio`, `config`, `service`, `logs`, `private`: the foundation;
- `modelstore`: where verified models live;
- `wake`, `vad`, `stt`, `tts`, `llm`: one package per role, its protocol and its backend;
- `engines`: the loaded backends, each on its own worker thread;
- `devices`: MQTT discovery → registry → command → confirmation;
- `skills`: the plugin API; `skill_host`: loads skills, runs their tools behind the safety
  gate; `builtin_skills`: the skills that ship;
- `understanding`: the cascade from words to tool calls;
- `pipeline`: the turn, from audio or text to a reply;
- `live`, `evaluation`, `doctor`, `cli`: what people run.
"""

import os

# Nothing leaves the house. onnxruntime (1.2x and later) starts Microsoft's telemetry when it is
# first imported: a device id and an event queue under ~/.cache/Microsoft and lookups of its
# collector. Its opt-out is read once, at that import, so it is set here, before any module of
# this package can import onnxruntime (wake word, voice activity, speech synthesis).
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
