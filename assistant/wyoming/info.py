"""The `info` event: the four services `assistant serve` offers, each with the models it
really runs (names, languages, versions and licences from the manifest and the packages)."""

from __future__ import annotations

import json
import logging
from importlib import metadata
from pathlib import Path

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    TtsProgram,
    TtsVoice,
    WakeModel,
    WakeProgram,
)

from assistant.config import Settings
from assistant.engines import Engines
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

WHISPER = Attribution(name="OpenAI", url="https://github.com/openai/whisper")
COMMAND_LANGUAGES = ["en"]
"""The skills' sentence templates, the specialist model and openWakeWord's shipped wake words
are English."""


def service_info(engines: Engines, *, language_model: bool) -> Info:
    """What `describe` is answered with. `language_model`: whether the specialist model is
    loaded behind the rules (it is left out when switched off or unusable)."""
    settings = engines.settings
    return Info(
        asr=[_asr(engines)],
        tts=[_tts(engines)],
        wake=[_wake(engines)],
        handle=[_handle(settings, language_model)],
    )


def _asr(engines: Engines) -> AsrProgram:
    stt = engines.settings.stt
    languages = ["en"] if stt.model.endswith(".en") else [stt.language]
    model = AsrModel(
        name=stt.model, attribution=WHISPER, installed=True,
        description=_described(engines, stt.model), version=None, languages=languages,
    )  # fmt: skip
    return AsrProgram(
        name="faster-whisper", attribution=_package("faster-whisper", "SYSTRAN"),
        installed=True, version=_version("faster-whisper"), models=[model],
        description="faster-whisper (CTranslate2, int8), biased toward this home's device and "
        "room names",
    )  # fmt: skip


def _tts(engines: Engines) -> TtsProgram:
    voice_id = engines.settings.tts.voice
    piper = _package("piper-tts", "Piper (Open Home Foundation)")
    voice = TtsVoice(
        name=voice_id, attribution=piper, installed=True, version=None,
        description=_described(engines, voice_id), languages=[_voice_language(engines)],
    )  # fmt: skip
    return TtsProgram(
        name="piper", attribution=piper, installed=True, version=_version("piper-tts"),
        description="Piper, streamed sentence by sentence", voices=[voice],
        supports_synthesize_streaming=True,
    )  # fmt: skip


def _wake(engines: Engines) -> WakeProgram:
    program = _package("openwakeword", "David Scripka (openWakeWord)")
    models = [_wake_model(engines, name, program) for name in engines.wake.models]
    return WakeProgram(
        name="openwakeword", attribution=program, installed=True,
        version=_version("openwakeword"), description="openWakeWord on ONNX Runtime",
        models=models,
    )  # fmt: skip


def _wake_model(engines: Engines, name: str, program: Attribution) -> WakeModel:
    return WakeModel(
        name=name, attribution=program, installed=True, version=None,
        description=_described(engines, name), languages=COMMAND_LANGUAGES,
        phrase=name.replace("_", " ").capitalize(),  # hey_jarvis: "Hey jarvis"
    )  # fmt: skip


def _handle(settings: Settings, language_model: bool) -> HandleProgram:
    ours = _package("assistant", "assistant (this runtime)")
    how = "the installed skills' sentence templates"
    if language_model:
        adapter = f" with the {settings.llm.adapter!r} adapter" if settings.llm.adapter else ""
        how += f", then {settings.llm.model}{adapter}"
    model = HandleModel(
        name="skills", attribution=ours, installed=True, version=_version("assistant"),
        description=f"Understood by {how}; acted on by the skills over MQTT",
        languages=COMMAND_LANGUAGES,
    )  # fmt: skip
    return HandleProgram(
        name="assistant", attribution=ours, installed=True, version=_version("assistant"),
        description="Understands a request and acts on the home's MQTT devices",
        models=[model], supports_home_control=True,
    )  # fmt: skip


def _described(engines: Engines, model: str) -> str:
    """The manifest's description and licence of a model id; a path is named as such."""
    spec = engines.store.manifest.models.get(model)
    if spec is None:
        return f"from {model}"
    return f"{spec.description} (licence: {spec.licence})"


def _voice_language(engines: Engines) -> str:
    """The voice's language as Piper's own config names it (en_US)."""
    settings = engines.settings.tts
    try:
        path = engines.store.resolve(settings.voice, setting="tts.voice")
        configs = sorted(path.glob("*.onnx.json")) if path.is_dir() else [Path(f"{path}.json")]
        language = json.loads(configs[0].read_text())["language"]["code"]
    except (AssistantError, OSError, IndexError, KeyError, TypeError, ValueError) as error:
        log.warning("the voice's language is not in its config (%s); saying en_US", error)
        return "en_US"
    return str(language)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _package(package: str, who: str) -> Attribution:
    """Who made an installed package, and its home page as the package itself gives it."""
    try:
        meta = metadata.metadata(package)
    except metadata.PackageNotFoundError:
        return Attribution(name=who, url="")
    urls = [meta["Home-page"] or ""]  # PackageMetadata: None for a missing key
    urls += [entry.split(",", 1)[-1].strip() for entry in meta.get_all("Project-URL") or []]
    return Attribution(name=who, url=next((url for url in urls if "github.com" in url), urls[0]))
