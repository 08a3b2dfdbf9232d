"""`assistant satellite`: this board as a satellite of the home's hub (`assistant.satellite`)."""

from __future__ import annotations

from pydantic import ValidationError

from assistant.cli import stopping
from assistant.config import Settings
from assistant.config.hub import SatelliteSettings
from assistant.engines import EngineName, Engines
from assistant.errors import ConfigError
from assistant.live.backend import AudioDeviceError, SoundDeviceBackend
from assistant.satellite.satellite import Satellite
from assistant.service import notify


def satellite_settings(
    settings: Settings, *, hub: str | None, name: str | None
) -> SatelliteSettings:
    """`[satellite]` with the command line's `--hub` and `--name` over it, checked again."""
    given = {"hub_uri": hub, "name": name}
    changes = {key: value for key, value in given.items() if value is not None}
    try:
        return SatelliteSettings.model_validate({**settings.satellite.model_dump(), **changes})
    except ValidationError as error:
        problem = error.errors()[0]
        option = {"hub_uri": "--hub", "name": "--name"}.get(str(problem["loc"][0]), "")
        cause = problem.get("ctx", {}).get("error")  # our own validator's words, unprefixed
        message = str(cause) if cause is not None else problem["msg"]
        raise ConfigError(f"satellite {option} {problem['input']!r}: {message}") from None


def run_satellite(settings: Settings, *, hub: str | None, name: str | None) -> int:
    """Listen and stream until SIGTERM or Ctrl-C (`stopping` ends it, with 0). Systemd hears
    READY=1 once the wake word and voice detector models are loaded."""
    link = satellite_settings(settings, hub=hub, name=name)

    async def main() -> None:
        backend = SoundDeviceBackend()
        notify.status("loading models")
        engines = Engines(settings)
        try:
            models: tuple[EngineName, ...] = ("wake", "vad")
            for model in models:  # each on its worker thread: a stop is heard meanwhile
                await engines.run(model, engines.load, model)
            await Satellite(engines, settings, link, backend, notify).run()
        finally:
            engines.close()

    try:
        stopping.run(main())
    except AudioDeviceError as error:
        print(f"assistant: {error.message}")
        return 2
    return 0  # not reached: it runs until stopped
