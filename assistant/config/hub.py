"""`[hub]` and `[satellite]`: one `assistant run` in the home is the hub, and small boards
running `assistant satellite` connect to it, each standing in a room.

The hub's configured satellites (`[[hub.satellites]]`) are the only ones it accepts: a board
that names itself otherwise is refused, and one with an `address` must connect from there (the
listener's allow-list is made of them). A satellite with a `uri` is a Wyoming server itself
(the stock `wyoming-satellite`): the hub connects to it instead. The hub's own microphone is a
satellite too, named `hub.name`, in `hub.room`.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from assistant.config.wyoming import client_network, tcp_address

DEFAULT_HUB_URI = "tcp://127.0.0.1:10700"
"""Loopback only, on a port of its own (Home Assistant's Wyoming services use 10300–10500)."""
FIND_HUB = "zeroconf"
"""`[satellite] hub_uri` for a hub found on the network (`assistant.wyoming.mdns`)."""


class _Section(BaseModel):
    # As every section of the settings tree (`settings.Section`, which this module cannot
    # import: settings imports this one): a misspelt key stops start-up.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SatelliteEntry(_Section):
    """One satellite the hub accepts."""

    name: str = Field(min_length=1, description="The name it gives (its `[satellite] name`).")
    room: str | None = Field(
        default=None,
        description="The room it stands in: a command without a room means this one. Unset is "
        "reported by `assistant doctor` and at start-up.",
    )
    address: str | None = Field(
        default=None,
        description="The address it connects from (or a network in CIDR form); together these "
        "are the listener's allow-list. Unset: any address the listener admits.",
    )
    uri: str | None = Field(
        default=None,
        description="Where it listens, tcp://HOST:PORT, when it is a Wyoming server itself (the "
        "stock wyoming-satellite, run with --uri and a local wake word, --wake-uri): the hub "
        "connects to it there, and again whenever the connection ends. Unset: it connects to "
        "the hub (assistant satellite).",
    )

    @field_validator("name", "room")
    @classmethod
    def _stripped(cls, text: str | None) -> str | None:
        return text.strip() if text is not None else None

    @field_validator("address")
    @classmethod
    def _network(cls, address: str | None) -> str | None:
        return str(client_network(address)) if address is not None else None

    @field_validator("uri")
    @classmethod
    def _tcp_address(cls, uri: str | None) -> str | None:
        if uri is None:
            return None
        if tcp_address(uri)[1] == 0:
            raise ValueError(f"{uri!r}: the hub connects there, so the port cannot be 0")
        return uri.strip()

    @model_validator(mode="after")
    def _one_direction(self) -> SatelliteEntry:
        if self.uri is not None and self.address is not None:
            raise ValueError(
                f"satellite {self.name!r}: address is where a satellite connects from, and "
                "this one is connected to at its uri; set one of them"
            )
        return self

    @property
    def dialed(self) -> bool:
        """The hub connects to it (it is a Wyoming server), not it to the hub."""
        return self.uri is not None


class HubSettings(_Section):
    """`assistant run` as the hub: where satellites connect, and how one of them is chosen when
    several hear the same wake word."""

    uri: str = Field(
        default=DEFAULT_HUB_URI,
        description="Where satellites connect, tcp://HOST:PORT; opened only when satellites are "
        "configured. Loopback unless set otherwise; any other address needs satellite "
        "addresses, or tls_cert, tls_key and secret.",
    )
    name: str = Field(default="hub", min_length=1, description="The hub's own microphone's name.")
    room: str | None = Field(default=None, description="The room the hub's microphone is in.")
    own_audio: bool = Field(
        default=True,
        description="The hub has a microphone and a speaker of its own; false: it only serves "
        "satellites (announcements without a satellite then go to all of them).",
    )
    satellites: list[SatelliteEntry] = Field(default=[], description="[[hub.satellites]]")
    arbitration_window_seconds: float = Field(
        default=0.4,
        ge=0.0,
        le=5.0,
        description="How long to wait for other satellites that heard the same wake word; the "
        "choice is made sooner once every listening satellite has reported.",
    )
    arbitration_rule: Literal["best", "first"] = Field(
        default="best",
        description='"best": the satellite that heard the wake word best (speech level, and '
        'its wake score) answers; "first": the first to report (as Home Assistant does).',
    )
    tls_cert: Path | None = Field(default=None, description="TLS certificate (PEM) to serve.")
    tls_key: Path | None = Field(default=None, description="Its private key (PEM).")
    secret: SecretStr | None = Field(
        default=None, description="Shared secret satellites send first, over TLS only."
    )
    zeroconf: bool = Field(
        default=False,
        description="Announce the hub's listener on the network (mDNS, _assistant-hub._tcp), "
        'for satellites whose hub_uri is "zeroconf". Off: nothing listens but the listener.',
    )

    @field_validator("uri")
    @classmethod
    def _tcp_address(cls, uri: str) -> str:
        tcp_address(uri)
        return uri.strip()

    @model_validator(mode="after")
    def _satellites_apart(self) -> HubSettings:
        names = [self.name, *(satellite.name for satellite in self.satellites)]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(
                f"satellite names must differ from each other and from hub.name: {doubled}"
            )
        # The addresses are the listener's allow-list: one satellite without an address
        # would be shut out by the others' (or let anyone in, were they ignored).
        calling = self.calling()
        unplaced = [s.name for s in calling if s.address is None]
        if unplaced and len(unplaced) < len(calling):
            raise ValueError(f"set the address of every satellite or of none: {unplaced} have none")
        return self

    def entry(self, name: str) -> SatelliteEntry | None:
        """The configured satellite of that name."""
        return next((s for s in self.satellites if s.name == name), None)

    def calling(self) -> list[SatelliteEntry]:
        """The satellites that connect to the hub (its listener is for them alone)."""
        return [satellite for satellite in self.satellites if not satellite.dialed]

    def without_room(self) -> list[str]:
        """The microphones of the home with no room set: the hub's own (if it has one) and
        each satellite's, by name."""
        own = [self.name] if self.own_audio and not self.room else []
        return own + [satellite.name for satellite in self.satellites if not satellite.room]


class SatelliteSettings(_Section):
    """`assistant satellite`: the hub to stream to (`--hub` and `--name` override these)."""

    hub_uri: str = Field(
        default=DEFAULT_HUB_URI,
        description='The hub, tcp://HOST:PORT; "zeroconf": the hub that announces itself on '
        "the network ([hub] zeroconf), looked for again at every reconnection.",
    )
    name: str = Field(
        default_factory=socket.gethostname,
        min_length=1,
        description="This satellite's name, as [[hub.satellites]] lists it (default: the host "
        "name).",
    )
    secret: SecretStr | None = Field(
        default=None, description="The hub's shared secret (sent over TLS only)."
    )
    tls_ca: Path | None = Field(
        default=None,
        description="The certificate (or CA) the hub's TLS is checked against; TLS is used "
        "when this or a secret is set (with the system's authorities when this is unset).",
    )
    reconnect_min_seconds: float = Field(default=0.5, gt=0.0, le=60.0)
    reconnect_max_seconds: float = Field(default=30.0, gt=0.0, le=600.0)

    @field_validator("hub_uri")
    @classmethod
    def _tcp_address(cls, uri: str) -> str:
        if uri.strip() == FIND_HUB:
            return FIND_HUB
        tcp_address(uri)
        return uri.strip()

    @model_validator(mode="after")
    def _found_hub_checked(self) -> SatelliteSettings:
        if self.finds_hub and not self.tls:
            # Anyone on the network can announce a hub, and would hear every command.
            raise ValueError(
                'hub_uri = "zeroconf" trusts whoever announces a hub on the network: set '
                "tls_ca (the hub's certificate) so that only yours is, or give the hub's address"
            )
        return self

    @property
    def finds_hub(self) -> bool:
        """The hub's address is looked for on the network (mDNS), not configured."""
        return self.hub_uri == FIND_HUB

    @property
    def tls(self) -> bool:
        return self.tls_ca is not None or self.secret is not None
