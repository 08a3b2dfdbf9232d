"""The background process `assistant model tune` starts (see `assistant.training.tune`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.config import load_settings
from assistant.training.tune import home_from_file, tune


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.training.tune_main",
                                     allow_abbrev=False)  # fmt: skip
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--examples", type=int, required=True)
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args(argv)

    def progress(event: dict[str, Any]) -> None:
        print(json.dumps(event), flush=True)

    try:
        run = tune(load_settings(args.config), home_from_file(args.home), args.examples,
                   args.work, progress)  # fmt: skip
    except Exception as error:  # the log is all the user sees of a background run
        progress({"stage": "failed", "error": str(error)})
        return 1
    progress({"stage": "finished", "run": run.name})
    return 0


if __name__ == "__main__":
    sys.exit(main())
