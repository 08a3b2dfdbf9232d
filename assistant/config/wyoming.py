"""`[serve]`: the Wyoming listener `assistant serve` opens for Home Assistant, and the shape of
the values every Wyoming listener of the runtime takes (`tcp_address`, `client_network`).

Only the shape of each value is checked here. Which combinations are safe (a listener beyond
loopback needs an allow-list, or TLS with a shared secret) is decided in one place for every
listener, `assistant.wyoming.security.listener_security`, because `--uri` can replace the
configured address after the settings were read.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_URI = "tcp://127.0.0.1:10300"
"""Loopback only, on the port Home Assistant's Wyoming add-ons conventionally use."""

Network = IPv4Network | IPv6Network


def tcp_address(uri: str) -> tuple[str, int]:
    """(host, port) of `tcp://HOST:PORT`, the address convention of Wyoming's own servers
    (an IPv6 host in brackets: `tcp://[::1]:10300`); port 0 takes any free port. Raises
    ValueError saying what is wrong."""
    parsed = urlsplit(uri.strip())
    shape = f"{uri!r} is not tcp://HOST:PORT (for example {DEFAULT_URI})"
    if parsed.scheme != "tcp" or parsed.path not in ("", "/") or parsed.query:
        raise ValueError(shape)
    if parsed.username is not None or parsed.password is not None or parsed.fragment:
        raise ValueError(shape)
    try:
        port = parsed.port
    except ValueError:
        raise ValueError(f"{uri!r}: the port must be a number from 0 to 65535") from None
    if not parsed.hostname or port is None:
        raise ValueError(shape)
    return parsed.hostname, port


def client_network(text: str) -> Network:
    """An allowed client: one address (`192.168.1.20`, `fd00::5`) or a network in CIDR form
    (`192.168.1.0/24`). Host names are not taken: what a name resolves to can change after
    start-up, an address cannot. Raises ValueError saying what is wrong."""
    try:
        return ip_network(text.strip(), strict=True)
    except ValueError:
        pass
    try:
        loose = ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an IP address or a network in CIDR form "
            "(192.168.1.20, 192.168.1.0/24, fd00::/8); host names are not accepted"
        ) from None
    raise ValueError(f"{text!r} has bits set past its prefix: did you mean {loose}?")


class ServeSettings(BaseModel):
    """`assistant serve`: speech to text, text to speech, wake word and intent handling over
    the Wyoming protocol, for Home Assistant's Wyoming integration."""

    # As every section of the settings tree (`settings.Section`, which this module cannot
    # import: settings imports this one): a misspelt key stops start-up.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    uri: str = Field(
        default=DEFAULT_URI,
        description="Where to listen, tcp://HOST:PORT (`--uri` overrides it). Loopback unless "
        "set otherwise; any other address needs `allow`, or `tls_cert`, `tls_key` and `secret`.",
    )
    allow: list[str] = Field(
        default=[],
        description="Client addresses or networks (CIDR) that may connect, e.g. Home "
        "Assistant's address; anyone else is refused and logged. Empty: anyone who can reach "
        "a loopback address, or who presents the secret over TLS.",
    )
    tls_cert: Path | None = Field(default=None, description="TLS certificate (PEM) to serve.")
    tls_key: Path | None = Field(default=None, description="Its private key (PEM).")
    secret: SecretStr | None = Field(
        default=None,
        description="Shared secret a client must send first, over TLS only (an `authenticate` "
        "event); shown masked by `config show`.",
    )
    zeroconf: bool = Field(
        default=False,
        description="Announce the services on the network (mDNS, _wyoming._tcp), where the "
        "listener listens, so Home Assistant offers to add them. Off: nothing listens but the "
        "listener.",
    )

    @field_validator("uri")
    @classmethod
    def _tcp_address(cls, uri: str) -> str:
        tcp_address(uri)
        return uri.strip()

    @field_validator("allow")
    @classmethod
    def _client_networks(cls, allow: list[str]) -> list[str]:
        return [str(client_network(entry)) for entry in allow]
