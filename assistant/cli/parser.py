"""The `assistant` command line's options: every command, its arguments and their checks.

`assistant completion` prints shell completion generated from this same tree.
"""

from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path

from assistant.cli import handlers
from assistant.cli.options import Parser, non_negative_float, positive_float, positive_int

LOG_LEVELS = ("debug", "info", "warning", "error")


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 (one statement per option)
    # The options are accepted before and after the command; the subcommands' copies default
    # to SUPPRESS so they never overwrite a value given before the command.
    common = Parser(add_help=False)
    common.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS, help="TOML configuration file"
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log each stage (the same as --log-level debug)")  # fmt: skip
    common.add_argument(
        "--log-level", choices=LOG_LEVELS, default=argparse.SUPPRESS,
        help="what reaches standard error (default: info for run, warning otherwise)",
    )  # fmt: skip

    parser = Parser(
        prog="assistant", description="Offline voice and smart-device assistant.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"assistant {_version()}")
    # (No parser.set_defaults here: the option objects are shared with every subcommand, so a
    # default set on one would overwrite the value given before the command.)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )

    once = commands.add_parser(
        "once", parents=[common], help="run the voice pipeline on recorded WAV files"
    )
    once.add_argument("wavs", nargs="+", type=Path, metavar="WAV")
    once.add_argument("--json", action="store_true", help="one JSON object per file")
    once.add_argument("--no-wake", action="store_true", help="the files have no wake word")
    once.add_argument("--out", type=Path, metavar="DIR", help="keep the spoken replies as WAVs")
    once.set_defaults(handler=handlers.cmd_once)

    ask = commands.add_parser("ask", parents=[common], help="understand and act on typed text")
    ask.add_argument("text", nargs="+", help="the utterance, or - to read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per utterance")
    ask.add_argument("--room", metavar="ROOM", help="as if heard by a satellite in this room")
    ask.add_argument("--satellite", metavar="NAME", help="as if heard by this satellite")
    ask.set_defaults(handler=handlers.cmd_ask)

    evaluate = commands.add_parser(
        "eval", parents=[common], help="measure understanding and actions on the dev set"
    )
    evaluate.add_argument("--level", action="append", default=[], choices=["text", "audio", "all"],
                          help="text (typed), audio (spoken, clean and noisy), or all")  # fmt: skip
    evaluate.add_argument("--set", type=Path, metavar="FILE", help="another dev set (JSON lines)")
    evaluate.add_argument(
        "--home", type=Path, metavar="FILE", help="another simulated home (TOML, as sim/home.toml)"
    )
    evaluate.add_argument("--limit", type=positive_int, metavar="N", help="only the first N items")
    evaluate.add_argument("--json", type=Path, metavar="FILE", help="save every result")
    evaluate.set_defaults(handler=handlers.cmd_eval)

    demo = commands.add_parser("demo", parents=[common], help="speak a sample and run it through")
    demo.add_argument("--out", type=Path, default=Path("demo-output"), metavar="DIR")
    demo.set_defaults(handler=handlers.cmd_demo)

    models = commands.add_parser(
        "models", aliases=["model"], parents=[common], help="fetch, list, verify and tune models"
    )
    model_commands = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    fetch = model_commands.add_parser("fetch", parents=[common], help="download and verify models")
    fetch.add_argument("ids", nargs="*", help="model ids (default: the default set)")
    fetch.add_argument("--all", action="store_true", help="every model in the manifest")
    fetch.add_argument("--wheels", type=Path, metavar="DIR", help="take wheels from this folder")
    fetch.set_defaults(handler=handlers.cmd_models_fetch)
    listing = model_commands.add_parser("list", parents=[common], help="show installed models")
    listing.add_argument("--json", action="store_true", help="one JSON list of the models")
    listing.set_defaults(handler=handlers.cmd_models_list)
    verify = model_commands.add_parser("verify", parents=[common], help="re-check every sha256")
    verify.set_defaults(handler=handlers.cmd_models_verify)
    tune = model_commands.add_parser(
        "tune", parents=[common], help="specialise the model on this home and its skills"
    )
    tune.add_argument(
        "--examples", type=positive_int, default=2400, help="training examples (2400)"
    )
    tune.add_argument("--wait", action="store_true", help="stay in the foreground until done")
    tune.add_argument("--revert", action="store_true", help="go back to the previous adapter")
    tune.set_defaults(handler=handlers.cmd_models_tune)

    devices = commands.add_parser("devices", parents=[common], help="list and command devices")
    device_commands = devices.add_subparsers(
        dest="devices_command", required=True, metavar="ACTION"
    )
    device_list = device_commands.add_parser("list", parents=[common], help="entities and states")
    device_list.add_argument("--json", action="store_true", help="one JSON object per entity")
    device_list.set_defaults(handler=handlers.cmd_devices_list)
    call = device_commands.add_parser("call", parents=[common], help="run one command")
    call.add_argument("entity", help="entity id, e.g. light.kitchen_ceiling")
    call.add_argument("service", help="turn_on, turn_off, set_temperature, open, lock, …")
    call.add_argument("data", nargs="*", metavar="KEY=VALUE", help="e.g. brightness=30")
    call.add_argument("--json", action="store_true")
    call.add_argument(
        "--timeout", type=positive_float, metavar="SECONDS", help="confirmation deadline"
    )
    call.add_argument(
        "--force", action="store_true", dest="force",
        help="for administrators: bypass the safety policy's confirmation; the call is still "
        "audited",
    )  # fmt: skip
    call.set_defaults(handler=handlers.cmd_devices_call)

    simulate = commands.add_parser(
        "simulate", parents=[common], help="run virtual MQTT devices on the configured broker"
    )
    simulate.add_argument("--home", type=Path, metavar="FILE", help="devices to simulate (TOML)")
    simulate.add_argument("--offline", action="append", default=[], metavar="DEVICE")
    simulate.add_argument("--slow", action="append", default=[], metavar="DEVICE=SECONDS")
    simulate.add_argument("--lose", action="append", default=[], metavar="DEVICE",
                          help="apply commands but never confirm them")  # fmt: skip
    simulate.set_defaults(handler=handlers.cmd_simulate)

    skills = commands.add_parser("skills", parents=[common], help="the loaded skills")
    skill_commands = skills.add_subparsers(dest="skills_command", required=True, metavar="ACTION")
    skill_list = skill_commands.add_parser("list", parents=[common], help="skills, state and tools")
    skill_list.add_argument("--json", action="store_true", help="one JSON list of the skills")
    skill_list.set_defaults(handler=handlers.cmd_skills_list)
    tools = commands.add_parser("tools", parents=[common], help="the tools skills provide")
    tool_commands = tools.add_subparsers(dest="tools_command", required=True, metavar="ACTION")
    schema = tool_commands.add_parser("schema", parents=[common], help="every tool's JSON schema")
    schema.set_defaults(handler=handlers.cmd_tools_schema)

    live = commands.add_parser(
        "run", parents=[common], help="the voice assistant: listen, understand, act, reply"
    )
    live.set_defaults(handler=handlers.cmd_run)
    serve = commands.add_parser(
        "serve", parents=[common],
        help="speech to text, text to speech, wake word and intents for Home Assistant (Wyoming)",
    )  # fmt: skip
    serve.add_argument(
        "--uri", metavar="tcp://HOST:PORT", help="where to listen (default: [serve] uri)"
    )
    serve.set_defaults(handler=handlers.cmd_serve)
    satellite = commands.add_parser(
        "satellite", parents=[common], help="wake word and microphone for a hub in another room"
    )
    satellite.add_argument(
        "--hub", metavar="tcp://HOST:PORT", help='or "zeroconf"; default: [satellite] hub_uri'
    )
    satellite.add_argument("--name", help="this satellite's name (default: [satellite] name)")
    satellite.set_defaults(handler=handlers.cmd_satellite)
    bench = commands.add_parser(
        "bench", parents=[common], help="time the live loop on spoken commands, stage by stage"
    )
    bench.add_argument("--turns", type=positive_int, default=20, help="how many spoken commands")
    bench.add_argument(
        "--idle-seconds", type=non_negative_float, default=60.0,
        help="how long to measure CPU while only listening for the wake word",
    )  # fmt: skip
    bench.add_argument(
        "--json", action="store_true", help="end with one JSON object on the last line"
    )
    bench.add_argument(
        "--satellite", action="store_true",
        help="also say each command to a satellite of this runtime over loopback, and time it",
    )  # fmt: skip
    bench.set_defaults(handler=handlers.cmd_bench)
    audio = commands.add_parser("audio", parents=[common], help="sound cards")
    audio_commands = audio.add_subparsers(dest="audio_command", required=True)
    audio_devices = audio_commands.add_parser(
        "devices", parents=[common], help="microphones and speakers, by index and name"
    )
    audio_devices.add_argument("--json", action="store_true", help="as a JSON list")
    audio_devices.set_defaults(handler=handlers.cmd_audio_devices)

    config = commands.add_parser("config", parents=[common], help="configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = config_commands.add_parser("show", parents=[common], help="print the effective config")
    show.set_defaults(handler=handlers.cmd_config_show)

    doctor = commands.add_parser(
        "doctor", parents=[common], help="check that this machine can run the assistant"
    )
    doctor.add_argument("--json", action="store_true", help="one JSON list of the checks")
    doctor.add_argument("--deep", action="store_true", help="also load every model (slow)")
    doctor.add_argument(
        "--satellite", action="store_true", help="check this board as a satellite of a hub"
    )
    # These two need no settings: doctor reads them itself (a bad one is a finding), and
    # completion must work whatever the environment holds.
    doctor.set_defaults(handler=handlers.cmd_doctor, needs_settings=False)

    completion = commands.add_parser(
        "completion", parents=[common], help="print shell completion for bash or zsh",
        description="Print a completion script. bash: add `eval \"$(assistant completion "
        "bash)\"` to ~/.bashrc; zsh: add `eval \"$(assistant completion zsh)\"` to ~/.zshrc.",
    )  # fmt: skip
    completion.add_argument("shell", choices=["bash", "zsh"])
    completion.set_defaults(
        handler=lambda args: handlers.cmd_completion(args, parser), needs_settings=False
    )
    return parser


def _version() -> str:
    try:
        return metadata.version("assistant")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown (not installed)"
