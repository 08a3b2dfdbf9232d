"""`assistant run` and `assistant audio devices`."""

from __future__ import annotations

import asyncio
import json
import logging
import signal

from assistant.config import Settings
from assistant.engines import EngineName
from assistant.live.backend import AudioDeviceError, SoundDeviceBackend
from assistant.live.loop import LiveAssistant
from assistant.pipeline.assembly import assemble
from assistant.service import notify

log = logging.getLogger(__name__)


def run_live(settings: Settings) -> int:
    """Listen until SIGTERM or Ctrl-C. Systemd hears READY=1 once the models are loaded."""

    async def main() -> int:
        backend = SoundDeviceBackend()
        engines: tuple[EngineName, ...] = ("wake", "vad", "stt", "tts")
        if settings.understanding.model:
            engines += ("llm",)
        notify.status("loading models")
        async with assemble(settings, engines=engines) as assembled:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for number in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(number, stop.set)
            await LiveAssistant(assembled, settings, backend, notify).run(stop)
        return 0

    try:
        return asyncio.run(main())
    except AudioDeviceError as error:
        print(f"assistant: {error.message}")
        return 2


def run_audio_devices(*, as_json: bool) -> int:
    try:
        devices = SoundDeviceBackend().devices()
    except AudioDeviceError as error:
        print(f"assistant: {error.message}")
        return 2
    if as_json:
        print(json.dumps([device.__dict__ for device in devices], indent=2))
        return 0
    if not devices:
        print("no audio devices: check `arecord -l` and `aplay -l`, and the audio group")
        return 1
    print(f"{'index':>5}  {'in':>3} {'out':>3}  {'rate':>6}  name")
    for device in devices:
        marks = ("  (default input)" if device.is_default_input else "") + (
            "  (default output)" if device.is_default_output else ""
        )
        print(f"{device.index:>5}  {device.input_channels:>3} {device.output_channels:>3}  "
              f"{device.default_rate_hz:>6}  {device.name}{marks}")  # fmt: skip
    return 0
