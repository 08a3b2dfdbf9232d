"""Home Assistant style templates from discovery payloads, in the sandbox."""

from __future__ import annotations

import resource
import time

import pytest

from assistant.devices.templates import (
    TemplateBoundExceeded,
    TemplateError,
    render_command,
    render_value,
)


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
        "{{ 'x' * 6e8 }}",  # a float repeat count is a type error
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


@pytest.mark.parametrize(
    "template",
    [
        "{{ 9**(9**9) }}",
        "{{ (2**4000) * (2**4000) }}",
        "{{ 'x' * 600000000 }}",
        "{{ [0] * 600000000 }}",
        "{{ 'x' * 100000 }}",  # fits a value, but not the output
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        "{% for i in range(10**9) %}{% endfor %}",
        "{% for a in range(9000) %}{% for b in range(9000) %}{{ a }}{% endfor %}{% endfor %}",
        "{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s | length }}",
        "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('ab') }}",
        "{{ ('x' * 200000) | replace('x', 'xxxxxxxxxx') | length }}",
        "{{ '%0999999999d' | format(1) }}",
        "{{ '%0999999999d' % 1 }}",
        "{{ 'x'.ljust(999999999) }}",
        "{{ 'x'.center(999999999) }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ ('\t' * 100000).expandtabs(100000) }}",
        "{{ ('x' * 200000).replace('x', 'yy') | length }}",
        "{{ ('-' * 100000) | join('x' * 100000) | length }}",
    ],
)
def test_templates_past_a_bound_fail_fast_and_small(template: str) -> None:
    """Defect 19: a retained template like this froze `ask` or took gigabytes; now it fails
    within a fraction of a second, in little memory, as a bound exceeded."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(TemplateBoundExceeded) as error:
        render_value(template, '{"a": 1}')
    assert time.monotonic() - started < 2.0
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kib < 200_000, f"peak memory grew by {grown_kib} KiB"
    assert error.value.code == "template-bound-exceeded"
    assert "bound" in error.value.message


def test_bounds_leave_ordinary_templates_alone() -> None:
    json_state = '{"state": "ON", "list": [1, 2, 3], "text": "a,b"}'
    loop = "{% for x in value_json.list %}{{ x * 2 }}{% endfor %}"
    assert render_value(loop, json_state) == "246"
    assert render_value("{{ value_json.text.split(',') | join('-') }}", json_state) == "a-b"
    assert render_value("{{ '%.1f' | format(21.26) }}", "") == "21.3"
    assert render_value("{{ 2 ** 10 }} {{ 'ab' * 3 }}", "") == "1024 ababab"
    assert render_value("{{ value.replace(',', '.') }}", "21,5") == "21.5"
    assert render_value("{{ range(3) | list | sum }}", "") == "3"
    assert render_value("{{ '{:.1f}'.format(value | float) }}", "21.26") == "21.3"
    assert render_value("{{ value.zfill(4) }}", "7") == "0007"
