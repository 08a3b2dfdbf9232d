"""`assistant serve` as Home Assistant meets it: Wyoming over real TCP on loopback, spoken with
the wyoming package's own client, and the listener's security (allow-list, TLS with a secret).

The listener's tests run a small handler of their own; the services' tests run the real
`assistant serve` process, its models loaded once for the module, over a private Mosquitto
with the simulated home on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info

from assistant.errors import ConfigError
from assistant.wyoming.client import SecureTcpClient, client_tls_context
from assistant.wyoming.listener import BoundedEventHandler, start_listener
from assistant.wyoming.security import ListenerSecurity, listener_security

SECRET = "correct horse battery staple"
EVENT_SECONDS = 30.0
"""Deadline for one answer: generous, for a busy two-core machine."""


# --- the listener's security ------------------------------------------------------------------


def security(
    uri: str = "tcp://127.0.0.1:0",
    *,
    allow: list[str] | None = None,
    tls: tuple[Path, Path] | None = None,
    secret: str | None = None,
) -> ListenerSecurity:
    cert, key = tls if tls is not None else (None, None)
    return listener_security(
        uri, allow=allow or [], tls_cert=cert, tls_key=key, secret=secret, what="serve"
    )


@pytest.mark.parametrize(
    ("uri", "options", "message"),
    [
        ("tcp://0.0.0.0:10300", {}, "serve.uri tcp://0.0.0.0:10300 listens beyond this machine"),
        ("tcp://192.168.1.5:10300", {}, "set serve.allow to the addresses of the clients"),
        ("tcp://myhost.lan:10300", {}, "listens beyond this machine"),
        ("tcp://127.0.0.1:10300", {"allow": ["home.lan"]}, "host names are not accepted"),
        ("tcp://127.0.0.1:10300", {"allow": ["192.168.1.5/24"]}, "did you mean 192.168.1.0/24"),
        ("http://127.0.0.1:10300", {}, "is not tcp://HOST:PORT"),
        ("tcp://127.0.0.1", {}, "is not tcp://HOST:PORT"),
        ("tcp://127.0.0.1:99999", {}, "the port must be a number from 0 to 65535"),
        ("tcp://127.0.0.1:10300", {"secret": SECRET}, "serve.secret needs TLS"),
    ],
)
def test_an_unsafe_or_malformed_listener_is_refused_in_one_line(
    uri: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        listener_security(
            uri, allow=options.get("allow", []), tls_cert=None, tls_key=None,  # type: ignore[arg-type]
            secret=options.get("secret"), what="serve",  # type: ignore[arg-type]
        )  # fmt: skip
    assert "\n" not in refused.value.message


def test_tls_needs_both_files_that_load_and_a_long_enough_secret(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    with pytest.raises(ConfigError, match=r"serve.tls_cert is set but serve.tls_key is not"):
        listener_security("tcp://0.0.0.0:1", allow=[], tls_cert=cert, tls_key=None,
                          secret=SECRET, what="serve")  # fmt: skip
    with pytest.raises(ConfigError, match=r"serve.secret is 6 characters long"):
        security("tcp://0.0.0.0:1", tls=certificate, secret="abc123")
    with pytest.raises(ConfigError, match=r"no such file"):
        security("tcp://0.0.0.0:1", tls=(tmp_path / "missing.pem", key), secret=SECRET)
    with pytest.raises(ConfigError, match=r"not a usable certificate and key in PEM"):
        security("tcp://0.0.0.0:1", tls=(key, key), secret=SECRET)


def test_what_a_listener_beyond_loopback_may_be() -> None:
    assert security("tcp://0.0.0.0:10300", allow=["192.168.1.0/24", "fd00::5"]).allowed
    assert security("tcp://[::1]:10300").allowed == ()
    assert security("tcp://localhost:10300").ssl_context is None


def test_the_allow_list_reads_addresses_as_a_listener_sees_them() -> None:
    rules = security(allow=["192.168.1.0/24", "10.0.0.7"])
    assert rules.admits("192.168.1.20")
    assert rules.admits("::ffff:192.168.1.20")  # an IPv4 client of a dual-stack listener
    assert rules.admits("10.0.0.7")
    assert not rules.admits("10.0.0.8")
    assert not rules.admits("192.168.2.1")
    assert not rules.admits("not an address")
    assert security().admits("203.0.113.9")  # no list: whoever reaches loopback


def test_the_secret_is_compared_whole() -> None:
    rules = ListenerSecurity((), None, SECRET, "serve")
    assert rules.secret_matches(SECRET)
    assert not rules.secret_matches(SECRET[:-1])
    assert not rules.secret_matches(SECRET + " ")
    assert not rules.secret_matches(None)
    assert not rules.secret_matches(42)
    assert "staple" not in repr(rules)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key, made by openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


class Describer(BoundedEventHandler):
    """A listener's handler for these tests: answers describe with an empty info."""

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(Info().event())
        return True


@pytest.fixture
async def listening(request: pytest.FixtureRequest) -> AsyncIterator[tuple[asyncio.Server, int]]:
    """A listener on a free loopback port with the security the test passes as its param."""
    server = await start_listener("tcp://127.0.0.1:0", request.param, Describer)
    try:
        yield server, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def connected(client: AsyncTcpClient) -> AsyncIterator[AsyncTcpClient]:
    """The client connected; a server that hung up on it (reset) is no error when leaving."""
    await client.connect()
    try:
        yield client
    finally:
        with contextlib.suppress(ConnectionError):
            await client.disconnect()


async def answer(client: AsyncTcpClient, event: Event) -> Event | None:
    """The first event the server sends back after `event`, None if it hung up."""
    try:
        await client.write_event(event)
        return await asyncio.wait_for(client.read_event(), EVENT_SECONDS)
    except ConnectionError:
        return None


async def described(client: AsyncTcpClient) -> bool:
    reply = await answer(client, Describe().event())
    return reply is not None and Info.is_type(reply.type)


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize("listening", [security(allow=["127.0.0.2/32"])], indirect=True)
async def test_a_client_not_on_the_allow_list_is_refused_unheard_and_logged(
    listening: tuple[asyncio.Server, int], caplog: pytest.LogCaptureFixture
) -> None:
    _, port = listening
    with caplog.at_level(logging.WARNING, logger="assistant.wyoming.listener"):
        async with connected(AsyncTcpClient("127.0.0.1", port)) as client:
            assert await answer(client, Describe().event()) is None  # closed, nothing answered
    assert refusals(caplog) == ["serve: refused a connection from 127.0.0.1: not in serve.allow"]


@pytest.mark.parametrize("listening", [security(allow=["127.0.0.0/8"])], indirect=True)
async def test_a_client_on_the_allow_list_is_served(listening: tuple[asyncio.Server, int]) -> None:
    async with AsyncTcpClient("127.0.0.1", listening[1]) as client:
        assert await described(client)


@pytest.fixture
async def tls_listener(
    certificate: tuple[Path, Path],
) -> AsyncIterator[tuple[int, ssl.SSLContext]]:
    """A listener with TLS and a secret: its port, and a client context that trusts it."""
    rules = security("tcp://127.0.0.1:0", tls=certificate, secret=SECRET)
    server = await start_listener("tcp://127.0.0.1:0", rules, Describer)
    try:
        yield server.sockets[0].getsockname()[1], client_tls_context(certificate[0])
    finally:
        server.close()
        await server.wait_closed()


async def test_tls_with_the_right_secret_is_served(
    tls_listener: tuple[int, ssl.SSLContext],
) -> None:
    port, context = tls_listener
    for _ in range(3):  # the upgrade after the address check, every time
        async with SecureTcpClient(
            "127.0.0.1", port, ssl_context=context, secret=SECRET, connect_timeout=EVENT_SECONDS
        ) as client:
            assert await described(client)


@pytest.mark.parametrize("secret", ["wrong secret, long enough", None])
async def test_tls_with_a_wrong_or_missing_secret_is_refused_and_logged(
    tls_listener: tuple[int, ssl.SSLContext], secret: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    port, context = tls_listener
    with caplog.at_level(logging.WARNING, logger="assistant.wyoming.listener"):
        async with SecureTcpClient(
            "127.0.0.1", port, ssl_context=context, secret=secret, connect_timeout=EVENT_SECONDS
        ) as client:
            refusal = await answer(client, Describe().event())
            assert refusal is not None and Error.is_type(refusal.type)
            assert Error.from_event(refusal).code == "unauthenticated"
            assert await asyncio.wait_for(client.read_event(), EVENT_SECONDS) is None
    reason = "wrong secret" if secret else "its first event was 'describe', not 'authenticate'"
    assert refusals(caplog) == [f"serve: refused 127.0.0.1: {reason}"]


async def test_plain_tcp_to_a_tls_listener_is_refused(
    tls_listener: tuple[int, ssl.SSLContext], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="assistant.wyoming.listener"):
        async with connected(AsyncTcpClient("127.0.0.1", tls_listener[0])) as client:
            assert await answer(client, Describe().event()) is None
    (line,) = refusals(caplog)
    assert line.startswith("serve: refused 127.0.0.1: the TLS handshake failed")


@pytest.mark.parametrize("listening", [security()], indirect=True)
async def test_a_client_sending_garbage_is_dropped_and_others_are_not(
    listening: tuple[asyncio.Server, int],
) -> None:
    port = listening[1]
    async with AsyncTcpClient("127.0.0.1", port) as good, AsyncTcpClient("127.0.0.1", port) as bad:
        assert await described(good)
        assert bad._writer is not None  # the client's stream, to announce a payload it never sends
        bad._writer.write(b'{"type": "audio-chunk", "payload_length": 1000000000000}\n')
        refusal = await asyncio.wait_for(bad.read_event(), EVENT_SECONDS)
        assert refusal is not None and Error.from_event(refusal).code == "bad-event"
        assert "past the limit" in Error.from_event(refusal).text
        assert await asyncio.wait_for(bad.read_event(), EVENT_SECONDS) is None
        chunk = Event(type="audio-chunk", data={"rate": 16000, "width": 2, "channels": 1})
        await good.write_event(chunk)  # an event the handler ignores, between two questions
        assert await described(good)
