"""The client side of `listener`: wyoming's own TCP client, over TLS when asked, sending the
shared secret as its first event when there is one.

    async with SecureTcpClient(host, port, ssl_context=context, secret=secret) as client:
        await client.write_event(Describe().event())

`client_tls_context(ca_file)` trusts the listener's certificate (its own, when self-signed)
and checks that it names the host connected to.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from wyoming.client import AsyncTcpClient

from assistant.wyoming.listener import authenticate_event


class SecureTcpClient(AsyncTcpClient):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        secret: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> None:
        super().__init__(host, port, connect_timeout=connect_timeout, read_timeout=read_timeout)
        self.ssl_context = ssl_context
        self._secret = secret

    async def connect(self) -> None:
        opening = asyncio.open_connection(self.host, self.port, ssl=self.ssl_context)
        self._reader, self._writer = await asyncio.wait_for(opening, self.connect_timeout)
        if self._secret is not None:
            await self.write_event(authenticate_event(self._secret))


def client_tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """TLS 1.2 or later, trusting `ca_file` (else the system's authorities)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
