"""What each command does with its parsed options: one small function per command, which
imports its module only when run, so `assistant --help` and `assistant ask` start fast."""

from __future__ import annotations

import argparse
import json

from assistant.cli import stopping
from assistant.cli.options import check_in_dir, check_out_dir
from assistant.config import Settings


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.live import run_live

    return run_live(settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.serve import run_serve

    return run_serve(settings, args.uri)


def cmd_satellite(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.satellite import run_satellite

    return run_satellite(settings, hub=args.hub, name=args.name)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.bench import run_bench

    bench = run_bench(
        settings, args.turns, idle_seconds=args.idle_seconds, as_json=args.json,
        satellite=args.satellite,
    )  # fmt: skip
    return stopping.run(bench)


def cmd_audio_devices(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.live import run_audio_devices

    return run_audio_devices(as_json=args.json)


def cmd_once(args: argparse.Namespace, settings: Settings) -> int:
    # Before anything loads or any device is commanded: a reply that cannot be written must
    # stop the command at once, not after the light already switched.
    out_dir = check_out_dir(args.out) if args.out is not None else None
    from assistant.cli.turns import run_once

    return run_once(
        settings, args.wavs, as_json=args.json, use_wake=not args.no_wake, out_dir=out_dir
    )


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.turns import run_ask

    texts: list[str] = args.text
    at = {"room": args.room, "satellite": args.satellite}
    if texts == ["-"]:
        return run_ask(settings, None, as_json=args.json, **at)  # standard input, a line each
    return run_ask(settings, [" ".join(texts)], as_json=args.json, **at)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation import run_eval

    return run_eval(
        settings,
        levels=args.level or ["all"],
        devset=args.set,
        limit=args.limit,
        json_out=args.json,
        home=args.home,
    )


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    out_dir = check_out_dir(args.out)  # before anything loads, as for `once`
    from assistant.cli.demo import run_demo

    return stopping.run(run_demo(settings, out_dir))


def cmd_devices_list(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.devices import run_devices_list

    return run_devices_list(settings, as_json=args.json)


def cmd_devices_call(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.devices import run_devices_call

    return run_devices_call(
        settings, args.entity, args.service, args.data, as_json=args.json, timeout=args.timeout,
        force=args.force,
    )  # fmt: skip


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.devices import run_simulate

    return run_simulate(settings, args.home, args.offline, args.slow, args.lose)


def cmd_skills_list(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.skills import run_skills_list

    return run_skills_list(settings, as_json=args.json)


def cmd_tools_schema(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.skills import run_tools_schema

    return run_tools_schema(settings)


def cmd_models_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.models import run_models_fetch

    wheel_dir = check_in_dir(args.wheels, "--wheels") if args.wheels is not None else None
    return run_models_fetch(settings, args.ids, every=args.all, wheel_dir=wheel_dir)


def cmd_models_tune(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.tune import run_model_tune

    return run_model_tune(settings, examples=args.examples, wait=args.wait, back=args.revert)


def cmd_models_list(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.models import run_models_list

    return run_models_list(settings, rehash=False, as_json=args.json)


def cmd_models_verify(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.cli.models import run_models_list

    return run_models_list(settings, rehash=True)


def cmd_doctor(args: argparse.Namespace) -> int:
    from assistant.doctor import run_doctor

    return run_doctor(
        getattr(args, "config", None), deep=args.deep, as_json=args.json, satellite=args.satellite
    )


def cmd_config_show(args: argparse.Namespace, settings: Settings) -> int:
    shown = settings.model_dump(mode="json")
    choice = settings.hardware_choice
    if choice is not None:
        # Not settings (not accepted in a config file): what `profile` meant on this machine, so
        # "auto" is never a mystery. `applied` is null when no profile file was used.
        shown["hardware"].update(board=choice.board, applied=choice.profile)
    print(json.dumps(shown, indent=2))
    return 0


def cmd_completion(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from assistant.cli.completion import completion_script

    print(completion_script(parser, args.shell), end="")
    return 0
