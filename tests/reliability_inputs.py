"""Hostile inputs for `tests.reliability`: malformed retained MQTT payloads and malformed WAVs.

Pure functions of a seeded `random.Random`, so one seed always makes the same inputs (the
timing of a run is not reproducible, its inputs are). Nothing here starts a process or touches
the network; `tests/reliability.py` publishes and runs what is made here.
"""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# --- malformed retained discovery configs and state payloads ---------------------------------

DISCOVERY_PREFIX = "homeassistant"
FUZZ_BASE = "fuzz"
"""Every topic a fuzz entity would command or report on lives under this, so a command the
assistant sends to one of them is told apart from a command to a real device."""

# Characters that make two names look alike or hide text: zero-width, bidi overrides, a
# Cyrillic "і" and "е", combining marks, a soft hyphen, the BOM and a no-break space.
_TRICKS = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2069",
    "\u0456",
    "\u0435",
    "\u0301",
    "\u0336",
    "\u00ad",
    "\ufeff",
    "\u00a0",
    "\u3000",
    "\U0001f4a1",
]
# Names the unicode tricks imitate: real devices, but never the two the probes command (the
# living room plug and the consultation room light), so a look-alike that rightly makes a name
# ambiguous cannot be mistaken for a probe failure.
_IMITATED = ["Kitchen ceiling light", "Bedroom lamp", "Bedroom reading lamp", "Living room fan"]
_WILDCARD_TOPICS = ["#", "+", f"{FUZZ_BASE}/+/set", f"{FUZZ_BASE}/#", "+/+/set", "a/#/b", "+/#"]
_COMPONENTS = ["light", "switch", "fan", "climate", "cover", "lock", "sensor", "binary_sensor"]
_ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    1e308,
    -1e308,
    0.5,
    "",
    " ",
    "ON",
    [],
    {},
    [1, 2],
    {"a": {"b": {"c": []}}},
    "x" * 5000,
    "\u0000",
    "\ud800",
    "NaN",
    "{{",
    "}}",
]


def hostile_templates(marker_dir: Path) -> list[str]:
    """Jinja that would leave a file in `marker_dir` if it ever got out of the sandbox, and
    templates that try to run for ever or eat memory (the sandbox bounds them)."""
    mark = str(marker_dir / "escaped")
    return [
        f"{{{{ cycler.__init__.__globals__.os.system('touch {mark}-cycler') }}}}",
        f"{{{{ joiner.__init__.__globals__.os.popen('touch {mark}-joiner').read() }}}}",
        f"{{{{ namespace.__init__.__globals__.os.system('touch {mark}-namespace') }}}}",
        f"{{{{ lipsum.__globals__['os'].system('touch {mark}-lipsum') }}}}",
        f"{{{{ self.__init__.__globals__.__builtins__.open('{mark}-open','w').write('x') }}}}",
        f"{{{{ ''.__class__.__mro__[1].__subclasses__()[0]('touch {mark}-mro') }}}}",
        "{% for c in ().__class__.__base__.__subclasses__() %}"
        "{% if c.__name__ == 'catch_warnings' %}"
        f"{{{{ c()._module.__builtins__['__import__']('os').system('touch {mark}-warn') }}}}"
        "{% endif %}{% endfor %}",
        f"{{{{ value_json.__class__.__init__.__globals__['os'].system('touch {mark}-json') }}}}",
        f"{{{{ (value|attr('__class__')).__base__.__subclasses__() }}}}{mark}",
        "{{ 9**(9**9) }}",
        "{{ 'x' * 10**9 }}",
        "{% for i in range(10**9) %}{{ i }}{% endfor %}",
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ 'a'.center(10**9) }}",
        "{{ value_json.x.y.z }}",
        "{{ value_json | tojson | tojson | tojson }}",
        "{% set l = [] %}{% for i in range(10000) %}{% set _ = l.append(l) %}{% endfor %}{{ l }}",
        "{{ range(10**12) | list }}",
        "{{",
        "{% if %}",
        "{{ undefined_thing() }}",
        "{{ value | int(base=99) }}",
        "\u202e{{ value }}\u200b",
        "{{ value_json['\\ud800'] }}",
    ]


@dataclass(frozen=True)
class FuzzMessage:
    topic: str
    payload: bytes
    kind: str
    """What makes it malformed, for the report (`config:truncated`, `state:random-bytes`, …)."""


@dataclass(frozen=True)
class TemplateLamp:
    """A fuzz light whose command template is hostile, commanded by name to render it."""

    name: str
    topic: str
    payload: bytes
    command_topic: str


def _base_config(rng: random.Random, index: int) -> tuple[str, dict[str, Any]]:
    """A plausible discovery config for a fuzz entity, with every topic under `fuzz/`."""
    component = rng.choice(_COMPONENTS)
    base = f"{FUZZ_BASE}/{index}"
    config: dict[str, Any] = {
        "name": f"Fuzz {component} {index}",
        "unique_id": f"fuzz_{index}",
        "state_topic": f"{base}/state",
        "device": {
            "identifiers": [f"fuzz_{index}"],
            "name": f"Fuzz device {index}",
            "suggested_area": f"Fuzz room {index % 7}",
        },
    }
    if component not in ("sensor", "binary_sensor"):
        config["command_topic"] = f"{base}/set"
    if component == "light" and rng.random() < 0.5:
        config |= {"schema": "json", "brightness": True, "brightness_scale": 254}
    elif component == "sensor":
        config |= {"value_template": "{{ value_json.t }}", "unit_of_measurement": "°C"}
    elif component == "climate":
        config |= {"temperature_command_topic": f"{base}/temp/set", "min_temp": 7, "max_temp": 30}
    if rng.random() < 0.3:
        config["availability_topic"] = f"{base}/availability"
    return f"{DISCOVERY_PREFIX}/{component}/fuzz_{index}/config", config


def _dump(config: Any) -> bytes:
    """JSON as a device sends it (UTF-8), except that a lone surrogate, which UTF-8 cannot
    carry, goes as its JSON escape: valid JSON that decodes to text no encoder accepts."""
    escaped = json.dumps(config)
    if "\\ud8" in escaped:
        return escaped.encode()
    return json.dumps(config, ensure_ascii=False).encode()


def _nested(depth: int) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


def fuzz_messages(
    rng: random.Random, count: int, *, state_topics: list[str], marker_dir: Path
) -> list[FuzzMessage]:
    """`count` malformed retained messages, about 60 % discovery configs and 40 % states,
    with valid configs in between (kind `valid:config`, not counted).

    `state_topics` are the real devices' state and availability topics that may be fuzzed
    (the caller leaves out those the probes rely on); fuzz entities' own state topics are
    fuzzed too. Valid configs are published now and then so that later malformed updates,
    removals and state messages have an entity to hit.
    """
    templates = hostile_templates(marker_dir)
    messages: list[FuzzMessage] = []
    published: list[tuple[str, dict[str, Any]]] = []  # valid fuzz configs published so far
    # Two sure look-alikes of a real light, first: a zero-width space (which names fold away)
    # and a Cyrillic "і" (which they keep), so that the probe by that name always meets them.
    for index, name in enumerate(["Kitchen\u200b ceiling light", "Kitchen ceiling l\u0456ght"]):
        base = f"{FUZZ_BASE}/lookalike_{index}"
        config = {
            "name": name, "unique_id": f"lookalike_{index}", "command_topic": f"{base}/set",
            "state_topic": base, "schema": "json", "brightness": True,
            "device": {"identifiers": [f"lookalike_{index}"], "name": name,
                       "suggested_area": "Kitchen"},
        }  # fmt: skip
        # Not among `published`: no later fuzz updates or removes them.
        topic = f"{DISCOVERY_PREFIX}/light/lookalike_{index}/config"
        messages.append(FuzzMessage(topic, _dump(config), "config:look-alike-name"))

    def config_message() -> FuzzMessage:
        index = len(messages)
        topic, config = _base_config(rng, index)
        how = rng.choice(_CONFIG_MUTATIONS)
        return how(rng, topic, config, templates, published)

    def state_message() -> FuzzMessage:
        own = [str(config["state_topic"]) for _, config in published if "state_topic" in config]
        topic = rng.choice(own if own and rng.random() < 0.5 else state_topics)
        payload, kind = rng.choice(_STATE_PAYLOADS)(rng)
        return FuzzMessage(topic, payload, f"state:{kind}")

    while sum(not m.kind.startswith("valid:") for m in messages) < count:
        roll = rng.random()
        if roll < 0.12 or not published:
            topic, config = _base_config(rng, len(messages))
            kind = "valid:config"  # not malformed: not counted, a target for what follows
            if rng.random() < 0.4:
                key = rng.choice(["value_template", "command_template", "availability_template"])
                config[key] = rng.choice(templates)
                kind = "config:hostile-template-entity"
            published.append((topic, config))
            messages.append(FuzzMessage(topic, _dump(config), kind))
        elif roll < 0.6:
            messages.append(config_message())
        else:
            messages.append(state_message())
    return messages


def _mutate_truncated(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    text = _dump(config)
    return FuzzMessage(topic, text[: rng.randrange(0, len(text))], "config:truncated-json")


def _mutate_bytes(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    data = bytearray(_dump(config))
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return FuzzMessage(topic, bytes(data), "config:mutated-bytes")


def _random_bytes(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    size = rng.choice([0, 1, 2, 17, 300, 4000])
    if size == 0:  # an empty retained config removes an entity: here one that never existed
        return FuzzMessage(topic, b"", "config:empty-unknown")
    return FuzzMessage(topic, rng.randbytes(size), "config:random-bytes")


def _wrong_types(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    keys = [
        "name",
        "unique_id",
        "command_topic",
        "state_topic",
        "device",
        "availability",
        "availability_mode",
        "schema",
        "brightness_scale",
        "min_temp",
        "max_temp",
        "payload_on",
        "device_class",
        "qos",
        "value_template",
        "~",
        "object_id",
        "position_open",
    ]
    for key in rng.sample(keys, rng.randint(1, 4)):
        config[key] = rng.choice(_ODD_VALUES)
    if rng.random() < 0.3:
        return FuzzMessage(topic, _dump(rng.choice(_ODD_VALUES)), "config:not-an-object")
    return FuzzMessage(topic, _dump(config), "config:wrong-types")


def _huge(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    size = rng.choice([5_000, 60_000, 70_000, 300_000])  # around max_payload_bytes (65,536)
    key = rng.choice(["name", "command_topic", "state_topic", "unique_id", "value_template"])
    config[key] = "{{ value }}" * (size // 11) if key == "value_template" else "x" * size
    return FuzzMessage(topic, _dump(config), f"config:huge-{key}")


def _templates(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    for key in rng.sample(
        [
            "value_template",
            "command_template",
            "availability_template",
            "state_value_template",
            "brightness_value_template",
            "command_on_template",
            "json_attributes_template",
        ],
        rng.randint(1, 3),
    ):
        config[key] = rng.choice(templates)
    if rng.random() < 0.3:
        config |= {
            "schema": "template",
            "command_on_template": rng.choice(templates),
            "command_off_template": rng.choice(templates),
        }
    return FuzzMessage(topic, _dump(config), "config:hostile-template")


def _wildcards(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    key = rng.choice(
        [
            "command_topic",
            "state_topic",
            "~",
            "availability_topic",
            "brightness_command_topic",
            "set_position_topic",
        ]
    )
    config[key] = rng.choice(_WILDCARD_TOPICS)
    if key == "~":
        config["command_topic"], config["state_topic"] = "~/set", "~/state"
    return FuzzMessage(topic, _dump(config), f"config:wildcard-{key}")


def _unicode(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    name = rng.choice(_IMITATED)
    spot = rng.randrange(len(name) + 1)
    name = name[:spot] + "".join(rng.sample(_TRICKS, rng.randint(1, 3))) + name[spot:]
    if rng.random() < 0.2:
        name = "\ud800" + name  # a lone surrogate: valid JSON escape, not encodable text
    config["name"] = name
    config["device"] = {"identifiers": [config["unique_id"]], "name": name}
    if rng.random() < 0.3:  # odd characters in the discovery topic itself
        topic = f"{DISCOVERY_PREFIX}/light/{rng.choice(_TRICKS)}{len(published)}/config"
    return FuzzMessage(topic, _dump(config), "config:unicode-name")


def _odd_topic(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    index = rng.randrange(10**6)
    odd = rng.choice(
        [
            f"{DISCOVERY_PREFIX}/light/config",
            f"{DISCOVERY_PREFIX}/light/a/b/c/d/e/config",
            f"{DISCOVERY_PREFIX}//{index}/config",
            f"{DISCOVERY_PREFIX}/toaster/fuzz_{index}/config",
            f"{DISCOVERY_PREFIX}/light/fuzz_{index}/../config",
            f"{DISCOVERY_PREFIX}/light/fuzz_{index}/config/extra",
            f"{DISCOVERY_PREFIX}/light/{'n' * 2000}/config",
            f"{DISCOVERY_PREFIX}/LIGHT/fuzz_{index}/config",
        ]
    )
    return FuzzMessage(odd, _dump(config), "config:odd-topic")


def _device_based(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    index = rng.randrange(10**6)
    topic = f"{DISCOVERY_PREFIX}/device/fuzz_dev_{index}/config"
    shape = rng.choice(["list", "many", "nested", "bad-platform", "no-cmps", "shared"])
    data: dict[str, Any] = {
        "dev": {"ids": [f"fuzz_dev_{index}"], "name": f"Fuzz dev {index}"},
        "o": {"name": "fuzz"},
    }
    if shape == "list":
        data["cmps"] = [config]
    elif shape == "many":  # hundreds of entities in one message: slow rebuilds, not a hang
        data["cmps"] = {
            f"c{i}": {
                "p": "switch",
                "name": f"Fuzz dev {index} socket {i}",
                "cmd_t": f"{FUZZ_BASE}/d{index}/{i}/set",
                "uniq_id": f"fd{index}_{i}",
            }
            for i in range(rng.choice([50, 400]))
        }
    elif shape == "nested":
        data["cmps"] = {"a": {"p": "light", "cmps": {"b": config}}}
    elif shape == "bad-platform":
        data["cmps"] = {"a": {"p": rng.choice(["", "toaster", None, 5, ["light"]]), **config}}
    elif shape == "shared":  # top-level keys shared with a component that has a wildcard
        data |= {"cmd_t": "#", "cmps": {"a": {"p": "switch", "name": f"Fuzz shared {index}"}}}
    return FuzzMessage(topic, _dump(data), f"config:device-{shape}")


def _deep_or_big_numbers(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    shape = rng.choice(["deep", "bigint", "inf", "dupkeys", "nul"])
    if shape == "deep":  # json.loads raises RecursionError (not ValueError) on this
        return FuzzMessage(topic, _nested(rng.choice([1000, 50_000])), "config:deep-nesting")
    if shape == "bigint":  # more digits than int() accepts: ValueError from json.loads
        text = _dump(config)[:-1] + b', "brightness_scale": ' + b"9" * 5000 + b"}"
        return FuzzMessage(topic, text, "config:5000-digit-number")
    if shape == "inf":
        text = _dump(config)[:-1] + b', "min_temp": -Infinity, "max_temp": NaN}'
        return FuzzMessage(topic, text, "config:nan-infinity")
    if shape == "dupkeys":
        text = _dump(config)[:-1] + b', "command_topic": "#", "command_topic": 7}'
        return FuzzMessage(topic, text, "config:duplicate-keys")
    return FuzzMessage(topic, _dump(config).replace(b"Fuzz", b"Fu\x00zz"), "config:nul-bytes")


def _update_published(
    rng: random.Random,
    topic: str,
    config: dict[str, Any],
    templates: list[str],
    published: list[tuple[str, dict[str, Any]]],
) -> FuzzMessage:
    """A malformed update, or a removal, of a fuzz entity that exists."""
    old_topic, old = rng.choice(published)
    if rng.random() < 0.25:
        return FuzzMessage(old_topic, b"", "config:removal")
    changed = dict(old)
    changed[rng.choice(list(changed))] = rng.choice(_ODD_VALUES)
    return FuzzMessage(old_topic, _dump(changed), "config:malformed-update")


_Mutation = Callable[
    [random.Random, str, dict[str, Any], list[str], list[tuple[str, dict[str, Any]]]], FuzzMessage
]
_CONFIG_MUTATIONS: list[_Mutation] = [
    _mutate_truncated,
    _mutate_bytes,
    _random_bytes,
    _wrong_types,
    _huge,
    _templates,
    _templates,
    _wildcards,
    _unicode,
    _odd_topic,
    _device_based,
    _deep_or_big_numbers,
    _update_published,
    _update_published,
]


def _state_random(rng: random.Random) -> tuple[bytes, str]:
    return rng.randbytes(rng.choice([1, 8, 200, 3000])), "random-bytes"


def _state_truncated(rng: random.Random) -> tuple[bytes, str]:
    text = json.dumps({"state": "ON", "brightness": 200, "POWER": "ON", "Dimmer": 40}).encode()
    return text[: rng.randrange(1, len(text))], "truncated-json"


def _state_wrong_types(rng: random.Random) -> tuple[bytes, str]:
    report = {
        key: rng.choice(_ODD_VALUES)
        for key in rng.sample(
            [
                "state",
                "brightness",
                "POWER",
                "Dimmer",
                "position",
                "temperature",
                "local_temperature",
                "t",
                "power",
            ],
            3,
        )
    }
    return json.dumps(report).encode("utf-8", "surrogatepass"), "wrong-types"


def _state_numbers(rng: random.Random) -> tuple[bytes, str]:
    return rng.choice(
        [
            b'{"state": "ON", "brightness": 1e400}',
            b'{"state": "ON", "brightness": NaN}',
            b'{"state": "ON", "brightness": -Infinity}',
            b'{"brightness": ' + b"9" * 5000 + b"}",
            b"1e999",
            b"-0",
            b"99999999999999999999999",
        ]
    ), "odd-numbers"


def _state_words(rng: random.Random) -> tuple[bytes, str]:
    return rng.choice(
        [
            b"ON\x00",
            b"\x00",
            b"on\n",
            b"O\xccN",
            b"\xff\xfe",
            "ОN".encode(),
            b"TOGGLE",
            b"\xe2\x80\xaeNO",
            b"true",
            b"null",
            b"[]",
            b'"ON"',
            b"{}",
            b"online\x00",
        ]
    ), "odd-words"


def _state_huge(rng: random.Random) -> tuple[bytes, str]:
    size = rng.choice([60_000, 70_000, 500_000])
    return json.dumps({"state": "ON", "x": "y" * size}).encode(), f"huge-{size}"


def _state_deep(rng: random.Random) -> tuple[bytes, str]:
    return _nested(rng.choice([500, 50_000])), "deep-nesting"


_STATE_PAYLOADS: list[Callable[[random.Random], tuple[bytes, str]]] = [
    _state_random,
    _state_truncated,
    _state_wrong_types,
    _state_numbers,
    _state_words,
    _state_huge,
    _state_deep,
]


def template_lamps(marker_dir: Path) -> list[TemplateLamp]:
    """Template-schema lights whose `command_on_template` is hostile; turning one on renders
    it. Their names are words no real device uses, so a probe names exactly one of them."""
    templates = hostile_templates(marker_dir)
    chosen = [templates[0], templates[4], templates[6], templates[9], templates[11]]
    lamps = []
    for word, template in zip(["alpha", "bravo", "charlie", "delta", "echo"], chosen, strict=True):
        command_topic = f"{FUZZ_BASE}/template_{word}/set"
        config = {
            "name": f"Template lamp {word}",
            "unique_id": f"fuzz_template_{word}",
            "schema": "template",
            "command_topic": command_topic,
            "command_on_template": template,
            "command_off_template": "off",
            "device": {
                "identifiers": [f"fuzz_template_{word}"],
                "name": f"Template lamp {word}",
                "suggested_area": "Fuzz lab",
            },
        }
        topic = f"{DISCOVERY_PREFIX}/light/fuzz_template_{word}/config"
        lamps.append(TemplateLamp(config["name"], topic, _dump(config), command_topic))
    return lamps


# --- malformed WAV files ---------------------------------------------------------------------


@dataclass(frozen=True)
class WavCase:
    name: str
    """The file name, which says what is wrong with it."""
    expected: str
    """`audio-invalid` for a file the header check must refuse; `any` for a file that is
    strange but decodable (silence, NaN samples), where any error code is a right answer."""
    write: Callable[[Path], None]


def _header(
    *,
    tag: int = 1,
    channels: int = 1,
    rate: int = 16_000,
    bits: int = 16,
    align: int | None = None,
    data_bytes: int,
    riff: int | None = None,
    fmt_size: int = 16,
    fmt_declared: int | None = None,
    extra: bytes = b"",
) -> bytes:
    """A canonical header (RIFF, `fmt `, `data`) with any field set to a wrong value; the
    `fmt ` chunk is `fmt_size` bytes long and says it is `fmt_declared` (default: the same)."""
    align = channels * ((bits + 7) // 8) if align is None else align
    byte_rate = (rate * align) & 0xFFFFFFFF
    fmt = struct.pack("<HHIIHH", tag, channels, rate & 0xFFFFFFFF, byte_rate, align, bits)
    fmt = (fmt + extra)[:fmt_size].ljust(fmt_size, b"\0")
    declared = fmt_size if fmt_declared is None else fmt_declared
    body = b"WAVE" + b"fmt " + struct.pack("<I", declared) + fmt
    body += b"data" + struct.pack("<I", data_bytes & 0xFFFFFFFF)
    size = len(body) + data_bytes if riff is None else riff
    return b"RIFF" + struct.pack("<I", size & 0xFFFFFFFF) + body


def _silence(seconds: float = 0.5, rate: int = 16_000) -> bytes:
    return b"\0\0" * int(seconds * rate)


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _sparse(header: bytes, total: int) -> Callable[[Path], None]:
    """A file of `total` bytes that takes no disk space: the header, then a hole."""

    def write(path: Path) -> None:
        with path.open("wb") as handle:
            handle.write(header)
            handle.truncate(total)

    return write


def _directory(path: Path) -> None:
    path.mkdir()


def _nothing(path: Path) -> None:
    """A path that does not exist."""


def wav_cases(rng: random.Random) -> list[WavCase]:
    """One case per way a WAV can be wrong: structure, encoding, rate, size, or not a WAV."""
    pcm = _silence()
    valid = _header(data_bytes=len(pcm)) + pcm
    noise = rng.randbytes(4000)
    ten_minutes = 601 * 8000 * 2
    extensible = struct.pack("<HHI", 22, 16, 3) + b"\x99" * 16  # cbSize, bits, mask, junk GUID

    def invalid(name: str, data: bytes) -> WavCase:
        return WavCase(name, "audio-invalid", _bytes(data))

    def any_code(name: str, data: bytes) -> WavCase:
        return WavCase(name, "any", _bytes(data))

    return [
        invalid("empty.wav", b""),
        invalid("riff-only.wav", b"RIFF\x04\0\0\0WAVE"),
        invalid("header-only.wav", _header(data_bytes=0)),
        invalid("truncated-data.wav", _header(data_bytes=32_000) + pcm[:1000]),
        invalid("truncated-header.wav", valid[:30]),
        invalid("huge-declared-data.wav", _header(data_bytes=0xFFFFFFFE) + pcm),
        invalid("fmt-size-huge.wav", _header(data_bytes=len(pcm), fmt_declared=0xFFFFFFF0) + pcm),
        invalid("fmt-too-short.wav", _header(data_bytes=len(pcm), fmt_size=8) + pcm),
        invalid("no-fmt-chunk.wav", b"RIFF\0\0\0\0WAVEdata" + struct.pack("<I", len(pcm)) + pcm),
        invalid("no-data-chunk.wav", _header(data_bytes=0)[:-8] + b"LIST\x04\0\0\0abcd"),
        invalid(
            "data-before-fmt.wav",
            b"RIFF\0\0\0\0WAVEdata\x04\0\0\0\0\0\0\0" + _header(data_bytes=len(pcm))[12:] + pcm,
        ),
        invalid("chunk-size-past-end.wav", _header(data_bytes=0)[:-8] + b"LIST\xff\xff\xff\x7f"),
        invalid("rate-0.wav", _header(rate=0, data_bytes=len(pcm)) + pcm),
        invalid("rate-7999.wav", _header(rate=7999, data_bytes=len(pcm)) + pcm),
        invalid("rate-192001.wav", _header(rate=192_001, data_bytes=len(pcm)) + pcm),
        invalid("rate-4294967295.wav", _header(rate=0xFFFFFFFF, data_bytes=len(pcm)) + pcm),
        invalid("channels-0.wav", _header(channels=0, align=2, data_bytes=len(pcm)) + pcm),
        invalid("bits-0.wav", _header(bits=0, align=2, data_bytes=len(pcm)) + pcm),
        invalid("bits-12.wav", _header(bits=12, data_bytes=len(pcm)) + pcm),
        invalid("block-align-wrong.wav", _header(align=3, data_bytes=len(pcm)) + pcm),
        invalid(
            "8bit-block-align-0.wav", _header(bits=8, align=0, data_bytes=8000) + b"\x80" * 8000
        ),
        invalid("float-16bit.wav", _header(tag=3, bits=16, data_bytes=len(pcm)) + pcm),
        invalid("float-8bit.wav", _header(tag=3, bits=8, data_bytes=8000) + b"\0" * 8000),
        invalid(
            "ima-adpcm-garbage.wav",
            _header(tag=0x11, bits=4, align=256, data_bytes=len(noise), fmt_size=16) + noise,
        ),
        invalid(
            "ms-adpcm-align-1.wav",
            _header(tag=0x02, bits=4, align=1, data_bytes=len(noise)) + noise,
        ),
        invalid(
            "mp3-tag-junk.wav", _header(tag=0x55, bits=0, align=1, data_bytes=len(noise)) + noise
        ),
        invalid("unknown-tag-0x1234.wav", _header(tag=0x1234, data_bytes=len(pcm)) + pcm),
        invalid(
            "extensible-short.wav", _header(tag=0xFFFE, data_bytes=len(pcm), fmt_size=18) + pcm
        ),
        invalid(
            "extensible-junk-guid.wav",
            _header(tag=0xFFFE, data_bytes=len(pcm), fmt_size=40, extra=extensible) + pcm,
        ),
        invalid("random-bytes.wav", rng.randbytes(4096)),
        invalid("riff-then-random.wav", b"RIFF\0\x10\0\0WAVE" + rng.randbytes(4096)),
        invalid("text-file.wav", b"this is not audio at all\n" * 20),
        invalid("mp3-file.wav", b"ID3\x04\0\0\0\0\0\x00" + b"\xff\xfb\x90\x00" + noise),
        WavCase(
            "ten-minutes-and-a-second.wav",
            "audio-invalid",
            _sparse(_header(rate=8000, data_bytes=ten_minutes), 44 + ten_minutes),
        ),
        WavCase("a-folder.wav", "audio-invalid", _directory),
        WavCase("missing.wav", "audio-invalid", _nothing),
        any_code("riff-size-wrong.wav", _header(data_bytes=len(pcm), riff=0xFFFFFFFF) + pcm),
        any_code("odd-data-length.wav", _header(data_bytes=len(pcm) + 1) + pcm + b"\x01"),
        any_code(
            "channels-32767.wav", _header(channels=32767, data_bytes=65534 * 4) + b"\0" * 65534 * 4
        ),
        any_code(
            "float-nan.wav",
            _header(tag=3, bits=32, data_bytes=32_000) + struct.pack("<f", float("nan")) * 8000,
        ),
        any_code(
            "float-inf.wav",
            _header(tag=3, bits=32, data_bytes=32_000) + struct.pack("<f", float("inf")) * 8000,
        ),
        any_code("streaming-size-0.wav", _header(data_bytes=0) + pcm),
        # IMA ADPCM done right (cbSize 2, 505 samples per 256-byte block) with all-zero blocks,
        # which decode to silence, and a last block cut short.
        any_code(
            "ima-adpcm-truncated-block.wav",
            _header(
                tag=0x11,
                bits=4,
                align=256,
                data_bytes=256 * 20 + 100,
                fmt_size=20,
                extra=struct.pack("<HH", 2, 505),
            )
            + b"\0" * (256 * 20 + 100),
        ),
        invalid("alaw-truncated.wav", _header(tag=6, bits=8, data_bytes=64_000) + b"\xd5" * 1000),
        invalid(
            "gsm-block-align-0.wav",
            _header(
                tag=0x31,
                bits=0,
                align=0,
                data_bytes=650,
                fmt_size=20,
                extra=struct.pack("<HH", 2, 320),
            )
            + b"\0" * 650,
        ),
    ]
