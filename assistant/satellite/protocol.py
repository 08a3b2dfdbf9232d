"""What a satellite and its hub say to each other: Wyoming events, and three of our own.

Satellite → hub, over the connection the satellite opens:

- `authenticate` first when the hub has a secret (`assistant.wyoming.listener`), then `info`
  with `satellite.name`, which the hub must find in `[[hub.satellites]]`;
- for each wake word it hears: `detection`, whose data carries, besides Wyoming's `name`
  (the wake word) and `timestamp`, how well it was heard (`score`, `level_dbfs`); then
  `run-pipeline` (asr → tts) and the command's audio: `audio-start`, `audio-chunk`… (16 kHz,
  16-bit mono, 80 ms each), `audio-stop` when its own voice detector hears the end of speech;
- `played` once a reply has finished playing; `ping`/`pong`.

Hub → satellite:

- `run-satellite` once it is accepted;
- `chosen` to the satellite that answers a wake word, `stand-down` to the others (ours);
- `voice-stopped` when the hub has heard the end of the command (stop streaming),
  `transcript`, `error`;
- the reply: `synthesize` (its words), `audio-start`, `audio-chunk`…, `audio-stop`; earcons
  come the same way, as audio;
- `listen` (ours) after a question: stream the answer without a wake word, for `seconds`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart
from wyoming.event import Event
from wyoming.info import Attribution, Info, Satellite
from wyoming.wake import Detection

from assistant.audio.format import SAMPLE_RATE_HZ, Audio, from_pcm16, to_pcm16
from assistant.live.hearing import SILENT_DBFS, WakeHeard

CHOSEN = "chosen"
STAND_DOWN = "stand-down"
LISTEN = "listen"
WIDTH_BYTES = 2
CHANNELS = 1


def satellite_info(name: str, wake_words: list[str]) -> Event:
    """The `info` a satellite introduces itself with."""
    about = Satellite(
        name=name,
        attribution=Attribution(name="assistant", url=""),
        installed=True,
        description="assistant satellite: wake word and end of speech on the board",
        version=None,
        has_vad=True,
        active_wake_words=wake_words,
    )
    return Info(satellite=about).event()


def satellite_name(event: Event) -> str | None:
    """The name in a satellite's `info`; None when it gives none, or the event is malformed."""
    try:
        about = Info.from_event(event).satellite
    except (KeyError, TypeError, ValueError):
        return None
    return about.name.strip() if about is not None and about.name else None


def detection_event(heard: WakeHeard, timestamp_ms: int) -> Event:
    event = Detection(name=heard.model, timestamp=timestamp_ms).event()
    event.data.update(score=heard.score, level_dbfs=heard.level_dbfs)
    return event


def heard_from(event: Event, satellite: str) -> WakeHeard:
    """How well `satellite` heard the wake word its `detection` reports. A detection without
    our measures (another kind of satellite) counts as a weak one: score 0, silence."""
    data: dict[str, Any] = event.data or {}
    score, level = data.get("score", 0.0), data.get("level_dbfs", SILENT_DBFS)
    if not all(isinstance(n, int | float) and math.isfinite(n) for n in (score, level)):
        raise ValueError(f"detection: score {score!r} and level_dbfs {level!r} must be numbers")
    return WakeHeard(satellite, str(data.get("name") or "wake word"), float(score), float(level))


def audio_start(rate_hz: int, timestamp_ms: int | None = None) -> Event:
    return AudioStart(rate_hz, WIDTH_BYTES, CHANNELS, timestamp=timestamp_ms).event()


def audio_chunk(audio: Audio, rate_hz: int = SAMPLE_RATE_HZ) -> Event:
    pcm = to_pcm16(audio).astype("<i2").tobytes()
    return AudioChunk(rate_hz, WIDTH_BYTES, CHANNELS, pcm).event()


def chunk_audio(event: Event) -> tuple[Audio, int]:
    """An `audio-chunk` of any width and channel count as mono float audio, and its rate."""
    chunk = AudioChunkConverter(width=WIDTH_BYTES, channels=CHANNELS).convert(
        AudioChunk.from_event(event)
    )
    return from_pcm16(np.frombuffer(chunk.audio, dtype="<i2")), chunk.rate


def chunk_rate(event: Event) -> int:
    """The sample rate an `audio-start` announces."""
    return int(AudioStart.from_event(event).rate)


def listen_event(seconds: float) -> Event:
    return Event(type=LISTEN, data={"seconds": seconds})
