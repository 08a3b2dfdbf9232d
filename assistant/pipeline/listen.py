"""The listening stages: wait for the wake word, then capture one command.

Both consume one shared async iterator of 80 ms frames in the audio format of
`assistant.audio.format`, the same whether the frames come from a file or a microphone, so
`assistant once` exercises exactly the live code path.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, Audio, frames_of
from assistant.config import VadSettings
from assistant.engines import Engines
from assistant.errors import NoSpeech
from assistant.vad.endpointer import Endpoint, Endpointer
from assistant.wake.protocol import WakeDetection

# Speech keeps going a little after Silero's last confident window (final consonants).
_TAIL_SECONDS = 0.2


async def frames_from_audio(audio: Audio) -> AsyncIterator[Audio]:
    """Recorded audio as the frames a microphone callback would deliver."""
    for frame in frames_of(audio):
        yield frame


@dataclass(frozen=True)
class WakeOutcome:
    detection: WakeDetection | None
    best_score: float
    elapsed_ms: float
    """Processing time spent scoring frames."""


async def wait_for_wake(frames: AsyncIterator[Audio], engines: Engines) -> WakeOutcome:
    """Consume frames until a wake word fires (or the frames run out)."""
    detector = engines.wake
    detector.reset()
    elapsed = 0.0
    async for frame in frames:
        started = time.perf_counter()
        detection = await engines.run("wake", detector.process, frame)
        elapsed += time.perf_counter() - started
        if detection is not None:
            return WakeOutcome(detection, detection.score, elapsed * 1000)
    best = max(detector.best_scores.values(), default=0.0)
    return WakeOutcome(None, best, elapsed * 1000)


@dataclass(frozen=True)
class CapturedSpeech:
    audio: Audio
    """The spoken command with a little context either side."""
    speech_start_seconds: float
    speech_end_seconds: float
    endpoint_seconds: float
    """When the end was decided; all three are positions in the input stream."""
    reason: str
    """Why capture ended: "ended" (silence), "max-length", "end-of-audio"."""
    elapsed_ms: float
    """Processing time spent scoring windows."""


async def capture_utterance(
    frames: AsyncIterator[Audio],
    engines: Engines,
    settings: VadSettings,
    *,
    stream_offset_seconds: float = 0.0,
) -> CapturedSpeech:
    """Run voice activity detection over the frames until the endpointer says the command is
    over; raises NoSpeech when nobody spoke."""
    vad = engines.vad
    vad.reset()
    window_samples = vad.window_samples
    window_seconds = window_samples / SAMPLE_RATE_HZ
    endpointer = Endpointer(
        threshold=settings.threshold,
        speech_seconds=settings.speech_seconds,
        silence_seconds=settings.silence_seconds,
        max_utterance_seconds=settings.max_utterance_seconds,
        no_speech_timeout_seconds=settings.no_speech_timeout_seconds,
    )
    # Bounded by the longest wait plus the longest utterance; never grows past that.
    limit_samples = int(
        (settings.no_speech_timeout_seconds + settings.max_utterance_seconds + 1) * SAMPLE_RATE_HZ
    )
    captured: list[Audio] = []
    captured_samples = 0
    pending = np.zeros(0, dtype=np.float32)
    elapsed = 0.0

    def score(windows: Iterable[Audio]) -> Endpoint:
        state = endpointer.state
        for window in windows:
            state = endpointer.process(window_seconds, vad.probability(window))
            if state.finished:
                break
        return state

    state = Endpoint.WAITING
    async for frame in frames:
        captured.append(frame)
        captured_samples += len(frame)
        pending = np.concatenate([pending, frame])
        whole = len(pending) - len(pending) % window_samples
        windows, pending = pending[:whole].reshape(-1, window_samples), pending[whole:]
        started = time.perf_counter()
        state = await engines.run("vad", score, windows)
        elapsed += time.perf_counter() - started
        if state.finished or captured_samples >= limit_samples:
            break

    reason = state.value
    if state is Endpoint.SPEAKING:
        reason = "end-of-audio"
    elif state in (Endpoint.WAITING, Endpoint.NO_SPEECH):
        waited = endpointer.elapsed_seconds
        raise NoSpeech(f"no speech within {waited:.1f} s of listening")
    assert endpointer.speech_start_seconds is not None
    assert endpointer.speech_end_seconds is not None
    audio = np.concatenate(captured)
    first = max(
        0, int((endpointer.speech_start_seconds - settings.pre_roll_seconds) * SAMPLE_RATE_HZ)
    )
    last = int((endpointer.speech_end_seconds + _TAIL_SECONDS) * SAMPLE_RATE_HZ)
    return CapturedSpeech(
        audio=audio[first:last],
        speech_start_seconds=stream_offset_seconds + endpointer.speech_start_seconds,
        speech_end_seconds=stream_offset_seconds + endpointer.speech_end_seconds,
        endpoint_seconds=stream_offset_seconds + endpointer.elapsed_seconds,
        reason=reason,
        elapsed_ms=elapsed * 1000,
    )
