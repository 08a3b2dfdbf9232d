"""`assistant serve`: the runtime's speech to text, text to speech, wake word and intent
handling as Wyoming services on one secured listener, the models loaded once for every client.

Start-up refuses an unsafe listener before any model loads (`listener_security`), then loads
and warms the models, opens the listener and says where it listens. Under systemd it reports
READY=1 then, and feeds the watchdog from the event loop (a loop that hangs starves it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable

from assistant.config import Settings
from assistant.engines import EngineName
from assistant.live.loop import warm_up
from assistant.pipeline.assembly import assemble
from assistant.pipeline.turn_log import TurnLog
from assistant.service import notify
from assistant.skills.context import Keeper
from assistant.wyoming.listener import start_listener
from assistant.wyoming.mdns import WYOMING_SERVICE, announced
from assistant.wyoming.security import ListenerSecurity, listener_security
from assistant.wyoming.services import ServiceConnection, Services

log = logging.getLogger(__name__)

ENGINES: tuple[EngineName, ...] = ("wake", "stt", "tts", "llm")
"""No voice activity detection: a Wyoming client sends a command's audio already cut."""


def serve_security(settings: Settings, uri: str) -> ListenerSecurity:
    """`[serve]`'s security for a listener on `uri`, or ConfigError saying what to set."""
    serve = settings.serve
    secret = serve.secret.get_secret_value() if serve.secret is not None else None
    return listener_security(
        uri, allow=serve.allow, tls_cert=serve.tls_cert, tls_key=serve.tls_key, secret=secret,
        what="serve",
    )  # fmt: skip


async def serve(
    settings: Settings,
    uri: str,
    *,
    keeper: Callable[[], Keeper] | None = None,
    listening: Callable[[str], None],
) -> None:
    """Serve until cancelled. `listening` is told the address and services once clients can
    connect; `keeper` says who keeps what skills schedule (`SkillContext.keeper`)."""
    security = serve_security(settings, uri)
    notify.status("loading models")
    async with assemble(settings, engines=ENGINES, role="serve", keeper=keeper) as assembled:
        assembled.turns.bus.subscribe(TurnLog())  # one line per handled turn; no words
        services = Services.of(assembled)
        await warm_up(assembled)

        def connection(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> ServiceConnection:
            return ServiceConnection(reader, writer, services)

        server = await start_listener(uri, security, connection)
        host, port = server.sockets[0].getsockname()[:2]
        async with server, _watchdog(), _announced(settings, host, port):
            address = f"tcp://[{host}]:{port}" if ":" in host else f"tcp://{host}:{port}"
            listening(f"Serving Wyoming on {address}: {_offered(services)}")
            notify.ready(f"serving Wyoming on {address}")
            await server.serve_forever()


def _announced(
    settings: Settings, host: str, port: int
) -> contextlib.AbstractAsyncContextManager[str | None]:
    """Home Assistant's discovery finds the services ([serve] zeroconf), or nothing is said."""
    if not settings.serve.zeroconf:
        return contextlib.nullcontext(None)
    return announced(WYOMING_SERVICE, f"assistant on {socket.gethostname()}", host, port)


def _offered(services: Services) -> str:
    settings = services.engines.settings
    model = "llm" in services.engines.load_seconds
    handle = "rules" + (f" + {settings.llm.model}" if model else "")
    wake = ", ".join(services.detectors.models)
    return (f"asr ({settings.stt.model}), tts ({settings.tts.voice}), wake ({wake}), "
            f"handle ({handle})")  # fmt: skip


@contextlib.asynccontextmanager
async def _watchdog() -> AsyncIterator[None]:
    """systemd's watchdog fed at half its interval, from the event loop, while serving."""
    interval = notify.watchdog_interval_seconds()

    async def feed(seconds: float) -> None:
        while True:
            notify.watchdog_ping()
            await asyncio.sleep(seconds / 2)

    task = asyncio.create_task(feed(interval)) if interval else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
