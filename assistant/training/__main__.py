"""`python -m assistant.training`: train the specialist adapter from the installed skills.

Progress goes to standard error as one line per step (and to `progress.jsonl` in the work
folder); rerunning the same command resumes from the last checkpoint.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from assistant.config import load_settings
from assistant.modelstore.store import ModelStore
from assistant.training.finetune import Recipe
from assistant.training.pipeline import run


def main(argv: list[str] | None = None) -> int:
    defaults = Recipe()
    parser = argparse.ArgumentParser(prog="python -m assistant.training", allow_abbrev=False,
                                     description=__doc__.splitlines()[0])  # fmt: skip
    parser.add_argument(
        "--out", type=Path, required=True, help="folder for the adapter and its record"
    )
    parser.add_argument(
        "--work", type=Path, default=Path.home() / ".cache/assistant/training",
        help="checkpoints, the dequantized base model and the examples",
    )  # fmt: skip
    parser.add_argument("--examples", type=int, default=defaults.examples)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--rank", type=int, default=defaults.rank)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--config", type=Path, default=None, help="the assistant's TOML config")
    args = parser.parse_args(argv)
    if args.examples <= 0 or args.batch_size <= 0 or args.rank <= 0:
        parser.error("--examples, --batch-size and --rank must be positive")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = load_settings(args.config)
    store = ModelStore(settings.models.dir)
    base = store.resolve("gemma-3-270m", setting="training base model")
    recipe = Recipe(examples=args.examples, seed=args.seed, rank=args.rank, alpha=2 * args.rank,
                    batch_size=args.batch_size, learning_rate=args.learning_rate)  # fmt: skip
    args.work.mkdir(parents=True, exist_ok=True)
    log_file = (args.work / "progress.jsonl").open("a", encoding="utf-8")

    def progress(event: dict[str, Any]) -> None:
        line = json.dumps(event)
        log_file.write(line + "\n")
        log_file.flush()
        print(line, file=sys.stderr, flush=True)

    record = run(settings, base, args.out, args.work, recipe, progress=progress)
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
