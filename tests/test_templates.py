"""Home Assistant style templates from discovery payloads, in the sandbox."""

from __future__ import annotations

import pytest

from assistant.devices.templates import TemplateError, render_command, render_value


@pytest.mark.parametrize(
    ("template", "payload", "expected"),
    [
        ("{{ value_json.state }}", '{"state": "ON"}', "ON"),
        ("{{ value_json.brightness | int }}", '{"brightness": "127.6"}', "127"),
        ("{{ value_json['temperature'] | float | round(1) }}", '{"temperature": 21.26}', "21.3"),
        ("{{ value | upper }}", "on", "ON"),
        ("{{ 'ON' if value_json.power else 'OFF' }}", '{"power": true}', "ON"),
        ("{{ value_json.missing | default('OFF') }}", "{}", "OFF"),
        ("{{ value_json.a.b }}", '{"a": {"b": 3}}', "3"),
        (None, "raw", "raw"),
    ],
)
def test_common_value_templates(template: str | None, payload: str, expected: str) -> None:
    assert render_value(template, payload) == expected


@pytest.mark.parametrize(
    "template",
    [
        "{{ value_json.state }}",  # payload is not JSON: value_json is None
        "{{ value_json.nope.deeper }}",
        "{{ 1 / 0 }}",
        "{% for %}",
        "{{ value.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ 'x' * 100000 }}",
    ],
)
def test_failing_or_unsafe_templates_raise_one_clear_error(template: str) -> None:
    with pytest.raises(TemplateError) as error:
        render_value(template, "not json")
    assert error.value.code == "template-failed"
    assert template in error.value.message


def test_command_templates_see_the_value() -> None:
    assert render_command('{"brightness": {{ value }}}', 76) == '{"brightness": 76}'
    assert render_command(None, 21.5) == "21.5"
    assert render_command(None, "ON") == "ON"
