"""One error hierarchy with stable codes.

Stages raise these; the pipeline translates them into the `error` object of a turn
(`{"code": ..., "message": ...}`) and into a spoken apology, so a turn always ends cleanly.
The codes are part of the command-line contract: scripts match on them, so never rename one.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: a failure a person or a script can be told about in one line."""

    code: str = "internal-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class ConfigError(AssistantError):
    """The configuration is invalid; raised at start-up, naming key, value and what is allowed."""

    code = "config-invalid"


class ModelError(AssistantError):
    """A model is missing, corrupt or failed to load."""

    code = "model-missing"


class ModelCorrupt(ModelError):
    code = "model-corrupt"


class ModelFetchError(ModelError):
    code = "model-fetch-failed"


class ModelLoadError(ModelError):
    code = "model-load-failed"


def library_missing(error: ModuleNotFoundError, package: str) -> ModelLoadError:
    """A model's library is not installed: a satellite's install (`bootstrap.sh satellite`)
    has only the wake word's and the voice detector's."""
    return ModelLoadError(
        f"{package} is not installed here ({error.name} cannot be imported): this is a "
        "satellite's install; a hub needs `./bootstrap.sh runtime` (pip install '.[hub]')"
    )


class AudioError(AssistantError):
    """Input audio is unusable: not audio, empty, truncated or silent."""

    code = "audio-invalid"


class AudioSilent(AudioError):
    code = "audio-silent"


class NoSpeech(AssistantError):
    """Nobody spoke within the no-speech timeout after the wake word (or the start of audio)."""

    code = "no-speech"


class WakeError(AssistantError):
    code = "wake-failed"


class SttError(AssistantError):
    code = "stt-failed"


class LlmError(AssistantError):
    code = "llm-failed"


class TtsError(AssistantError):
    code = "tts-failed"


class BrokerUnavailable(AssistantError):
    """A broker is configured but cannot be reached: the home's devices can't be known or
    commanded. Spoken as "I can't reach your devices right now."."""

    code = "broker-unavailable"
