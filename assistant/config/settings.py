"""The typed settings tree: every section, key, default and allowed range.

Every section forbids unknown keys so a typo fails at start-up instead of being silently
ignored. How the values are gathered (defaults, board profile, TOML, environment) is
`assistant.config.loading`.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    SettingsConfigDict,
)

from assistant.config import hardware
from assistant.config.hardware import HardwareChoice
from assistant.config.hub import HubSettings, SatelliteSettings
from assistant.config.wyoming import ServeSettings

ENV_PREFIX = "ASSISTANT_"

log = logging.getLogger(__name__)


def default_state_dir() -> Path:
    """Skill state, timers and the audit log (the service sets /var/lib/assistant)."""
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "assistant"


def default_model_dir() -> Path:
    """Where fetched models live: XDG data home, so a re-clone of the repo reuses them."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "assistant" / "models"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class HardwareSettings(Section):
    profile: str = Field(
        default=hardware.AUTO,
        description='Board profile from hardware/profiles/: "auto" picks it from the board, '
        '"none" applies none. Its values sit above the defaults and below the config file.',
    )

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, name: str) -> str:
        return hardware.check_profile_name(name)


class ModelsSettings(Section):
    dir: Path = Field(default_factory=default_model_dir, description="The model store.")


class WakeSettings(Section):
    models: list[str] = Field(
        default=["hey_jarvis"],
        min_length=1,
        description="Wake word model ids from the manifest, or paths to .onnx files.",
    )
    features: str = Field(
        default="openwakeword-features",
        description="Model id (or folder) of openWakeWord's melspectrogram and embedding models.",
    )
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    refractory_seconds: float = Field(
        default=2.0, ge=0.0, description="Ignore the same wake word for this long after it fired."
    )


class VadSettings(Section):
    model: str = "silero-vad"
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0, description="Speech probability.")
    speech_seconds: float = Field(
        default=0.25, gt=0.0, description="Speech needed before an utterance counts as started."
    )
    silence_seconds: float = Field(
        default=0.7, gt=0.0, description="Silence after speech that ends the utterance."
    )
    max_utterance_seconds: float = Field(default=15.0, gt=0.0)
    no_speech_timeout_seconds: float = Field(
        default=5.0, gt=0.0, description="Give up when nobody speaks this long after the wake word."
    )
    pre_roll_seconds: float = Field(
        default=0.3, ge=0.0, le=2.0, description="Audio kept from before speech started."
    )
    early_commit: bool = Field(
        default=True,
        description="At the first short pause, transcribe what was said so far and act on it "
        "at once if the rules read it whole as one low-risk request; anything else waits for "
        "`silence_seconds` of silence.",
    )
    early_look_seconds: float = Field(
        default=0.05,
        gt=0.0,
        description="Silence after speech at which the early look starts transcribing, so its "
        "transcript is ready when the pause is long enough to act on.",
    )
    early_pause_seconds: float = Field(
        default=0.2,
        gt=0.0,
        description="Silence after speech that counts as a short pause: the soonest an early "
        "commit acts.",
    )

    @model_validator(mode="after")
    def _look_before_acting(self) -> VadSettings:
        if self.early_look_seconds > self.early_pause_seconds:
            raise ValueError(
                f"early_look_seconds ({self.early_look_seconds}) must not be longer than "
                f"early_pause_seconds ({self.early_pause_seconds}): the look is taken first"
            )
        return self


class SttSettings(Section):
    model: str = Field(
        default="whisper-tiny.en", description="Manifest id or a CTranslate2 folder."
    )
    threads: int = Field(default=2, ge=1, le=64)
    beam_size: int = Field(default=1, ge=1, le=10)
    language: str = "en"
    initial_prompt: str = Field(
        default="", description="Text that biases transcription toward this home's vocabulary."
    )
    hotwords: list[str] = Field(default=[], description="Words the decoder should prefer.")
    home_vocabulary: bool = Field(
        default=True,
        description="Also prefer this home's device and area names, kept current as devices "
        "come and go.",
    )
    pad_to_30_seconds: bool = Field(
        default=False,
        description="Encode every utterance as 30 s of audio, as faster-whisper does. Off, the "
        "encoder pays only for the audio there is plus 10 s of silence, about 2.5x faster for a "
        "short command; kept for comparison (`assistant bench` measures both).",
    )


class LlmSettings(Section):
    model: str = Field(default="gemma-3-270m", description="Manifest id or path to a GGUF file.")
    adapter: str = Field(
        default="specialist",
        description="Manifest id or path to a LoRA adapter in GGUF that makes the model a "
        "specialist in this assistant's tools (`assistant model tune` makes one for this "
        "home); empty for the base model alone.",
    )
    threads: int = Field(default=2, ge=1, le=64)
    context_tokens: int = Field(default=1024, ge=256, le=131072)
    max_tokens: int = Field(
        default=96, ge=8, le=4096, description="The longest answer (every call it makes)."
    )
    seed: int = 0


class TtsSettings(Section):
    voice: str = Field(
        default="piper-joe-medium", description="Manifest id or path to a .onnx voice."
    )
    output_sample_rate_hz: int = Field(default=22050, ge=8000, le=192000)
    length_scale: float = Field(default=1.0, gt=0.2, lt=5.0, description="Above 1 speaks slower.")


class AudioSettings(Section):
    """The live loop's microphone and speaker (`assistant audio devices` lists them)."""

    input_device: str | int | None = Field(
        default=None, description="Microphone by name (a part of it) or index; empty: default."
    )
    output_device: str | int | None = Field(
        default=None, description="Speaker by name (a part of it) or index; empty: default."
    )
    block_ms: int = Field(
        default=80, ge=10, le=500, description="Capture block; 80 ms is the wake model's frame."
    )
    queue_blocks: int = Field(
        default=50, ge=4, le=1000, description="Captured blocks kept while busy; then dropped."
    )
    output_latency: Literal["low", "high"] | float = Field(
        default="high", description="PortAudio output latency: low, high, or seconds."
    )
    volume: float = Field(default=0.8, ge=0.0, le=1.0, description="Speech and sounds, 0–1.")
    earcons: bool = Field(default=True, description="Short sounds for wake, done and error.")
    done_sound_only: bool = Field(
        default=False, description="A confirmed device command answers with the done sound only."
    )
    follow_up_seconds: float = Field(
        default=6.0, ge=0.0, le=30.0,
        description="After a question, listen this long for the answer without a wake word.",
    )  # fmt: skip
    stall_seconds: float = Field(
        default=3.0, gt=0.0, le=60.0,
        description="No microphone audio for this long means it is gone: report and reopen.",
    )  # fmt: skip
    echo_tail_seconds: float = Field(
        default=0.5, ge=0.0, le=5.0,
        description="After playback, how long the room may still carry the assistant's voice.",
    )  # fmt: skip


class MqttTlsSettings(Section):
    enabled: bool = False
    ca_file: Path | None = Field(default=None, description="CA bundle that signed the broker.")
    cert_file: Path | None = Field(default=None, description="Client certificate (mutual TLS).")
    key_file: Path | None = None
    insecure: bool = Field(default=False, description="Skip host name checks (testing only).")


class MqttSettings(Section):
    host: str | None = Field(
        default=None,
        description="Broker host; unset means no broker is configured (the demo then starts a "
        "private Mosquitto with simulated devices).",
    )
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = Field(default=None, description="Shown masked by `config show`.")
    client_id: str = Field(
        default="",
        description="Empty: assistant-<hostname>[-<role>]-<pid>-<random>, unique per process "
        "(two processes with one id would keep disconnecting each other).",
    )
    tls: MqttTlsSettings = Field(default_factory=MqttTlsSettings)
    keepalive_seconds: int = Field(default=30, ge=5, le=3600)
    reconnect_min_seconds: float = Field(default=0.5, gt=0.0)
    reconnect_max_seconds: float = Field(default=30.0, gt=0.0)
    discovery_prefix: str = Field(default="homeassistant", min_length=1)
    status_topic: str = Field(
        default="assistant/status",
        description="Where the assistant publishes online/offline (retained, with a last will).",
    )
    confirm_timeout_seconds: float = Field(
        default=5.0, gt=0.0, le=120.0, description="How long a device has to confirm a command."
    )
    max_payload_bytes: int = Field(
        default=65536, ge=1024, description="Larger messages are skipped."
    )


class DevicesSettings(Section):
    file: Path | None = Field(
        default=None,
        description="TOML file declaring devices without discovery, aliases and area overrides.",
    )


class UnderstandingSettings(Section):
    rules: bool = Field(
        default=True,
        description="Match the skills' sentence templates first; off only to measure the model "
        "on its own (assistant eval).",
    )
    model: bool = Field(
        default=True,
        description="Ask the language model when no rule matches (llm.model picks which).",
    )
    model_timeout_seconds: float = Field(default=8.0, gt=0.0, le=60.0)


class StorageSettings(Section):
    state_dir: Path = Field(
        default_factory=default_state_dir,
        description="Skill state, timers and the audit log; never audio or transcripts.",
    )


class SkillsSettings(Section):
    folders: list[Path] = Field(
        default=[], description="Extra folders of skills, besides the built-in skills/ folder."
    )
    builtin: bool = Field(default=True, description="Load the skills that ship with the runtime.")
    disabled: list[str] = Field(default=[], description="Skill names not to load.")
    options: dict[str, dict[str, Any]] = Field(
        default={},
        description="Per-skill settings, [skills.options.<skill>], checked by the skill.",
    )


class SafetySettings(Section):
    exposed: list[str] = Field(
        default=[],
        description="Entities a voice may control even though their kind is hidden by default "
        "(locks, garage doors, gates, alarms).",
    )
    hidden: list[str] = Field(default=[], description="Entities a voice may never control.")
    pin: SecretStr | None = Field(
        default=None, description="If set, high-risk actions also need this spoken PIN (digits)."
    )

    @field_validator("pin")
    @classmethod
    def _pin_is_spoken_digits(cls, pin: SecretStr | None) -> SecretStr | None:
        # People speak a PIN and the transcript yields digits; anything else could never match.
        if pin is not None and not re.fullmatch(r"\d{4,12}", pin.get_secret_value()):
            raise ValueError("the PIN must be 4 to 12 digits")
        return pin

    confirmation_timeout_seconds: float = Field(default=20.0, gt=0.0, le=300.0)
    comfort_min_temperature: float = Field(default=16.0, description="Lowest set point (°C).")
    comfort_max_temperature: float = Field(default=26.0, description="Highest set point (°C).")
    rate_limit_actions: int = Field(
        default=10, ge=1, description="Actions on one device allowed per rate-limit window."
    )
    rate_limit_seconds: float = Field(default=60.0, gt=0.0)
    audit_log: bool = Field(default=True, description="Record every action attempted.")


class Settings(BaseSettings):
    """The whole configuration of the runtime."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    hardware: HardwareSettings = Field(default_factory=HardwareSettings)
    models: ModelsSettings = Field(default_factory=ModelsSettings)
    wake: WakeSettings = Field(default_factory=WakeSettings)
    vad: VadSettings = Field(default_factory=VadSettings)
    stt: SttSettings = Field(default_factory=SttSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    audio: AudioSettings = Field(default_factory=AudioSettings)
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    devices: DevicesSettings = Field(default_factory=DevicesSettings)
    understanding: UnderstandingSettings = Field(default_factory=UnderstandingSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    skills: SkillsSettings = Field(default_factory=SkillsSettings)
    safety: SafetySettings = Field(default_factory=SafetySettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    hub: HubSettings = Field(default_factory=HubSettings)
    satellite: SatelliteSettings = Field(default_factory=SatelliteSettings)

    # Not a setting: what `hardware.profile` resolved to, recorded by `load_settings`.
    _hardware: HardwareChoice | None = PrivateAttr(default=None)

    @property
    def hardware_choice(self) -> HardwareChoice | None:
        """The board found and the profile applied (None when not built by `load_settings`)."""
        return self._hardware
