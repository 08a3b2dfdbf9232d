"""`[hub]` and `[satellite]`: what they accept, and what the doctor says of them."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.cli.satellite import satellite_settings
from assistant.config import Settings
from assistant.config.hub import HubSettings, SatelliteSettings
from assistant.doctor.hub import check_hub_listener, check_rooms
from assistant.errors import ConfigError
from assistant.hub.hub import listener_for


def hub(**values: Any) -> HubSettings:
    return HubSettings.model_validate(values)


def test_the_defaults_listen_on_loopback_and_choose_the_best() -> None:
    settings = HubSettings()
    assert settings.uri == "tcp://127.0.0.1:10700"
    assert settings.arbitration_rule == "best" and 0.3 <= settings.arbitration_window_seconds <= 0.5


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"uri": "http://0.0.0.0:10700"}, "is not tcp://HOST:PORT"),
        ({"satellites": [{"name": "a"}, {"name": "a"}]}, "must differ"),
        ({"name": "kitchen", "satellites": [{"name": "kitchen"}]}, "must differ"),
        ({"satellites": [{"name": "a", "address": "host.lan"}]}, "host names are not accepted"),
        ({"satellites": [{"name": "a", "address": "10.0.0.2"}, {"name": "b"}]}, "every satellite"),
        ({"arbitration_rule": "loudest"}, "'best' or 'first'"),
        ({"arbitration_window_seconds": 9}, "less than or equal to 5"),
        ({"satellites": [{"name": "a", "colour": "red"}]}, "Extra inputs are not permitted"),
        ({"satellites": [{"name": "a", "uri": "tcp://10.0.0.2:0"}]}, "the port cannot be 0"),
        ({"satellites": [{"name": "a", "uri": "10.0.0.2:10700"}]}, "is not tcp://HOST:PORT"),
        (
            {"satellites": [{"name": "a", "uri": "tcp://10.0.0.2:10700", "address": "10.0.0.2"}]},
            "set one of them",
        ),
    ],
)
def test_what_the_hub_refuses(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        hub(**values)


def test_a_listener_beyond_loopback_needs_the_satellites_addresses_or_tls() -> None:
    beyond = r"hub\.uri tcp://0\.0\.0\.0:10700 listens beyond .* of each of \[\[hub\.satellites"
    with pytest.raises(ConfigError, match=beyond):
        listener_for(hub(uri="tcp://0.0.0.0:10700", satellites=[{"name": "kitchen"}]))
    security = listener_for(hub(uri="tcp://0.0.0.0:10700", satellites=[
        {"name": "kitchen", "address": "192.168.1.21"},
        {"name": "bedroom", "address": "192.168.1.22"},
    ]))  # fmt: skip
    assert security.admits("192.168.1.22") and not security.admits("192.168.1.23")


def test_a_satellite_finds_its_hub_on_the_network_only_if_it_can_check_it() -> None:
    with pytest.raises(ValueError, match="trusts whoever announces a hub"):
        SatelliteSettings(hub_uri="zeroconf", name="kitchen")
    found = SatelliteSettings(hub_uri=" zeroconf ", name="kitchen", tls_ca="/etc/hub.pem")
    assert found.finds_hub and found.hub_uri == "zeroconf"


def test_satellites_the_hub_connects_to_need_no_address_and_open_no_listener() -> None:
    settings = hub(uri="tcp://0.0.0.0:10700", satellites=[
        {"name": "kitchen", "address": "192.168.1.21"},
        {"name": "stock", "uri": "tcp://192.168.1.40:10700"},
    ])  # fmt: skip
    assert [s.name for s in settings.calling()] == ["kitchen"]
    assert not listener_for(settings).admits("192.168.1.40")  # it never connects in
    only_dialed = hub(uri="tcp://0.0.0.0:10700", satellites=[{"name": "s", "uri": "tcp://h:1"}])
    assert only_dialed.calling() == []
    assert check_hub_listener(Settings(hub=only_dialed)).status == "ok"  # no listener opens
    check = check_hub_listener(Settings.model_validate({"hub": settings.model_dump()}))
    assert check.status == "ok", check
    assert check.detail == (
        "kitchen may connect to tcp://0.0.0.0:10700; "
        "the hub connects to stock at tcp://192.168.1.40:10700"
    )


def test_the_doctor_names_each_microphone_without_a_room() -> None:
    settings = Settings.model_validate({"hub": {"satellites": [
        {"name": "kitchen", "room": "Kitchen"}, {"name": "bedroom"},
    ]}})  # fmt: skip
    check = check_rooms(settings)
    assert check.status == "warn" and check.detail == "no room set for hub, bedroom"
    assert check.fix is not None and "[hub] (its own microphone, hub)" in check.fix
    assert "for bedroom in [[hub.satellites]]" in check.fix
    placed = Settings.model_validate({"hub": {"room": "Hallway", "satellites": [
        {"name": "kitchen", "room": "Kitchen"},
    ]}})  # fmt: skip
    assert check_rooms(placed).status == "ok"
    assert check_rooms(placed).detail == "hub in Hallway, kitchen in Kitchen"
    assert check_hub_listener(placed).status == "ok"


def test_the_doctor_fails_a_listener_start_up_would_refuse() -> None:
    settings = Settings.model_validate(
        {"hub": {"uri": "tcp://0.0.0.0:10700", "satellites": [{"name": "kitchen"}]}}
    )
    check = check_hub_listener(settings)
    assert check.status == "fail" and "listens beyond this machine" in check.detail


def test_the_command_line_goes_over_the_satellite_section() -> None:
    settings = Settings.model_validate({"satellite": {"name": "kitchen"}})
    link = satellite_settings(settings, hub="tcp://192.168.1.10:10700", name=None)
    assert link.hub_uri == "tcp://192.168.1.10:10700" and link.name == "kitchen"
    assert not link.tls
    with pytest.raises(ConfigError, match=r"satellite --hub .hub\.lan.: .*tcp://HOST:PORT"):
        satellite_settings(settings, hub="hub.lan", name=None)
