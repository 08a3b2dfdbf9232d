"""The listening stages: wait for the wake word, then capture one command.

Both consume one shared async iterator of 80 ms frames in the audio format of
`assistant.audio.format`, the same whether the frames come from a file or a microphone, so
`assistant once` exercises exactly the live code path.

Early commit: as a pause begins (`vad.early_look_seconds` of silence) the speech so far is
handed to an `EarlyLook`, which transcribes it and says whether the turn may act on it. If it
may, capture ends as soon as the pause is long enough to act on (`vad.early_pause_seconds`)
instead of waiting out `vad.silence_seconds`; the look starts before that so its transcript is
ready by then. A look that does not settle is taken again once the pause holds the speech's
whole tail, which the first look may have cut. If the person speaks again, the look is dropped
(nothing has been done); if the full endpoint comes with no more speech, the whole look's
transcript is used rather than made again. From a file a look is awaited where it starts, as
if it took no time, so a file gives the same result on any machine; after an early commit the
rest of the file is still scored, to count a commit the speaker had not finished (a false
cut-off).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, Audio, frames_of
from assistant.config import VadSettings
from assistant.engines import Engines
from assistant.errors import NoSpeech
from assistant.stt.protocol import Transcription
from assistant.tasks import cancel_and_wait
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
    # On the model's thread: openWakeWord primes its features again (about 60 ms of model
    # work), which would hold up everything else on the event loop, the hub's turns included.
    await engines.run("wake", detector.reset)
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
class EarlyTranscript:
    transcription: Transcription
    elapsed_ms: float
    act_now: bool
    """The rules read it whole as one low-risk request: the turn may act without waiting."""


EarlyLook = Callable[[Audio], Awaitable[EarlyTranscript]]
"""Transcribes the speech so far and judges it (the turn engine's)."""


@dataclass(frozen=True)
class CapturedSpeech:
    audio: Audio
    """The spoken command with a little context either side."""
    speech_start_seconds: float
    speech_end_seconds: float
    endpoint_seconds: float
    """When the end was decided; all three are positions in the input stream."""
    reason: str
    """Why capture ended: "ended" (silence), "early" (a short pause, see the module),
    "max-length", "end-of-audio"."""
    elapsed_ms: float
    """Processing time spent scoring windows."""
    early: EarlyTranscript | None = None
    """The early look's transcript of this speech (after an early commit, its tail cut where
    the look began), if there is one to use."""
    cut_off: bool = False
    """Committed early, and the speaker went on (known only when reading from a file)."""


class _Capture:
    """The endpointer over incoming frames, and the audio it has seen."""

    def __init__(self, engines: Engines, settings: VadSettings) -> None:
        self.vad = engines.vad
        self.vad.reset()
        self.engines = engines
        self.settings = settings
        self.window_samples = self.vad.window_samples
        self.endpointer = Endpointer(
            threshold=settings.threshold,
            speech_seconds=settings.speech_seconds,
            silence_seconds=settings.silence_seconds,
            max_utterance_seconds=settings.max_utterance_seconds,
            no_speech_timeout_seconds=settings.no_speech_timeout_seconds,
        )
        # Bounded by the longest wait plus the longest utterance; never grows past that.
        self.limit_samples = int(
            (settings.no_speech_timeout_seconds + settings.max_utterance_seconds + 1)
            * SAMPLE_RATE_HZ
        )
        self.captured: list[Audio] = []
        self.captured_samples = 0
        self.pending = np.zeros(0, dtype=np.float32)
        self.elapsed = 0.0
        self.look: _Look | None = None
        """The early look at the current pause, if one was taken."""

    async def take(self, frame: Audio) -> Endpoint:
        self.captured.append(frame)
        self.captured_samples += len(frame)
        self.pending = np.concatenate([self.pending, frame])
        whole = len(self.pending) - len(self.pending) % self.window_samples
        windows = self.pending[:whole].reshape(-1, self.window_samples)
        self.pending = self.pending[whole:]
        started = time.perf_counter()
        state = await self.engines.run("vad", self._score, windows)
        self.elapsed += time.perf_counter() - started
        return state

    def _score(self, windows: Iterable[Audio]) -> Endpoint:
        state = self.endpointer.state
        window_seconds = self.window_samples / SAMPLE_RATE_HZ
        for window in windows:
            state = self.endpointer.process(window_seconds, self.vad.probability(window))
            if state.finished:
                break
        return state

    async def look_at_pause(self, early: EarlyLook, real_time: bool) -> None:
        """As a pause begins, start an early look at the speech so far. A look that did not
        settle is taken again once the pause holds the whole tail: its last sound may have
        been cut ("is the front door lock…"). From a file a look is awaited at once, as if it
        took no time."""
        look, whole = self.look, self._paused(_TAIL_SECONDS)
        if look is None:
            if not self._paused(self.settings.early_look_seconds):
                return
        elif look.whole or not look.task.done() or look.acts_now() or not whole:
            return
        speech_end_seconds = self.endpointer.speech_end_seconds or 0.0
        task = asyncio.ensure_future(early(self.speech()))
        self.look = _Look(task, speech_end_seconds, whole=whole)
        if not real_time:
            await asyncio.wait({task})

    def commits(self) -> bool:
        """The look says act now, and the pause is long enough to act on."""
        return (
            self.look is not None
            and self.look.acts_now()
            and self._paused(self.settings.early_pause_seconds)
        )

    @property
    def full(self) -> bool:
        return self.captured_samples >= self.limit_samples

    def _paused(self, seconds: float) -> bool:
        return self.endpointer.pause_seconds >= seconds - 1e-9

    def speech(self) -> Audio:
        """The speech so far, from the pre-roll to a little after its last confident window."""
        endpointer = self.endpointer
        assert endpointer.speech_start_seconds is not None
        assert endpointer.speech_end_seconds is not None
        audio = np.concatenate(self.captured)
        start_seconds = endpointer.speech_start_seconds - self.settings.pre_roll_seconds
        first = max(0, int(start_seconds * SAMPLE_RATE_HZ))
        last = int((endpointer.speech_end_seconds + _TAIL_SECONDS) * SAMPLE_RATE_HZ)
        return audio[first:last]


class _Look:
    """One early look at the speech up to `speech_end_seconds`; `whole` when its audio holds
    the speech's whole tail, as the full endpoint's does. A look that fails (the transcription
    raised) is as good as none: the full endpoint transcribes again."""

    def __init__(
        self, task: asyncio.Future[EarlyTranscript], speech_end_seconds: float, *, whole: bool
    ) -> None:
        self.task = task
        self.speech_end_seconds = speech_end_seconds
        self.whole = whole
        # A dropped look still finishes on the transcription thread; its failure is no news.
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    def acts_now(self) -> bool:
        result = self.result()
        return result is not None and result.act_now

    def result(self) -> EarlyTranscript | None:
        task = self.task
        if not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()


async def capture_utterance(
    frames: AsyncIterator[Audio],
    engines: Engines,
    settings: VadSettings,
    *,
    stream_offset_seconds: float = 0.0,
    early: EarlyLook | None = None,
    real_time: bool = True,
) -> CapturedSpeech:
    """Run voice activity detection over the frames until the endpointer says the command is
    over, or an early look says it may be acted on now; raises NoSpeech when nobody spoke.
    `real_time` frames arrive as they are spoken (a microphone), not all at once (a file)."""
    capture = _Capture(engines, settings)
    iterator = aiter(frames)
    committed = await _listen(capture, iterator, early, real_time)
    endpointer, look = capture.endpointer, capture.look
    state = endpointer.state
    reason = "early" if committed else state.value
    if not committed and state in (Endpoint.WAITING, Endpoint.NO_SPEECH):
        raise NoSpeech(f"no speech within {endpointer.elapsed_seconds:.1f} s of listening")
    if state is Endpoint.SPEAKING and not committed:
        reason = "end-of-audio"
    assert endpointer.speech_start_seconds is not None
    assert endpointer.speech_end_seconds is not None
    speech_start, speech_end = endpointer.speech_start_seconds, endpointer.speech_end_seconds
    endpoint_seconds = endpointer.elapsed_seconds
    early_transcript = None
    if look is not None and look.speech_end_seconds == speech_end and (committed or look.whole):
        await asyncio.wait({look.task})
        early_transcript = look.result()  # the same speech: not transcribed twice
    audio = capture.speech()
    # From a file, the rest of it says whether the speaker had finished.
    cut_off = committed and not real_time and await _went_on(capture, iterator)
    return CapturedSpeech(
        audio=audio,
        speech_start_seconds=stream_offset_seconds + speech_start,
        speech_end_seconds=stream_offset_seconds + speech_end,
        endpoint_seconds=stream_offset_seconds + endpoint_seconds,
        reason=reason,
        elapsed_ms=capture.elapsed * 1000,
        early=early_transcript,
        cut_off=cut_off,
    )


async def _listen(
    capture: _Capture, frames: AsyncIterator[Audio], early: EarlyLook | None, real_time: bool
) -> bool:
    """Take frames until the endpoint, the end of the frames, or an early look that says act
    now (True). A look runs beside the frames: the next frame or its verdict, whichever first."""
    endpointer = capture.endpointer
    next_frame: asyncio.Future[Audio] | None = None
    try:
        while True:
            if next_frame is None:
                next_frame = asyncio.ensure_future(anext(frames))
            look = capture.look
            waiting: set[asyncio.Future[Any]] = {next_frame}
            if look is not None and not look.task.done():
                waiting.add(look.task)
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if capture.commits():
                return True
            if not next_frame.done():
                continue
            try:
                frame = next_frame.result()
            except StopAsyncIteration:
                return False
            next_frame = None
            state = await capture.take(frame)
            if look is not None and look.speech_end_seconds != endpointer.speech_end_seconds:
                capture.look = None  # they went on speaking: nothing was done
            if state.finished or capture.full:
                return False
            if early is not None:
                await capture.look_at_pause(early, real_time)
            if capture.commits():
                return True
    finally:
        if next_frame is not None and not next_frame.done():
            await cancel_and_wait(next_frame)


async def _went_on(capture: _Capture, rest: AsyncIterator[Audio]) -> bool:
    """Whether the speaker spoke again before the full endpoint (the rest of a file)."""
    end = capture.endpointer.speech_end_seconds
    async for frame in rest:
        state = await capture.take(frame)
        if capture.endpointer.speech_end_seconds != end:
            return True
        if state.finished:
            return False
    return False
