"""`assistant serve`: Wyoming services for Home Assistant (`assistant.wyoming.serve`)."""

from __future__ import annotations

from assistant.cli import stopping
from assistant.cli.turns import one_shot_keeper
from assistant.config import Settings
from assistant.wyoming.serve import serve, serve_security


def run_serve(settings: Settings, uri: str | None) -> int:
    """Serve until SIGTERM or Ctrl-C. An unsafe or malformed address is refused before any
    model loads. Timers set through it are kept by `assistant run` on the same state folder
    when it runs (serve has no speaker to ring them), as for `ask`."""
    address = uri or settings.serve.uri
    serve_security(settings, address)  # refused now, not after seconds of loading models
    stopping.run(
        serve(settings, address, keeper=one_shot_keeper(settings),
              listening=lambda line: print(line, flush=True))
    )  # fmt: skip
    return 0  # not reached: it serves until stopped
