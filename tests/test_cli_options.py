"""The command line's own behaviour: options refused before anything loads, one line and exit
code 2 for a bad value, `--version`, `python -m assistant`, shell completion, `--json` lists."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli.parser import build_parser
from assistant.config import load_settings
from assistant.modelstore.manifest import load_manifest
from assistant.pipeline.assembly import assemble

from .conftest import assistant_command, clean_env


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*assistant_command(), *args],
        capture_output=True, text=True, cwd=cwd, env=clean_env(**env), timeout=180, check=False,
    )  # fmt: skip


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a command that could not start (exit code 2)."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def installed_version() -> str:
    from importlib import metadata

    return metadata.version("assistant")


# --- options refused ----------------------------------------------------------------------------


def test_an_abbreviated_option_is_refused_and_nothing_is_fetched(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run("models", "fetch", "--al", cwd=tmp_path, ASSISTANT_MODELS__DIR=str(store))
    line = one_line(result)
    assert line == "assistant: unrecognized arguments: --al (see `assistant --help`)"
    assert not store.exists()  # not `--all`, and not the default set either


@pytest.mark.parametrize(
    ("args", "option", "value"),
    [(["bench", "--turns", "0"], "--turns", "0"), (["eval", "--limit", "0"], "--limit", "0"),
     (["devices", "call", "light.x", "turn_on", "--timeout", "-1"], "--timeout", "-1"),
     (["devices", "call", "light.x", "turn_on", "--timeout", "nan"], "--timeout", "nan"),
     (["models", "tune", "--examples", "0"], "--examples", "0")],
)  # fmt: skip
def test_counts_and_deadlines_must_be_positive(
    tmp_path: Path, args: list[str], option: str, value: str
) -> None:
    line = one_line(run(*args, cwd=tmp_path))
    prog = "assistant " + " ".join(word for word in args if not word.startswith(("-", "light")))
    prog = prog.replace(" turn_on", "").removesuffix(f" {value}")
    assert line.startswith(f"{prog}: argument {option}: {value} must be ")
    assert line.endswith(f"(see `{prog} --help`)")


def test_devices_call_accepts_force_for_administrators() -> None:
    parsed = build_parser().parse_args(["devices", "call", "lock.front_door", "unlock", "--force"])
    assert parsed.force is True
    unforced = build_parser().parse_args(["devices", "call", "lock.front_door", "unlock"])
    assert unforced.force is False


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_once_with_an_unwritable_out_folder_stops_before_loading(
    tmp_path: Path, where: str
) -> None:
    """Checked before any model loads: an empty model store would otherwise be the error."""
    if where == "proc":
        out, reason = Path("/proc/nope"), "No such file or directory"
    else:
        (tmp_path / "a-file").write_text("")
        out, reason = tmp_path / "a-file" / "replies", "Not a directory"
    wav = tmp_path / "command.wav"
    wav.write_bytes(b"")
    empty_store = tmp_path / "store"
    result = run("once", "--out", str(out), str(wav), cwd=tmp_path,
                 ASSISTANT_MODELS__DIR=str(empty_store))  # fmt: skip
    assert one_line(result) == (
        f"assistant: --out {out}: cannot write there ({reason}); choose a folder you can write to"
    )
    assert not empty_store.exists()


def test_models_fetch_from_a_missing_wheel_folder_says_so(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run("models", "fetch", "--wheels", "nowhere", cwd=tmp_path,
                 ASSISTANT_MODELS__DIR=str(store))  # fmt: skip
    assert one_line(result) == "assistant: --wheels nowhere: no such folder"
    assert not store.exists()


# --- what people expect of a command line ---------------------------------------------------


def test_version(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"assistant {installed_version()}\n"


def test_python_dash_m_assistant_is_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "--version"],
        capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"assistant {installed_version()}\n"


def complete_in_bash(script: str, *words: str) -> list[str]:
    """What bash offers for the last of `words` (`""` for a new word), with `script` loaded."""
    quoted = " ".join(f"'{word}'" for word in words)
    program = (
        f"{script}\nCOMP_WORDS=({quoted}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n"
        '_assistant assistant "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_bash_completion_is_generated_from_the_parser(tmp_path: Path) -> None:
    result = run("completion", "bash", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    script = result.stdout
    assert complete_in_bash(script, "assistant", "mo") == ["models", "model"]
    assert complete_in_bash(script, "assistant", "--config", "x.toml", "models", "f") == ["fetch"]
    assert complete_in_bash(script, "assistant", "models", "fetch", "--w") == ["--wheels"]
    assert complete_in_bash(script, "assistant", "eval", "--level", "") == ["text", "audio", "all"]
    assert complete_in_bash(script, "assistant", "devices", "call", "--f") == ["--force"]
    (tmp_path / "replies").mkdir()
    assert complete_in_bash(script, "assistant", "once", "--out", f"{tmp_path}/rep") == [
        f"{tmp_path}/replies"
    ]


def test_zsh_completion_uses_the_same_table_through_bashcompinit(tmp_path: Path) -> None:
    result = run("completion", "zsh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bash = run("completion", "bash", cwd=tmp_path).stdout
    header, _, rest = result.stdout.partition("# bash completion")
    assert "bashcompinit" in header
    assert rest.endswith(bash.partition("# bash completion")[2])
    zsh = shutil.which("zsh")
    if zsh is not None:  # where zsh is installed, the script must at least parse
        check = subprocess.run(
            [zsh, "-n", "-c", result.stdout], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stderr


def test_models_list_json_on_an_empty_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run("models", "list", "--json", cwd=tmp_path, ASSISTANT_MODELS__DIR=str(store))
    assert result.returncode == 1
    listed = json.loads(result.stdout)
    assert listed["store"] == str(store)
    states = {model["id"]: (model["state"], model["default"]) for model in listed["models"]}
    for spec in load_manifest().models.values():
        assert states[spec.id] == ("missing" if spec.default else "not-fetched", spec.default)
    assert "default model(s) missing or corrupt" in result.stderr


def test_skills_list_json(tmp_path: Path) -> None:
    result = run("skills", "list", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    skills = {skill["name"]: skill for skill in json.loads(result.stdout)}
    assert skills["clock"]["state"] == "enabled"
    assert "HassGetCurrentTime" in skills["clock"]["tools"]
    assert skills["clock"]["reason"] is None
    assert skills["clock"]["source"].endswith("clock.py")


# --- the language model switched off --------------------------------------------------------


async def test_the_language_model_is_not_loaded_when_switched_off(tmp_path: Path) -> None:
    settings = load_settings(
        understanding={"model": False}, storage={"state_dir": tmp_path},
        hardware={"profile": "none"},
    )  # fmt: skip
    async with assemble(settings, engines=("llm",)) as assembled:
        assert "llm" not in assembled.engines.load_seconds
        result = await assembled.turns.from_text("what time is it")
    assert result.response is not None and result.response.startswith("It's ")


def test_ask_with_the_model_switched_off_loads_no_model(tmp_path: Path) -> None:
    result = run("-v", "ask", "what time is it", cwd=tmp_path,
                 ASSISTANT_UNDERSTANDING__MODEL="false")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "loaded llm" not in result.stderr
    assert "language model" not in result.stderr
    assert "  reply: It's " in result.stdout
