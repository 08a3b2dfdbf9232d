"""`assistant serve` as Home Assistant meets it: Wyoming over real TCP on loopback, spoken with
the wyoming package's own client, and the listener's security (allow-list, TLS with a secret).

The listener's tests run a small handler of their own; the services' tests run the real
`assistant serve` process, its models loaded once for the module, over a private Mosquitto
with the simulated home on it. Speech is Piper's (`Speech`); transcripts are judged by their
word error, never compared exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from paho.mqtt import subscribe
from scipy.signal import resample_poly
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop
from wyoming.wake import Detect, Detection, NotDetected

from assistant.config import load_settings
from assistant.devices.broker import free_loopback_port
from assistant.errors import ConfigError
from assistant.skill_testing import SAMPLE_RATE_HZ, FloatAudio, Speech
from assistant.wyoming.client import SecureTcpClient, client_tls_context
from assistant.wyoming.listener import BoundedEventHandler, start_listener
from assistant.wyoming.mdns import WYOMING_SERVICE, find
from assistant.wyoming.security import ListenerSecurity, listener_security
from assistant.wyoming.synthesize import TextStream

from .conftest import assistant_command, clean_env, rms, simulated_home_env, word_error_rate
from .processes import Lines

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


@pytest.mark.parametrize(
    ("serve", "message"),
    [
        ({"allow": ["home.lan"]}, "config serve.allow = ['home.lan']: Value error, 'home.lan' is"),
        ({"uri": "tcp://x"}, "config serve.uri = 'tcp://x': Value error, 'tcp://x' is not tcp"),
        ({"url": "tcp://127.0.0.1:1"}, "config serve.url = 'tcp://127.0.0.1:1': Extra inputs"),
    ],
)
def test_serve_settings_are_checked_as_every_section_is(
    serve: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(serve=serve)
    assert message in refused.value.message
    assert load_settings(serve={"allow": ["192.168.1.20"]}).serve.allow == ["192.168.1.20/32"]


def test_streamed_text_is_cut_where_sentences_end() -> None:
    text = TextStream()
    assert text.add("It is 3.5 degrees") == ""  # no sentence has ended yet
    assert text.add(" outside. The kitch") == "It is 3.5 degrees outside."
    assert text.add("en light is on! And") == "The kitchen light is on!"
    assert text.rest() == "And"
    assert text.rest() == ""


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


# --- the services, as Home Assistant's Wyoming integration uses them ----------------------------


@dataclass
class Served:
    port: int
    env: dict[str, str]
    """The environment that reaches the simulated home's broker."""
    log: Lines
    """What the server logs (standard error), line by line."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`assistant serve` on a free loopback port, over the simulated home on a private
    Mosquitto (its living room fan offline), admitting only clients at 127.0.0.1 (the tests'
    own address), announced on loopback for Home Assistant's discovery."""
    assistant = assistant_command()
    state = tmp_path_factory.mktemp("serve-state")
    with simulated_home_env(
        assistant, "--offline", "living_room_fan", ASSISTANT_STORAGE__STATE_DIR=str(state),
        ASSISTANT_SERVE__ALLOW='["127.0.0.1"]', ASSISTANT_SERVE__ZEROCONF="true",
    ) as env:  # fmt: skip
        server = subprocess.Popen(
            [*assistant, "serve", "--uri", "tcp://127.0.0.1:0"], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert server.stdout is not None and server.stderr is not None
        output, log = Lines(server.stdout), Lines(server.stderr)
        try:
            try:
                line = output.wait_for(r"^Serving Wyoming on ", START_SECONDS)
            except AssertionError:
                raise AssertionError(f"serve did not start: {log.lines}") from None
            port = int(re.search(r"tcp://127\.0\.0\.1:(\d+)", line)[1])  # type: ignore[index]
            yield Served(port, env, log)
        finally:
            server.terminate()
            assert server.wait(timeout=30) == 0  # a stopped service ends cleanly


START_SECONDS = 300.0
"""Loading and warming four models on a busy two-core machine."""


def client(port: int) -> AsyncTcpClient:
    return AsyncTcpClient("127.0.0.1", port, connect_timeout=EVENT_SECONDS,
                          read_timeout=EVENT_SECONDS)  # fmt: skip


async def events_until(client: AsyncTcpClient, *kinds: str) -> list[Event]:
    """Every event up to and including the first of `kinds` (or an error), in order."""
    received: list[Event] = []
    while True:
        event = await client.read_event()
        assert event is not None, f"the server hung up after {[e.type for e in received]}"
        received.append(event)
        if event.type in kinds or Error.is_type(event.type):
            return received


def pcm(audio: FloatAudio, rate_hz: int, width: int, channels: int) -> bytes:
    """16 kHz speech as interleaved little-endian PCM, made here with numpy and scipy alone;
    channels after the first carry it at half the level (mixing is part of the test)."""
    if rate_hz != SAMPLE_RATE_HZ:
        common = math.gcd(rate_hz, SAMPLE_RATE_HZ)
        audio = resample_poly(audio, rate_hz // common, SAMPLE_RATE_HZ // common)
    levels = np.array([1.0] + [0.5] * (channels - 1))
    frames = np.clip(np.asarray(audio, dtype=np.float64)[:, None] * levels, -1.0, 1.0)
    if width == 1:
        return bytes(np.round(frames * 127 + 128).astype(np.uint8).tobytes())
    if width == 3:
        ints = np.round(frames * 8388607).astype("<i4")
        return bytes(ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes())
    return bytes(np.round(frames * (2 ** (8 * width - 1) - 1)).astype(f"<i{width}").tobytes())


def audio_events(data: bytes, rate_hz: int, width: int, channels: int) -> list[Event]:
    """audio-start, 100 ms audio-chunks with timestamps, audio-stop: as a satellite streams."""
    frame = width * channels
    step = rate_hz // 10 * frame
    events = [AudioStart(rate_hz, width, channels, timestamp=0).event()]
    for offset in range(0, len(data), step):
        timestamp = offset // frame * 1000 // rate_hz
        events.append(AudioChunk(rate_hz, width, channels, data[offset : offset + step],
                                 timestamp=timestamp).event())  # fmt: skip
    return [*events, AudioStop(timestamp=len(data) // frame * 1000 // rate_hz).event()]


async def transcribed(port: int, audio: FloatAudio, rate_hz: int, width: int, channels: int) -> str:
    async with client(port) as asr:
        return await transcript_on(asr, audio, rate_hz, width, channels)


async def transcript_on(
    asr: AsyncTcpClient, audio: FloatAudio, rate_hz: int, width: int, channels: int
) -> str:
    """What the server hears in `audio` sent in that format, as the only answer it gives."""
    await asr.write_event(Transcribe(language="en").event())
    for event in audio_events(pcm(audio, rate_hz, width, channels), rate_hz, width, channels):
        await asr.write_event(event)
    (answer,) = await events_until(asr, "transcript")
    assert Transcript.is_type(answer.type), answer
    return Transcript.from_event(answer).text


async def test_describe_lists_the_four_services_with_their_models(
    served: Served,
) -> None:
    async with client(served.port) as home_assistant:
        await home_assistant.write_event(Describe().event())
        (answer,) = await events_until(home_assistant, "info")
    info = Info.from_event(answer)
    assert [p.name for p in info.asr] == ["faster-whisper"]
    assert [m.name for m in info.asr[0].models] == ["whisper-tiny.en"]
    assert info.asr[0].models[0].languages == ["en"]
    assert [v.name for v in info.tts[0].voices] == ["piper-joe-medium"]
    assert info.tts[0].voices[0].languages == ["en_US"]
    assert info.tts[0].supports_synthesize_streaming
    assert [m.name for m in info.wake[0].models] == ["hey_jarvis"]
    assert info.handle[0].supports_home_control
    for program in (*info.asr, *info.tts, *info.wake, *info.handle):
        assert program.installed and program.version and program.attribution.name


@pytest.mark.parametrize(
    ("rate_hz", "width", "channels"),
    [(16000, 2, 1), (22050, 4, 2), (48000, 3, 1), (8000, 1, 1)],
    ids=["16kHz-16bit-mono", "22.05kHz-32bit-stereo", "48kHz-24bit-mono", "8kHz-8bit-mono"],
)
async def test_transcribe_takes_any_rate_width_and_channel_count(
    served: Served, speech: Speech, rate_hz: int, width: int, channels: int
) -> None:
    said = "turn on the kitchen light"
    audio = speech.audio(said, trail_seconds=0.5)
    heard = await transcribed(served.port, audio, rate_hz, width, channels)
    assert word_error_rate(said, heard) <= 0.2, heard  # at most one word of five


async def test_synthesize_streams_speech_a_sentence_at_a_time(
    served: Served,
) -> None:
    text = "The kitchen light is on. The front door is locked."
    async with client(served.port) as tts:
        await tts.write_event(Synthesize(text=text).event())
        events = await events_until(tts, "audio-stop")
    start, *chunks, stop = events
    assert AudioStart.is_type(start.type) and AudioStop.is_type(stop.type), events[-1]
    form = AudioStart.from_event(start)
    assert (form.rate, form.width, form.channels) == (22050, 2, 1)
    samples = np.frombuffer(b"".join(AudioChunk.from_event(c).audio for c in chunks), "<i2")
    seconds = len(samples) / form.rate
    assert 2.0 < seconds < 8.0, seconds  # ten words, spoken
    assert rms((samples / 32768).astype(np.float32)) > 0.02  # speech, not silence
    assert len(chunks) > 10  # sent in pieces a satellite can start playing


async def test_streamed_text_is_spoken_as_its_sentences_complete(
    served: Served,
) -> None:
    async with client(served.port) as tts:
        await tts.write_event(SynthesizeStart().event())
        await tts.write_event(SynthesizeChunk(text="The kitchen light is on. The fr").event())
        # The first sentence is spoken before the text has ended.
        first = await events_until(tts, "audio-stop")
        assert AudioStart.is_type(first[0].type) and len(first) > 2, first[-1]
        await tts.write_event(SynthesizeChunk(text="ont door is locked.").event())
        whole = "The kitchen light is on. The front door is locked."
        await tts.write_event(Synthesize(text=whole).event())  # for older servers: ignored
        await tts.write_event(SynthesizeStop().event())
        rest = await events_until(tts, "synthesize-stopped")
    assert [e.type for e in rest if not AudioChunk.is_type(e.type)] == [
        "audio-start", "audio-stop", "synthesize-stopped",
    ]  # fmt: skip


async def test_detect_answers_as_soon_as_the_wake_word_is_heard(
    served: Served, speech: Speech
) -> None:
    said = speech.audio("Hey Jarvis", trail_seconds=0.3)
    audio = np.concatenate([said, speech.audio("turn on the kitchen light")])
    start, *chunks, stop = audio_events(pcm(audio, 16000, 2, 1), 16000, 2, 1)
    heard_by_ms = len(said) * 1000 // SAMPLE_RATE_HZ + 500  # the phrase, and half a second
    first = [chunk for chunk in chunks if chunk.data["timestamp"] < heard_by_ms]
    async with client(served.port) as wake_word:
        await wake_word.write_event(Detect(names=["hey_jarvis"]).event())
        for event in [start, *first]:  # only the wake word: the answer must not wait for more
            await wake_word.write_event(event)
        (detection,) = await events_until(wake_word, "detection")
        found = Detection.from_event(detection)
        assert found.name == "hey_jarvis"
        assert found.timestamp is not None and 0 < found.timestamp < heard_by_ms
        for event in [*chunks[len(first) :], stop]:
            await wake_word.write_event(event)
        await wake_word.write_event(Describe().event())
        # No not-detected at the end of a stream in which the wake word was heard.
        assert [e.type for e in await events_until(wake_word, "info")] == ["info"]


async def test_detect_says_not_detected_when_no_wake_word_was_said(
    served: Served, speech: Speech
) -> None:
    audio = speech.audio("turn on the kitchen light")
    async with client(served.port) as wake_word:
        await wake_word.write_event(Detect().event())
        for event in audio_events(pcm(audio, 16000, 2, 1), 16000, 2, 1):
            await wake_word.write_event(event)
        (answer,) = await events_until(wake_word, "not-detected", "detection")
    assert NotDetected.is_type(answer.type)


async def test_home_assistants_discovery_finds_the_services(served: Served) -> None:
    # As Home Assistant's zeroconf discovery does: browse _wyoming._tcp, resolve, describe.
    found = await find(WYOMING_SERVICE, timeout_seconds=30.0)
    assert found is not None, f"nothing announced _wyoming._tcp: {served.log.lines}"
    host, port, name = found
    assert (host, port) == ("127.0.0.1", served.port) and name.startswith("assistant on "), found
    async with client(port) as discovered:
        await discovered.write_event(Describe().event())
        (info,) = await events_until(discovered, "info")
    assert Info.from_event(info).handle, info


async def test_a_transcript_switches_the_light_and_is_handled(
    served: Served,
) -> None:
    port, env = served.port, served.env
    assert await light_state(env) == "OFF"
    async with client(port) as conversation:
        await conversation.write_event(Transcript(text="turn on the kitchen light").event())
        (answer,) = await events_until(conversation, "handled", "not-handled")
        assert Handled.is_type(answer.type), answer
        assert "Kitchen ceiling light" in (Handled.from_event(answer).text or "")
        assert await light_state(env) == "ON"
        await conversation.write_event(Transcript(text="turn off the kitchen light").event())
        (answer,) = await events_until(conversation, "handled", "not-handled")
        assert Handled.is_type(answer.type) and await light_state(env) == "OFF"


async def test_what_is_not_understood_is_not_handled(served: Served) -> None:
    async with client(served.port) as conversation:
        await conversation.write_event(Transcript(text="blorp zibble frangle").event())
        (answer,) = await events_until(conversation, "handled", "not-handled")
    assert NotHandled.is_type(answer.type)
    assert NotHandled.from_event(answer).text == "Sorry, I didn't understand that."


async def test_a_command_that_did_nothing_is_not_handled(served: Served) -> None:
    async with client(served.port) as conversation:
        await conversation.write_event(Transcript(text="turn on the living room fan").event())
        (answer,) = await events_until(conversation, "handled", "not-handled")
    assert NotHandled.is_type(answer.type), answer
    assert "Living room fan" in (NotHandled.from_event(answer).text or "")


async def light_state(env: dict[str, str]) -> str:
    """The simulated kitchen light's state as it reports it (retained, so it comes at once)."""
    broker = {"hostname": env["ASSISTANT_MQTT__HOST"], "port": int(env["ASSISTANT_MQTT__PORT"])}
    message = await asyncio.to_thread(subscribe.simple, "zigbee2mqtt/Kitchen ceiling light",
                                      **broker)  # fmt: skip
    return str(json.loads(message.payload)["state"])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (AudioStart(16000, 5, 1).event(), "unsupported sample width of 5 bytes"),
        (AudioStart(4000, 2, 1).event(), "unsupported sample rate of 4000 Hz"),
        (Event("audio-start", {"rate": "fast"}), "rate, width and channels must be whole"),
        (AudioChunk(16000, 2, 2, b"\0" * 6).event(), "not whole frames of 2 channel(s)"),
    ],
)
async def test_bad_audio_is_an_error_and_the_connection_goes_on(
    served: Served, speech: Speech, bad: Event, message: str
) -> None:
    async with client(served.port) as asr:
        await asr.write_event(Transcribe().event())
        await asr.write_event(bad)
        (answer,) = await events_until(asr, "transcript")
        error = Error.from_event(answer)
        assert error.code == "audio-invalid" and message in error.text, error
        # The rest of the failed stream is dropped, not transcribed: the next request's
        # transcript is the only answer that comes.
        await asr.write_event(AudioChunk(16000, 2, 1, b"\1\0" * 1600).event())
        await asr.write_event(AudioStop().event())
        audio = speech.audio("what time is it", trail_seconds=0.5)
        heard = await transcript_on(asr, audio, 16000, 2, 1)
        assert word_error_rate("what time is it", heard) <= 0.25, heard


async def test_several_clients_at_once_each_get_their_own_answer(
    served: Served, speech: Speech
) -> None:
    """Three transcriptions, two wake word streams (each needs a detector of its own) and a
    synthesis, all at once, each on its own connection."""
    port = served.port
    commands = ["turn on the kitchen light", "what time is it", "turn off the bedroom lamp"]
    audio = [speech.audio(text, trail_seconds=0.5) for text in commands]
    wake = np.concatenate([speech.audio("Hey Jarvis", trail_seconds=0.3), audio[1]])

    async def detected(said: FloatAudio) -> str:
        async with client(port) as wake_word:
            await wake_word.write_event(Detect().event())
            for event in audio_events(pcm(said, 16000, 2, 1), 16000, 2, 1):
                await wake_word.write_event(event)
            (answer,) = await events_until(wake_word, "not-detected", "detection")
        return answer.type

    async def spoken() -> str:
        async with client(port) as tts:
            await tts.write_event(Synthesize(text="Done.").event())
            return (await events_until(tts, "audio-stop"))[-1].type

    heard, detections, synthesized = await asyncio.gather(
        asyncio.gather(*(transcribed(port, a, 22050, 2, 2) for a in audio)),
        asyncio.gather(detected(wake), detected(audio[0])),
        spoken(),
    )
    for said, transcript in zip(commands, heard, strict=True):
        assert word_error_rate(said, transcript) <= 0.25, (said, transcript)
    assert list(detections) == ["detection", "not-detected"]
    assert synthesized == "audio-stop"


async def test_the_server_refuses_a_client_its_allow_list_lacks(served: Served) -> None:
    """Any 127.x.y.z is this machine: a client at 127.0.0.2 is refused by a server that
    admits only 127.0.0.1, before anything it sent is read."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", served.port, local_addr=("127.0.0.2", 0)
    )
    try:
        await async_write_event(Describe().event(), writer)
        assert await asyncio.wait_for(async_read_event(reader), EVENT_SECONDS) is None
    except ConnectionError:
        pass  # refused before the question was even written
    finally:
        writer.close()
    refusal = r"WARNING .*serve: refused a connection from 127\.0\.0\.2: not in serve\.allow"
    await asyncio.to_thread(served.log.wait_for, refusal, EVENT_SECONDS)


@pytest.mark.parametrize(
    ("uri", "line"),
    [
        ("tcp://0.0.0.0:{port}", "serve.uri tcp://0.0.0.0:{port} listens beyond this machine"),
        ("tcp://127.0.0.1", "serve: 'tcp://127.0.0.1' is not tcp://HOST:PORT"),
    ],
)
def test_an_unsafe_listener_is_refused_at_start_in_one_line(
    tmp_path: Path, uri: str, line: str
) -> None:
    port = free_loopback_port()
    refused = subprocess.run(
        [*assistant_command(), "serve", "--uri", uri.format(port=port)],
        env=clean_env(ASSISTANT_STORAGE__STATE_DIR=str(tmp_path)), capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith(f"assistant: {line.format(port=port)}")
    assert refused.stderr.count("\n") == 1  # one line, no traceback
