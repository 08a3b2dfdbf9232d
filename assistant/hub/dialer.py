"""The hub's connection to a satellite that is a Wyoming server itself: the stock
`wyoming-satellite` (`[[hub.satellites]] uri`), which waits for a server to connect, as Home
Assistant does. The hub connects, and again after every loss, with exponential backoff and
jitter, for as long as it runs; nothing needs a restart on either side.

Such a satellite takes one server at a time (the last to connect), so a board that Home
Assistant also uses is taken over by whichever connected last.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Callable

from assistant.config.hub import SatelliteEntry
from assistant.config.wyoming import tcp_address
from assistant.hub.link import SatelliteLink
from assistant.live.repeated import RepeatedProblem
from assistant.wyoming.listener import MAX_HEADER_BYTES

log = logging.getLogger(__name__)

_CONNECT_SECONDS = 5.0
_RETRY_MIN_SECONDS = 0.5
_RETRY_MAX_SECONDS = 30.0
# A board that loses power closes nothing, and wyoming-satellite 1.0 answers no ping: the
# kernel's keepalive ends an idle connection within idle + interval x count (25 s), and one
# with data unacknowledged for the user timeout (30 s), not the default ~15 minutes.
_KEEPALIVE_IDLE_SECONDS, _KEEPALIVE_INTERVAL_SECONDS, _KEEPALIVE_COUNT = 10, 5, 3
_USER_TIMEOUT_MS = 30_000

LinkFactory = Callable[[SatelliteEntry, asyncio.StreamReader, asyncio.StreamWriter], SatelliteLink]


async def keep_dialing(entry: SatelliteEntry, link_for: LinkFactory) -> None:
    """Connect to the satellite and run its link, again whenever it ends; until cancelled."""
    assert entry.uri is not None
    host, port = tcp_address(entry.uri)
    problem = RepeatedProblem(log, f"hub: satellite {entry.name} at {entry.uri}")
    delay_seconds = _RETRY_MIN_SECONDS
    while True:
        try:
            async with asyncio.timeout(_CONNECT_SECONDS):
                reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEADER_BYTES)
        except (OSError, TimeoutError) as error:
            problem.failed(f"cannot connect: {error or 'no answer'}")
        else:
            _keep_alive(writer)
            link = link_for(entry, reader, writer)
            try:
                await link.run()
            except (ConnectionError, OSError) as error:
                log.info("hub: satellite %s: the connection broke: %s", entry.name, error)
            except Exception as error:  # a defect: this satellite is still connected again
                log.error("hub: satellite %s: the connection failed: %r", entry.name, error)
            if link.place is not None:  # it had been admitted: a fresh start
                problem.ended()
                delay_seconds = _RETRY_MIN_SECONDS
            else:
                problem.failed(link.refusal or "it closed the connection before saying what it is")
        await asyncio.sleep(delay_seconds * (0.5 + random.random() / 2))
        delay_seconds = min(delay_seconds * 2, _RETRY_MAX_SECONDS)


def _keep_alive(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (
        ("TCP_KEEPIDLE", _KEEPALIVE_IDLE_SECONDS),
        ("TCP_KEEPINTVL", _KEEPALIVE_INTERVAL_SECONDS),
        ("TCP_KEEPCNT", _KEEPALIVE_COUNT),
        ("TCP_USER_TIMEOUT", _USER_TIMEOUT_MS),
    ):
        if hasattr(socket, option):  # Linux has all four
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)
