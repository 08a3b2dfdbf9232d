"""`assistant run` and `assistant audio devices`."""

from __future__ import annotations

import json
import logging

from assistant.cli import stopping
from assistant.config import Settings
from assistant.engines import EngineName
from assistant.hub.hub import Hub, listener_for
from assistant.live.backend import AudioDeviceError, SoundDeviceBackend
from assistant.live.loop import LiveAssistant
from assistant.pipeline.assembly import assemble
from assistant.service import notify
from assistant.service.presence import ServiceLock

log = logging.getLogger(__name__)


def run_live(settings: Settings) -> int:
    """Listen until SIGTERM or Ctrl-C (`stopping` ends it, with 0). Systemd hears READY=1 once
    the models are loaded, and STOPPING=1 as soon as the signal comes. With satellites
    configured it is also their hub; with `hub.own_audio` off, only that."""

    async def main() -> None:
        own_audio = settings.hub.own_audio
        backend = SoundDeviceBackend() if own_audio else None  # PortAudio missing: say so now
        engines: tuple[EngineName, ...] = ("vad", "stt", "tts")
        if own_audio:
            engines = ("wake", *engines)
        if settings.understanding.model:
            engines += ("llm",)
        notify.status("loading models")
        async with (
            assemble(settings, engines=engines) as assembled,
            Hub(assembled, settings, settings.hub) as hub,
        ):
            if backend is None or hub.own is None:
                await hub.serve(notify)
            else:
                await LiveAssistant(assembled, settings, backend, notify, membership=hub.own).run()

    if settings.hub.calling():
        listener_for(settings.hub)  # an unsafe listener is refused now, before models load
    try:
        with ServiceLock(settings.storage.state_dir):  # one-shot commands see it is running
            stopping.run(main())
    except AudioDeviceError as error:
        print(f"assistant: {error.message}")
        return 2
    return 0  # not reached: it runs until stopped


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
