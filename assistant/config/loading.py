"""Where settings come from, lowest precedence first.

The defaults written in `assistant.config.settings`, then the board's hardware profile
(`hardware/profiles/`, chosen by `[hardware] profile`), then a TOML file (`--config`), then
environment variables `ASSISTANT_<SECTION>__<KEY>`, then keyword overrides (tests, programs).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, TomlConfigSettingsSource

from assistant.config import environment, hardware
from assistant.config.hardware import HardwareChoice
from assistant.config.messages import describe_validation_error
from assistant.config.settings import ENV_PREFIX, HardwareSettings, Settings
from assistant.errors import ConfigError

log = logging.getLogger(__name__)


class _HardwareProfileSource(PydanticBaseSettingsSource):
    """The board profile, as the source just above the built-in defaults.

    pydantic-settings calls the sources from the highest priority down and hands each the values
    gathered so far, so `[hardware] profile` is read from the overrides, the environment and the
    TOML file before this source decides which profile (if any) to return.
    """

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.choice: HardwareChoice | None = None
        self.values: dict[str, Any] = {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole profile at once

    def __call__(self) -> dict[str, Any]:
        requested = _requested_profile(self.current_state.get("hardware"))
        try:
            hardware.check_profile_name(requested)
        except (TypeError, ValueError):
            return {}  # HardwareSettings' validator reports it, naming the key and the choices
        self.choice = hardware.resolve_profile(requested)
        if self.choice.profile is not None:
            profile = hardware.load_profile(self.choice.profile)
            self.values = self._known_sections(self.choice.profile, profile)
        return self.values

    def _known_sections(self, name: str, profile: dict[str, Any]) -> dict[str, Any]:
        # A profile may be ahead of the code (written for a section a later version adds): skip
        # such sections instead of refusing to start. Keys inside known sections stay strict.
        sections = set(self.settings_cls.model_fields) - {"hardware"}
        for skipped in sorted(set(profile) - sections):
            log.info(
                "hardware profile %s: [%s] is not a settings section here; ignored", name, skipped
            )
        return {key: value for key, value in profile.items() if key in sections}


def _requested_profile(section: object) -> Any:
    """`hardware.profile` as the higher sources gave it: a dict, a model or nothing."""
    if isinstance(section, HardwareSettings):
        return section.profile
    if isinstance(section, Mapping):
        return section.get("profile", hardware.AUTO)
    return hardware.AUTO


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read defaults, the hardware profile, the TOML file, then the environment.

    Keyword overrides (tests, programs) beat everything. Fails naming key, value and source.
    """
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file {config_file} does not exist")
    environment.check_environment(os.environ)
    profile = _HardwareProfileSource(Settings)

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            # Highest priority first; the built-in defaults come after the last one.
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if config_file is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
            sources.append(profile)
            return tuple(sources)

    try:
        loaded = _FromFile(**overrides)
    except ValidationError as error:
        from_profile = None
        if profile.choice is not None and profile.choice.profile is not None:
            from_profile = (profile.choice.profile, profile.values)
        raise ConfigError(describe_validation_error(error, from_profile)) from None
    except ValueError as error:  # e.g. TOML syntax errors surface as ValueError subclasses
        if "EnvSettingsSource" in str(error):  # check_environment catches the usual cases
            raise ConfigError(f"{ENV_PREFIX}* variables: {error}") from None
        raise ConfigError(f"config file {config_file}: {error}") from None
    settings = Settings.model_validate(loaded.model_dump())
    settings._hardware = profile.choice
    return settings
