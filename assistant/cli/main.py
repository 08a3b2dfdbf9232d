"""The `assistant` command line.

Exit codes: 0 success; 1 some input failed (its JSON object says why); 2 the runtime could not
start (bad configuration, missing model), with one line on standard error naming the fix; 143
(130) stopped by SIGTERM (Ctrl-C), except `run`, `serve` and `satellite`, for which being
stopped is a clean end: 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

# Before anything imports huggingface_hub: at run time nothing may fetch from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.cli import stopping
from assistant.cli.parser import build_parser
from assistant.config import Settings, load_settings
from assistant.errors import AssistantError
from assistant.logs import configure_logging

EXIT_INPUT_FAILED = 1
EXIT_CANNOT_START = 2
SERVICES = ("run", "serve", "satellite")
"""Commands that run until stopped: being stopped is a clean end (0), and they log at info."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(_log_level(args))
    # `kill`, systemd and CI stop with SIGTERM, a person with Ctrl-C: either unwinds what the
    # command started (a private broker, MQTT sessions) and ends it promptly, at any point.
    stopping.install(service=args.command in SERVICES)
    status = _run(args)
    if stopping.requested():
        stopping.exit_now(status)
    return status


def _run(args: argparse.Namespace) -> int:
    try:
        if not getattr(args, "needs_settings", True):  # doctor, completion
            standalone: Callable[[argparse.Namespace], int] = args.handler
            return standalone(args)
        handler: Callable[[argparse.Namespace, Settings], int] = args.handler
        settings = load_settings(getattr(args, "config", None))
        return handler(args, settings)
    except AssistantError as error:
        print(f"assistant: {error.message}", file=sys.stderr)
        return EXIT_CANNOT_START
    except KeyboardInterrupt:
        return stopping.exit_status()
    except BrokenPipeError:
        # The reader went away (`assistant models list --json | head`): not an error to
        # report. Point stdout at /dev/null so the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a writer stopped by SIGPIPE


def _log_level(args: argparse.Namespace) -> int:
    """-v is debug; otherwise --log-level, whose default is info for the service (one line per
    turn in the journal) and warning for commands a person runs by hand."""
    if getattr(args, "verbose", False):
        return logging.DEBUG
    default = "info" if args.command in SERVICES else "warning"
    level: int = getattr(logging, getattr(args, "log_level", default).upper())
    return level
