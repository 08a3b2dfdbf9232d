"""A Wyoming TCP listener that applies a `ListenerSecurity` before any event is read.

For each connection, in order:

1. The client's address against the allow-list. A client not on it is disconnected at once,
   before anything it sent is read, and logged at warning with its address.
2. TLS, when configured: the open connection is upgraded after that check, so a stranger
   costs no handshake. A failed handshake is logged and the connection closed.
3. When a secret is set, the first event must be `{"type": "authenticate", "data":
   {"secret": "..."}}`, within `AUTH_SECONDS`. A wrong or missing one is answered with an
   `error` event (code `unauthenticated`), logged, and the connection closed.
4. The handler made by `handler_factory(reader, writer)` runs the connection.

API (shared by `assistant serve` and the hub's listener for satellites):

    server = await start_listener(uri, security, handler_factory)   # an asyncio.Server
    class MyHandler(BoundedEventHandler): ...   # wyoming's AsyncEventHandler, bounded reads
    event = await read_event(reader)            # one event, within the size limits
    authenticate_event(secret)                  # what a client sends first (`client.py`)

`start_listener` raises ConfigError for a malformed address and AssistantError (code
`listen-failed`) when the address cannot be listened on (in use, not this machine's). One
connection's failure is logged and ends that connection only.

Events are read with limits (`read_event`): wyoming's own reader believes the lengths a client
announces, so one client announcing a 10 GB payload would take the process's memory, and every
other client with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Callable
from typing import Any

from wyoming.error import Error
from wyoming.event import Event, async_write_event
from wyoming.server import AsyncEventHandler

from assistant.config.wyoming import tcp_address
from assistant.errors import AssistantError, ConfigError
from assistant.wyoming.security import ListenerSecurity

log = logging.getLogger(__name__)

AUTHENTICATE = "authenticate"
"""The event a client sends first to a listener with a secret (not part of Wyoming itself)."""
AUTH_SECONDS = 10.0
"""Time a client has for the TLS handshake, and again for its `authenticate` event."""
MAX_HEADER_BYTES = 64 * 1024
MAX_DATA_BYTES = 1024 * 1024
MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
"""One audio chunk: a second of 8-channel 32-bit audio at 192 kHz is 6 MB."""
_AUTH_DATA_BYTES = 4096

HandlerFactory = Callable[[asyncio.StreamReader, asyncio.StreamWriter], AsyncEventHandler]


class BadEvent(AssistantError):
    """A client sent something that is not a Wyoming event, or one past the size limits."""

    code = "bad-event"


async def start_listener(
    uri: str, security: ListenerSecurity, handler_factory: HandlerFactory
) -> asyncio.Server:
    """Listen on `uri` (tcp://HOST:PORT); each admitted, authenticated connection is run by
    a handler from `handler_factory`. Close the returned server to stop accepting."""
    try:
        host, port = tcp_address(uri)
    except ValueError as error:
        raise ConfigError(f"{security.what}.uri: {error}") from None

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _connection(reader, writer, security, handler_factory)
        except asyncio.CancelledError:
            # The process is stopping. This task is nobody's to await, and Python 3.11's
            # stream protocol reads its end with task.exception(), which for a cancelled task
            # logs a traceback; ended like this, the client just sees the connection close.
            writer.close()

    try:
        return await asyncio.start_server(connected, host, port, limit=MAX_HEADER_BYTES)
    except OSError as error:
        raise AssistantError(
            f"{security.what}.uri {uri}: cannot listen there: {error.strerror or error}",
            code="listen-failed",
        ) from None


async def _connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    security: ListenerSecurity,
    handler_factory: HandlerFactory,
) -> None:
    peer = writer.get_extra_info("peername")
    address = str(peer[0]) if peer else "an unknown address"
    what = security.what
    if not security.admits(address):
        log.warning("%s: refused a connection from %s: not in %s", what, address,
                    security.allow_setting)  # fmt: skip
        writer.close()  # nothing it sent is read, nothing is answered
        return
    try:
        if security.ssl_context is not None:
            # Awaited directly, not through wait_for: a task of its own would let the client's
            # first TLS bytes reach the plain reader before the upgrade takes the transport.
            await writer.start_tls(security.ssl_context, ssl_handshake_timeout=AUTH_SECONDS)
    except (ssl.SSLError, OSError, TimeoutError) as error:
        log.warning("%s: refused %s: the TLS handshake failed (%s)", what, address, error)
        writer.close()
        return
    if security.secret is not None and not await _authenticated(reader, writer, security, address):
        return
    log.debug("%s: client %s connected", what, address)
    try:
        await handler_factory(reader, writer).run()
    except (ConnectionError, ssl.SSLError) as error:
        log.info("%s: client %s went away (%s)", what, address, error)
    except Exception:  # a fault of ours must end this connection only, never the listener
        log.exception("%s: the connection from %s failed", what, address)
        writer.close()


async def _authenticated(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    security: ListenerSecurity,
    address: str,
) -> bool:
    """Whether the client's first event carries the secret; if not, it is told and dropped."""
    try:
        event = await asyncio.wait_for(
            read_event(reader, max_data_bytes=_AUTH_DATA_BYTES, max_payload_bytes=0),
            AUTH_SECONDS,
        )
    except TimeoutError:
        reason = f"no authenticate event within {AUTH_SECONDS:.0f} s"
    except BadEvent as error:
        reason = error.message
    except (ConnectionError, ssl.SSLError):
        reason = "the connection broke before it authenticated"
    else:
        if event is None:
            reason = "it closed the connection before authenticating"
        elif event.type != AUTHENTICATE:
            reason = f"its first event was {event.type!r}, not {AUTHENTICATE!r}"
        elif not security.secret_matches(event.data.get("secret")):
            reason = "wrong secret"
        else:
            return True
    log.warning("%s: refused %s: %s", security.what, address, reason)
    refusal = Error(text=f"refused: {reason}", code="unauthenticated").event()
    with contextlib.suppress(ConnectionError, ssl.SSLError, RuntimeError):
        await async_write_event(refusal, writer)
    writer.close()
    return False


def authenticate_event(secret: str) -> Event:
    """What a client sends first to a listener that has a secret."""
    return Event(type=AUTHENTICATE, data={"secret": secret})


async def read_event(
    reader: asyncio.StreamReader,
    *,
    max_data_bytes: int = MAX_DATA_BYTES,
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
) -> Event | None:
    """The next event, or None when the connection ended (between events or inside one).
    BadEvent for what is not a Wyoming event or exceeds a limit."""
    try:
        line = await reader.readline()
    except ValueError:  # the stream's limit: a header line longer than MAX_HEADER_BYTES
        raise BadEvent(f"an event header longer than {MAX_HEADER_BYTES} bytes") from None
    if not line.endswith(b"\n"):
        return None
    header = _json_object(line, "header")
    kind = header.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadEvent("an event without a type")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise BadEvent(f"{kind}: its data is not a JSON object")
    data_length = _length(header, "data_length", max_data_bytes, kind)
    payload_length = _length(header, "payload_length", max_payload_bytes, kind)
    try:
        if data_length:
            data = {**data, **_json_object(await reader.readexactly(data_length), "data")}
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError:
        return None
    return Event(type=kind, data=data, payload=payload)


class BoundedEventHandler(AsyncEventHandler):
    """wyoming's AsyncEventHandler, reading with `read_event`'s limits. A client that sends
    something that is no event is told so (an `error` event, code `bad-event`) and dropped;
    so is one silent for `silence_limit_seconds`, when set."""

    silence_limit_seconds: float | None = None

    async def run(self) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(self.silence_limit_seconds):
                        event = await read_event(self.reader)
                except BadEvent as error:
                    await self.write_event(Error(text=error.message, code=error.code).event())
                    break
                except TimeoutError:
                    log.warning("%s: nothing heard for %.0f s; the connection is closed",
                                self.peer(), self.silence_limit_seconds)  # fmt: skip
                    break
                if event is None or not await self.handle_event(event):
                    break
        finally:
            await self.disconnect()
            self.writer.close()

    def peer(self) -> str:
        """Who is at the other end, for the log."""
        peer = self.writer.get_extra_info("peername")
        return str(peer[0]) if peer else "an unknown address"


def _json_object(raw: bytes, part: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise BadEvent(f"not a Wyoming event: its {part} is not JSON") from None
    if not isinstance(value, dict):
        raise BadEvent(f"not a Wyoming event: its {part} is not a JSON object")
    return value


def _length(header: dict[str, Any], key: str, limit: int, kind: str) -> int:
    value = header.get(key) or 0
    if not isinstance(value, int) or value < 0:
        raise BadEvent(f"{kind}: {key} {value!r} is not a byte count")
    if value > limit:
        raise BadEvent(f"{kind}: {key} {value} is past the limit of {limit} bytes")
    return value
