"""The typed settings tree (`settings`), where its values come from (`loading`), and how an
invalid value is reported (`messages`)."""

from assistant.config.loading import load_settings
from assistant.config.settings import (
    ENV_PREFIX,
    AudioSettings,
    DevicesSettings,
    HardwareSettings,
    LlmSettings,
    ModelsSettings,
    MqttSettings,
    MqttTlsSettings,
    SafetySettings,
    Settings,
    SkillsSettings,
    StorageSettings,
    SttSettings,
    TtsSettings,
    UnderstandingSettings,
    VadSettings,
    WakeSettings,
)

__all__ = [
    "ENV_PREFIX",
    "AudioSettings",
    "DevicesSettings",
    "HardwareSettings",
    "LlmSettings",
    "ModelsSettings",
    "MqttSettings",
    "MqttTlsSettings",
    "SafetySettings",
    "Settings",
    "SkillsSettings",
    "StorageSettings",
    "SttSettings",
    "TtsSettings",
    "UnderstandingSettings",
    "VadSettings",
    "WakeSettings",
    "load_settings",
]
