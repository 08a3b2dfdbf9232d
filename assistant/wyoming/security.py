"""Who may talk to a Wyoming listener of ours. Wyoming has no authentication of its own
(OHF-Voice/wyoming#11): whoever reaches the port can transcribe, speak and switch the lights.

The rules, the same for every listener (`assistant serve`, the hub's listener for satellites):

- A listener on a loopback address (127.0.0.0/8, ::1, localhost) is reachable only from this
  machine, and needs nothing more.
- Any other address (0.0.0.0, a LAN address, a host name) needs an allow-list of client
  addresses or networks, or TLS with a shared secret, or both; otherwise start-up stops with
  one line naming the settings to add.
- An allow-list, where given, is enforced on every listener, loopback included.
- A secret is only ever sent over TLS: a secret without TLS is refused at start-up.

API:

    security = listener_security(uri, allow=[...], tls_cert=..., tls_key=..., secret=...,
                                 what="serve")     # ConfigError naming `serve.<key>`
    server = await start_listener(uri, security, handler_factory)   # assistant.wyoming.listener
    security.admits("192.168.1.20")                 # the allow-list, as the listener applies it
    security.secret_matches(given)                  # constant time

`what` is the settings section the values came from: messages and log lines name
`<what>.allow`, `<what>.tls_cert`, … so a person knows what to change.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
from dataclasses import dataclass, field
from ipaddress import IPv6Address, ip_address
from pathlib import Path

from assistant.config.wyoming import Network, client_network, tcp_address
from assistant.errors import ConfigError

MIN_SECRET_CHARS = 16
"""A shared secret shorter than this could be guessed by a patient client on the LAN."""


@dataclass(frozen=True)
class ListenerSecurity:
    allowed: tuple[Network, ...]
    """Client addresses admitted; empty: anyone who reaches the listener (loopback, or a
    client that presents the secret over TLS)."""
    ssl_context: ssl.SSLContext | None
    """TLS, server side; None: plain TCP."""
    secret: str | None = field(repr=False)
    """What a client's first event (`authenticate`) must carry; None: no such event."""
    what: str = "listener"
    """The settings section these came from, named in log lines."""
    allow_setting: str = ""
    """Where the allow-list is set, for log lines (`<what>.allow` unless said otherwise)."""

    def admits(self, address: str) -> bool:
        """Whether a client at `address` may go on (the allow-list; everyone without one).
        An IPv4 client of a dual-stack listener (::ffff:192.168.1.20) is its IPv4 address."""
        if not self.allowed:
            return True
        try:
            peer = ip_address(address.split("%", 1)[0])  # fe80::1%eth0: the zone is no part
        except ValueError:
            return False
        if isinstance(peer, IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped
        return any(peer in network for network in self.allowed)

    def secret_matches(self, given: object) -> bool:
        """Constant time: digests of equal length are compared, so neither the secret's
        length nor how much of it a guess got right shows in the time taken."""
        if self.secret is None:
            return True
        if not isinstance(given, str):
            return False
        return hmac.compare_digest(_digest(given), _digest(self.secret))


def listener_security(
    uri: str,
    *,
    allow: list[str],
    tls_cert: Path | None,
    tls_key: Path | None,
    secret: str | None,
    what: str,
    allow_setting: str | None = None,
) -> ListenerSecurity:
    """The security of a listener on `uri`, or ConfigError with one line saying what to set."""
    try:
        host, _ = tcp_address(uri)
        allowed = tuple(client_network(entry) for entry in allow)
    except ValueError as error:
        raise ConfigError(f"{what}: {error}") from None
    if (tls_cert is None) != (tls_key is None):
        given, missing = ("tls_cert", "tls_key") if tls_key is None else ("tls_key", "tls_cert")
        raise ConfigError(f"{what}.{given} is set but {what}.{missing} is not: TLS needs both")
    if secret is not None and tls_cert is None:
        raise ConfigError(
            f"{what}.secret needs TLS ({what}.tls_cert and {what}.tls_key): over plain TCP the "
            "secret would cross the network readable by anyone on it"
        )
    if secret is not None and len(secret) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"{what}.secret is {len(secret)} characters long: use at least {MIN_SECRET_CHARS} "
            "(e.g. the output of `openssl rand -hex 16`)"
        )
    if not is_loopback(host) and not allowed and secret is None:
        raise ConfigError(
            f"{what}.uri {uri} listens beyond this machine, and Wyoming has no authentication: "
            f"set {what}.allow to the addresses of the clients (e.g. Home Assistant's), or "
            f"{what}.tls_cert, {what}.tls_key and {what}.secret, or listen on 127.0.0.1"
        )
    context = None
    if tls_cert is not None and tls_key is not None:
        context = server_tls_context(tls_cert, tls_key, what=what)
    return ListenerSecurity(allowed, context, secret, what, allow_setting or f"{what}.allow")


def is_loopback(host: str) -> bool:
    """Whether `host` can only be reached from this machine. A host name other than
    localhost is taken as reachable from elsewhere: what it resolves to may change."""
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def server_tls_context(cert: Path, key: Path, *, what: str) -> ssl.SSLContext:
    """TLS 1.2 or later with the certificate and key, or ConfigError naming both files."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except FileNotFoundError as error:
        raise ConfigError(
            f"{what}.tls_cert/{what}.tls_key: {error.filename}: no such file"
        ) from None
    except (ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", None) or error.strerror or str(error)
        raise ConfigError(
            f"{what}.tls_cert {cert} with {what}.tls_key {key}: not a usable certificate and "
            f"key in PEM ({reason})"
        ) from None
    return context


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()
