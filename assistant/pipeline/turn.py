"""One turn, the same whatever it comes from: a WAV file, typed text or the microphone.

wake word (when asked to wait for one) → end of speech → transcript → understanding and action
→ reply. The sources only differ in where frames come from and where the reply goes (a
`ReplyOutput`): `from_wav` and `from_text` here, the live loop for the microphone.

Errors are translated here, in one place: the result carries the error, and whenever a person
was speaking to the assistant the response is an apology rather than silence. An audio file
that is not usable input gets no reply: nobody was talking. One turn id goes from the first
event to the audit log's line.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from assistant.audio.format import Audio, seconds
from assistant.audio.wav import load_for_models
from assistant.engines import Engines
from assistant.errors import AssistantError, AudioError, NoSpeech
from assistant.pipeline.events import (
    ActionsTaken,
    EventBus,
    IntentMatched,
    SpeechEnded,
    Transcript,
    TurnFailed,
    TurnFinished,
    TurnStarted,
    WakeDetected,
    WakeNotDetected,
)
from assistant.pipeline.listen import (
    CapturedSpeech,
    EarlyTranscript,
    WakeOutcome,
    capture_utterance,
    frames_from_audio,
    wait_for_wake,
)
from assistant.pipeline.reply import ReplyOutput, WavReply
from assistant.pipeline.result import AudioSpan, Place, Turn, TurnResult, WakeReport, new_turn_id
from assistant.stt.protocol import Transcription, Vocabulary
from assistant.understanding.result import Brain
from assistant.understanding.utterance import Utterance

log = logging.getLogger(__name__)

APOLOGIES = {
    "no-speech": "Sorry, I didn't hear a command.",
    "stt-failed": "Sorry, I couldn't make out what you said.",
    "llm-failed": "Sorry, I couldn't work out what to do.",
    "broker-unavailable": "I can't reach your devices right now.",
}
GENERIC_APOLOGY = "Sorry, something went wrong."


class TurnEngine:
    def __init__(
        self,
        engines: Engines,
        brain: Brain,
        bus: EventBus | None = None,
        vocabulary: Callable[[], Vocabulary] | None = None,
    ) -> None:
        self.engines = engines
        self.brain = brain
        self.bus = bus or EventBus()
        self.vocabulary = vocabulary or Vocabulary
        """Asked at every turn: the home's names change while the assistant runs."""
        self.early_commit = engines.settings.vad.early_commit
        """Act at a short pause when the brain says the request is settled (`listen`)."""

    # --- the sources -------------------------------------------------------------------------

    async def from_wav(self, path: Path, *, use_wake: bool, out_dir: Path | None) -> TurnResult:
        """Recorded audio, as if it came from the microphone; the reply kept in `out_dir`."""
        turn = self.begin(str(path), from_audio=True)
        try:
            audio, _ = await asyncio.to_thread(load_for_models, path)  # decoding may take a second
        except AudioError as error:
            turn.result.error = error  # not usable input: nobody was talking, so no reply
            return self.finish(turn)
        turn.result.audio = AudioSpan(duration_seconds=seconds(audio))
        if not use_wake:
            turn.result.wake = WakeReport(detected=False, skipped=True)
        output = WavReply(self.engines, out_dir, Path(path).stem)
        return await self.run(
            turn, frames_from_audio(audio), output, wait_for_wake=use_wake, real_time=False
        )

    async def from_text(self, text: str, *, place: Place | None = None) -> TurnResult:
        """Typed text: understood and acted on as if heard at `place` (none: from no room);
        the reply is words only."""
        turn = self.begin(text, from_audio=False, place=place)
        turn.result.transcript = text
        try:
            await self.understand(turn, text)
        except AssistantError as error:
            self.fail(turn, error)
        return self.finish(turn)

    # --- one turn ------------------------------------------------------------------------------

    def begin(
        self, source: str, *, from_audio: bool, follow_up: bool = False, place: Place | None = None
    ) -> Turn:
        """A new turn from `source` (a file name, the typed text, "microphone"), heard at
        `place` when it came from a microphone of the home."""
        result = TurnResult(input=source, from_audio=from_audio, place=place)
        turn = Turn(new_turn_id(), result, self.bus, time.perf_counter(), follow_up)
        self.bus.publish(TurnStarted(turn.id, source))
        return turn

    async def run(
        self,
        turn: Turn,
        frames: AsyncIterator[Audio],
        output: ReplyOutput,
        *,
        wait_for_wake: bool = False,
        listen_seconds: float | None = None,
        real_time: bool = True,
    ) -> TurnResult:
        """The turn on these frames: [wake word →] end of speech → transcript → understanding
        → reply. `listen_seconds` is how long to wait for speech (the configured no-speech
        timeout unless given); `real_time` frames come from a microphone, not a file."""
        try:
            offset_seconds = 0.0
            if wait_for_wake:
                position = self.note_wake(turn, await self.wait_for_wake(frames))
                if position is None:
                    return self.finish(turn)  # nobody said the wake word: nobody to answer
                offset_seconds = position
            captured = await self.capture(
                turn, frames, listen_seconds, offset_seconds, real_time=real_time
            )
            text = await self.transcribe(turn, captured)
            await self.understand(turn, text)
        except NoSpeech as error:
            if not turn.follow_up:
                self.fail(turn, error)
            # After a question, silence is no failure: nobody answered, the conversation ends.
        except AssistantError as error:
            self.fail(turn, error)
        await output.deliver(turn)
        return self.finish(turn)

    async def wait_for_wake(self, frames: AsyncIterator[Audio]) -> WakeOutcome:
        return await wait_for_wake(frames, self.engines)

    def note_wake(
        self, turn: Turn, wake: WakeOutcome, *, stream_seconds: float | None = None
    ) -> float | None:
        """Record the wake word stage; the position of the detection, None when none fired.
        `stream_seconds` is the position in a live stream, which the detector does not know."""
        turn.result.timings.wake_ms = wake.elapsed_ms
        detection = wake.detection
        if detection is None:
            turn.result.wake = WakeReport(detected=False, score=wake.best_score)
            self.bus.publish(WakeNotDetected(turn.id, wake.best_score, wake.elapsed_ms))
            return None
        position = detection.audio_seconds if stream_seconds is None else stream_seconds
        turn.result.wake = WakeReport(True, detection.model, detection.score, position)
        self.bus.publish(
            WakeDetected(turn.id, detection.model, detection.score, position, wake.elapsed_ms)
        )
        return position

    async def capture(
        self,
        turn: Turn,
        frames: AsyncIterator[Audio],
        listen_seconds: float | None = None,
        offset_seconds: float = 0.0,
        *,
        real_time: bool = True,
    ) -> CapturedSpeech:
        vad = self.engines.settings.vad
        if listen_seconds is not None:
            vad = vad.model_copy(update={"no_speech_timeout_seconds": listen_seconds})
        early = functools.partial(self._look_early, place=turn.place)
        captured = await capture_utterance(
            frames, self.engines, vad, stream_offset_seconds=offset_seconds,
            early=early if self.early_commit else None, real_time=real_time,
        )  # fmt: skip
        turn.speech_ended_monotonic = time.monotonic() - (
            captured.endpoint_seconds - captured.speech_end_seconds
        )
        turn.result.timings.endpoint_ms = captured.elapsed_ms
        if turn.result.audio is not None:
            turn.result.audio.speech_start_seconds = captured.speech_start_seconds
            turn.result.audio.speech_end_seconds = captured.speech_end_seconds
            turn.result.audio.endpoint_seconds = captured.endpoint_seconds
            turn.result.audio.end_reason = captured.reason
            turn.result.audio.cut_off = captured.cut_off
        self.bus.publish(
            SpeechEnded(turn.id, captured.speech_start_seconds, captured.speech_end_seconds,
                        captured.endpoint_seconds, captured.reason, captured.elapsed_ms)
        )  # fmt: skip
        return captured

    async def _look_early(self, audio: Audio, *, place: Place | None) -> EarlyTranscript:
        """At a short pause: the speech so far, and whether the turn may act on it now."""
        transcript, elapsed_ms = await self._transcribed(audio)
        said = Utterance.of(transcript.text)
        act_now = bool(transcript.text) and self.brain.settled(said, place=place)
        return EarlyTranscript(transcript, elapsed_ms, act_now)

    async def _transcribed(self, audio: Audio) -> tuple[Transcription, float]:
        """The audio's transcript, biased toward the home's words, and the milliseconds taken."""
        started = time.perf_counter()
        transcript = await self.engines.run(
            "stt", self.engines.stt.transcribe, audio, self.vocabulary()
        )
        return transcript, (time.perf_counter() - started) * 1000

    async def transcribe(self, turn: Turn, captured: CapturedSpeech) -> str:
        if captured.early is not None:  # the early look already made it, of this very audio
            transcript, elapsed_ms = captured.early.transcription, captured.early.elapsed_ms
        else:
            transcript, elapsed_ms = await self._transcribed(captured.audio)
        turn.result.timings.stt_ms = elapsed_ms
        turn.result.transcript = transcript.text
        self.bus.publish(Transcript(turn.id, transcript.text, turn.result.timings.stt_ms))
        if not transcript.text:
            raise NoSpeech("speech was detected but nothing intelligible was said")
        return transcript.text

    async def understand(self, turn: Turn, text: str) -> None:
        """Understand and act on what was said, normalised once here for every stage after."""
        started = time.perf_counter()
        understood = await self.brain.understand(
            Utterance.of(text), turn_id=turn.id, place=turn.place
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        result = turn.result
        # A tool ran only when something was understood; otherwise there was nothing to time.
        result.timings.act_ms = understood.act_ms if understood.intent is not None else None
        result.timings.understand_ms = max(0.0, elapsed_ms - understood.act_ms)
        result.intent = understood.intent
        result.actions = understood.actions
        result.response = understood.response
        result.expects_answer = understood.expects_answer
        self.bus.publish(IntentMatched(turn.id, understood.intent, result.timings.understand_ms))
        if understood.actions:
            self.bus.publish(ActionsTaken(turn.id, understood.actions, understood.act_ms))

    def fail(self, turn: Turn, error: AssistantError) -> None:
        """The turn failed: someone was talking to the assistant, so it apologises."""
        turn.result.error = error
        turn.result.response = APOLOGIES.get(error.code, GENERIC_APOLOGY)

    def finish(self, turn: Turn) -> TurnResult:
        result = turn.result
        if result.error is not None:
            self.bus.publish(TurnFailed(turn.id, result.error.code, result.error.message))
        result.timings.total_ms = (time.perf_counter() - turn.started) * 1000
        self.bus.publish(TurnFinished(turn.id, result.response, result.timings.total_ms))
        return result
