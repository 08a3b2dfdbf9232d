"""The `assistant` command line: one module per group of commands."""

from assistant.cli.main import main

__all__ = ["main"]
