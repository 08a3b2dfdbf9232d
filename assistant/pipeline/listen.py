"""The listening stages: wait for the wake word, then capture one utterance.

Both consume one shared async iterator of 16 kHz int16 frames, the same whether the frames
come from a file or a microphone, so `assistant once` exercises exactly the live code path.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from assistant.config import VadSettings
from assistant.errors import NoSpeech
from assistant.pipeline.engines import Engines
from assistant.vad.endpointer import Endpoint, Endpointer
from assistant.vad.silero import SAMPLE_RATE_HZ, WINDOW_SAMPLES, WINDOW_SECONDS, SileroVad
from assistant.wake.detector import FRAME_SAMPLES, WakeDetection, WakeWordDetector

Frame = npt.NDArray[np.int16]
# Speech keeps going a little after Silero's last confident window (final consonants).
_TAIL_SECONDS = 0.2


async def frames_from_audio(audio: npt.NDArray[np.float32]) -> AsyncIterator[Frame]:
    """Cut float audio into the 80 ms int16 frames a microphone callback would deliver."""
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)
    for start in range(0, len(pcm), FRAME_SAMPLES):
        frame = pcm[start : start + FRAME_SAMPLES]
        if len(frame) < FRAME_SAMPLES:
            frame = np.pad(frame, (0, FRAME_SAMPLES - len(frame)))
        yield frame


@dataclass(frozen=True)
class WakeOutcome:
    detection: WakeDetection | None
    best_score: float
    elapsed_ms: float
    """Processing time spent scoring frames."""


async def wait_for_wake(frames: AsyncIterator[Frame], engines: Engines) -> WakeOutcome:
    """Consume frames until a wake word fires (or the frames run out)."""
    detector: WakeWordDetector = engines.wake
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
class Utterance:
    audio: npt.NDArray[np.float32]
    """The spoken command with a little context either side, 16 kHz mono."""
    speech_start_seconds: float
    speech_end_seconds: float
    endpoint_seconds: float
    """When the end was decided; all three are positions in the input stream."""
    reason: str
    elapsed_ms: float


async def capture_utterance(
    frames: AsyncIterator[Frame],
    engines: Engines,
    settings: VadSettings,
    *,
    stream_offset_seconds: float = 0.0,
) -> Utterance:
    """Run Silero VAD over the frames until the endpointer says the command is over."""
    vad: SileroVad = engines.vad
    vad.reset()
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
    captured: list[npt.NDArray[np.float32]] = []
    captured_samples = 0
    pending = np.zeros(0, dtype=np.float32)
    elapsed = 0.0

    def score(windows: npt.NDArray[np.float32]) -> Endpoint:
        state = endpointer.state
        for window in windows:
            state = endpointer.process(WINDOW_SECONDS, vad.probability(window))
            if state.finished:
                break
        return state

    state = Endpoint.WAITING
    async for frame in frames:
        samples = frame.astype(np.float32) / 32768.0
        captured.append(samples)
        captured_samples += len(samples)
        pending = np.concatenate([pending, samples])
        whole = len(pending) - len(pending) % WINDOW_SAMPLES
        windows, pending = pending[:whole].reshape(-1, WINDOW_SAMPLES), pending[whole:]
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
    return Utterance(
        audio=audio[first:last],
        speech_start_seconds=stream_offset_seconds + endpointer.speech_start_seconds,
        speech_end_seconds=stream_offset_seconds + endpointer.speech_end_seconds,
        endpoint_seconds=stream_offset_seconds + endpointer.elapsed_seconds,
        reason=reason,
        elapsed_ms=elapsed * 1000,
    )
