"""Finding each other on the network without addresses (mDNS / DNS-SD, "zeroconf"), only
where it is configured: announcing is one more socket on the network (UDP 5353).

- `assistant serve` announces `_wyoming._tcp`, the type Home Assistant's Wyoming integration
  browses for: it then offers to add the services ([serve] zeroconf).
- The hub announces `_assistant-hub._tcp` ([hub] zeroconf), and `assistant satellite` with
  `hub_uri = "zeroconf"` finds it there, again at every reconnection. Not `_wyoming._tcp`:
  Home Assistant would offer to add the hub, whose listener only admits satellites.

An announcement is made on the interfaces the listener listens on, with its addresses (all of
the machine's, for a listener on every address). Anyone on the network can announce anything:
a satellite that finds its hub this way should check it with TLS (`tls_ca`), as it would a
configured address.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator

import ifaddr
from zeroconf import Error, InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

log = logging.getLogger(__name__)

WYOMING_SERVICE = "_wyoming._tcp.local."
HUB_SERVICE = "_assistant-hub._tcp.local."
_RESOLVE_MS = 3000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@contextlib.asynccontextmanager
async def announced(
    service_type: str, name: str, host: str, port: int
) -> AsyncIterator[str | None]:
    """`name` announced as `service_type` at a listener on `host`:`port` while the context
    lasts; yields the name it got (another instance of that name makes it "name (2)"), or
    None when it cannot be announced (logged: a convenience, the listener works without)."""
    listening = ipaddress.ip_address(host)
    if listening.is_unspecified:
        interfaces: InterfaceChoice | list[str] = InterfaceChoice.All
        version = IPVersion.All if listening.version == 6 else IPVersion.V4Only
    else:
        interfaces = [host]
        version = IPVersion.V6Only if listening.version == 6 else IPVersion.V4Only
    addresses = _addresses(listening)
    info = AsyncServiceInfo(
        service_type, f"{_label(name)}.{service_type}", port=port,
        addresses=[ipaddress.ip_address(a).packed for a in addresses],
        server=f"{_label(socket.gethostname())}.local.",
    )  # fmt: skip
    zeroconf: AsyncZeroconf | None = None
    try:
        zeroconf = AsyncZeroconf(interfaces=interfaces, ip_version=version)
        await zeroconf.async_register_service(info, allow_name_change=True)
    except (OSError, Error) as error:
        log.warning("cannot announce %s on the network (mDNS): %s; clients need its address",
                    service_type.removesuffix(".local."), error)  # fmt: skip
        if zeroconf is not None:
            await zeroconf.async_close()
        yield None
        return
    try:
        announced_as = info.name.removesuffix(f".{service_type}")
        log.info("announced on the network (mDNS) as %r, %s at %s port %d", announced_as,
                 service_type.removesuffix(".local."), ", ".join(addresses), port)  # fmt: skip
        yield announced_as
    finally:
        with contextlib.suppress(Exception):  # stopping: the network may already be gone
            await zeroconf.async_unregister_service(info)
        await zeroconf.async_close()


async def find(service_type: str, timeout_seconds: float) -> tuple[str, int, str] | None:
    """The first instance of `service_type` announced on the network: (address, port, name);
    None when none answers within `timeout_seconds`."""
    zeroconf = AsyncZeroconf()
    names: asyncio.Queue[str] = asyncio.Queue()

    def seen(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is not ServiceStateChange.Removed:
            names.put_nowait(name)

    browser = AsyncServiceBrowser(zeroconf.zeroconf, service_type, handlers=[seen])
    try:
        async with asyncio.timeout(timeout_seconds):
            while True:
                name = await names.get()
                info = AsyncServiceInfo(service_type, name)
                resolved = await info.async_request(zeroconf.zeroconf, _RESOLVE_MS)
                addresses = info.parsed_scoped_addresses() if resolved else []
                if addresses and info.port:
                    return addresses[0], info.port, name.removesuffix(f".{service_type}")
    except TimeoutError:
        return None
    finally:
        await browser.async_cancel()
        await zeroconf.async_close()


def _addresses(listening: IPAddress) -> list[str]:
    """The addresses a listener is reached at: its own, or for 0.0.0.0 / :: every address of
    the machine of that family (0.0.0.0: IPv4; ::, dual-stack: both), but loopback and
    link-local ones."""
    if not listening.is_unspecified:
        return [str(listening)]
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            text = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            address = ipaddress.ip_address(text)
            if address.is_loopback or address.is_link_local:
                continue
            if address.version == 4 or listening.version == 6:
                found.append(str(address))
    return found


def _label(text: str) -> str:
    """A DNS label: at most 63 bytes, no dots."""
    return text.replace(".", " ").encode()[:63].decode(errors="ignore").strip() or "assistant"
