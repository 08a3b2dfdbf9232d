"""The settings tree: defaults, then the TOML file, then ASSISTANT_* variables; precise errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.config.settings import default_model_dir
from assistant.errors import ConfigError

from .conftest import assistant_command, clean_env


@pytest.fixture(autouse=True)
def _no_stray_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from the defaults, whatever the developer's shell exports.

    No hardware profile either, so the defaults are the same on every board (profiles and
    their precedence are tested in test_hardware.py).
    """
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_HARDWARE__PROFILE", "none")


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "assistant.toml"
    path.write_text(text)
    return path


def test_defaults() -> None:
    settings = load_settings()
    assert settings.wake.models == ["hey_jarvis"]
    assert settings.wake.features == "openwakeword-features"
    assert settings.wake.threshold == 0.5
    assert settings.wake.refractory_seconds == 2.0
    assert settings.vad.model == "silero-vad"
    assert settings.vad.speech_seconds == 0.25
    assert settings.vad.silence_seconds == 0.7
    assert settings.vad.max_utterance_seconds == 15.0
    assert settings.vad.no_speech_timeout_seconds == 5.0
    assert settings.stt.model == "whisper-tiny.en"
    assert settings.stt.threads == 2
    assert settings.stt.hotwords == []
    assert settings.llm.model == "gemma-3-270m"
    assert settings.llm.adapter == "specialist"
    assert settings.llm.context_tokens == 1024
    assert settings.tts.voice == "piper-joe-medium"
    assert settings.tts.output_sample_rate_hz == 22050


def test_model_dir_follows_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_model_dir() == tmp_path / "assistant" / "models"


def test_toml_file_overrides_defaults(tmp_path: Path) -> None:
    config = write_toml(
        tmp_path,
        '[stt]\nthreads = 3\nhotwords = ["Jarvis"]\n'
        "[vad]\nsilence_seconds = 1.2\n"
        '[wake]\nmodels = ["hey_jarvis", "alexa"]\n'
        f'[models]\ndir = "{tmp_path / "store"}"\n',
    )
    settings = load_settings(config)
    assert settings.stt.threads == 3
    assert settings.stt.hotwords == ["Jarvis"]
    assert settings.vad.silence_seconds == 1.2
    assert settings.wake.models == ["hey_jarvis", "alexa"]
    assert settings.models.dir == tmp_path / "store"
    # Keys the file does not mention keep their defaults.
    assert settings.stt.model == "whisper-tiny.en"
    assert settings.vad.speech_seconds == 0.25


def test_environment_overrides_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_toml(tmp_path, "[stt]\nthreads = 3\nbeam_size = 2\n")
    monkeypatch.setenv("ASSISTANT_STT__THREADS", "4")
    settings = load_settings(config)
    assert settings.stt.threads == 4
    # The rest of the file's section still applies.
    assert settings.stt.beam_size == 2


def test_environment_overrides_defaults_with_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_WAKE__MODELS", '["hey_jarvis", "alexa"]')
    monkeypatch.setenv("ASSISTANT_VAD__SILENCE_SECONDS", "1.5")
    settings = load_settings()
    assert settings.wake.models == ["hey_jarvis", "alexa"]
    assert settings.vad.silence_seconds == 1.5


def test_negative_silence_from_environment_names_key_value_and_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSISTANT_VAD__SILENCE_SECONDS", "-1")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = caught.value.message
    assert caught.value.code == "config-invalid"
    assert "vad.silence_seconds" in message
    assert "'-1'" in message
    assert "greater than 0" in message
    assert "ASSISTANT_VAD__SILENCE_SECONDS" in message


def test_non_integer_threads_in_toml_names_key_value_and_rule(tmp_path: Path) -> None:
    config = write_toml(tmp_path, '[stt]\nthreads = "many"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = caught.value.message
    assert "stt.threads" in message
    assert "'many'" in message
    assert "valid integer" in message


def test_out_of_range_threshold_is_rejected(tmp_path: Path) -> None:
    config = write_toml(tmp_path, "[wake]\nthreshold = 1.5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "wake.threshold" in caught.value.message
    assert "1.5" in caught.value.message
    assert "less than 1" in caught.value.message


def test_llm_adapter_may_be_empty_or_a_path(tmp_path: Path) -> None:
    base_alone = load_settings(write_toml(tmp_path, '[llm]\nadapter = ""\n'))
    assert base_alone.llm.adapter == ""
    adapter = tmp_path / "my-lora.gguf"
    own = load_settings(write_toml(tmp_path, f'[llm]\nadapter = "{adapter}"\n'))
    assert own.llm.adapter == str(adapter)
    # The default stays the shipped (or tuned) specialist.
    assert load_settings(write_toml(tmp_path, "[llm]\nthreads = 1\n")).llm.adapter == "specialist"


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [("llm", "prompt_format", '"completion"'), ("understanding", "model_max_tokens", "64"),
     ("understanding", "model_examples_per_tool", "1")],
)  # fmt: skip
def test_settings_removed_with_the_old_prompt_are_rejected_by_name(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    """A config written for the few-shot prompt fails loudly instead of being half-applied."""
    config = write_toml(tmp_path, f"[{section}]\n{key} = {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert f"{section}.{key}" in caught.value.message
    assert "Extra inputs are not permitted" in caught.value.message


def test_unknown_key_in_toml_is_rejected(tmp_path: Path) -> None:
    config = write_toml(tmp_path, "[stt]\nthread = 3\n")  # typo of `threads`
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "stt.thread " in caught.value.message
    assert "Extra inputs are not permitted" in caught.value.message


def test_unknown_section_in_toml_is_rejected(tmp_path: Path) -> None:
    config = write_toml(tmp_path, "[speech]\nthreads = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "speech" in caught.value.message
    assert "not permitted" in caught.value.message


def test_unknown_key_in_environment_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_STT__THREAD", "3")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "stt.thread" in caught.value.message


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing)
    assert caught.value.message == f"config file {missing} does not exist"


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path, "[stt\nthreads = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(config) in caught.value.message
    assert "line 1" in caught.value.message


# --- the command line ------------------------------------------------------------------------


def run_config_show(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*assistant_command(), "config", "show", *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_config_show_prints_effective_json_with_env_and_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path, "[vad]\nsilence_seconds = 1.1\n[stt]\nthreads = 3\n")
    result = run_config_show(tmp_path, "--config", str(config), ASSISTANT_STT__THREADS="4")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["stt"]["threads"] == 4  # environment beats the file
    assert shown["vad"]["silence_seconds"] == 1.1  # the file beats the default
    assert shown["wake"]["models"] == ["hey_jarvis"]  # the default
    assert shown["llm"]["model"] == "gemma-3-270m"


def test_config_show_model_dir_follows_xdg_data_home(tmp_path: Path) -> None:
    result = run_config_show(tmp_path, XDG_DATA_HOME=str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["models"]["dir"] == str(tmp_path / "data/assistant/models")


def test_config_show_with_invalid_env_value_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_config_show(tmp_path, ASSISTANT_VAD__SILENCE_SECONDS="-1")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("assistant: invalid configuration")
    assert "vad.silence_seconds" in lines[0]
    assert "'-1'" in lines[0]
    assert "greater than 0" in lines[0]


def test_config_show_with_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_config_show(tmp_path, "--config", str(tmp_path / "absent.toml"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"assistant: config file {tmp_path / 'absent.toml'} does not exist"]


# --- ASSISTANT_* variables that are not settings --------------------------------------------


def test_a_list_variable_that_is_not_json_says_how_to_write_it(tmp_path: Path) -> None:
    result = run_config_show(tmp_path, ASSISTANT_WAKE__MODELS="hey_jarvis,alexa")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "assistant: invalid configuration: ASSISTANT_WAKE__MODELS = 'hey_jarvis,alexa': config "
        'wake.models must be a JSON list, e.g. ASSISTANT_WAKE__MODELS=\'["hey_jarvis", '
        '"alexa"]\' (quote it for the shell)'
    ]


@pytest.mark.parametrize(
    ("name", "closest"),
    [("ASSISTANT_MQTT_HOST", "ASSISTANT_MQTT__HOST"),
     ("ASSISTANT_STT__THREAD", "ASSISTANT_STT__THREADS"),
     ("ASSISTANT_MQTT__TLS__ENABLD", "ASSISTANT_MQTT__TLS__ENABLED"),
     ("ASSISTANT_STT__THREADS__MAX", "ASSISTANT_STT__THREADS")],
)  # fmt: skip
def test_unknown_variable_is_rejected_naming_the_closest_setting(
    tmp_path: Path, name: str, closest: str
) -> None:
    result = run_config_show(tmp_path, **{name: "1.2.3.4"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"assistant: invalid configuration: unknown environment variable {name} (config "
        f"{name[len('ASSISTANT_') :].lower().replace('__', '.')}): did you mean {closest}?"
    ]


def test_unknown_section_variable_lists_the_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_FOO__BAR", "1")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "unknown environment variable ASSISTANT_FOO__BAR" in caught.value.message
    assert "sections: hardware, models, wake" in caught.value.message


def test_variables_that_are_not_settings_and_tables_still_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSISTANT_RECORD_CONTRACT", "0")  # read by tests/test_json_contract.py
    monkeypatch.setenv("ASSISTANT_SKILLS__OPTIONS__TIMERS__LIMIT", "3")
    monkeypatch.setenv("ASSISTANT_MQTT", '{"host": "broker.local"}')
    settings = load_settings()
    assert settings.skills.options == {"timers": {"limit": "3"}}
    assert settings.mqtt.host == "broker.local"
