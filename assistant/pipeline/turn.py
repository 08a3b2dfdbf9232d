"""One turn, from recorded audio or typed text to a spoken reply.

Errors are translated here, at the turn boundary: the result carries `{"code", "message"}`,
and whenever a person was speaking to the assistant the reply is a spoken apology rather than
silence. An audio file that is not usable input gets no reply: nobody was talking.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.audio.wav import load_for_models, write_wav
from assistant.brain.understanding import Brain, Understanding
from assistant.errors import AssistantError, AudioError, NoSpeech
from assistant.events import (
    ActionsTaken,
    EventBus,
    IntentMatched,
    SpeakingStarted,
    SpeechEnded,
    Transcript,
    TurnFailed,
    TurnFinished,
    TurnStarted,
    WakeDetected,
    WakeNotDetected,
)
from assistant.pipeline.engines import Engines
from assistant.pipeline.listen import capture_utterance, frames_from_audio, wait_for_wake
from assistant.pipeline.result import TurnResult
from assistant.stt.whisper import Vocabulary

log = logging.getLogger(__name__)

APOLOGIES = {
    "no-speech": "Sorry, I didn't hear a command.",
    "stt-failed": "Sorry, I couldn't make out what you said.",
    "llm-failed": "Sorry, I couldn't work out what to do.",
}
GENERIC_APOLOGY = "Sorry, something went wrong."


class TurnRunner:
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

    async def from_wav(self, path: Path, *, use_wake: bool, out_dir: Path | None) -> TurnResult:
        turn_id = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        result = TurnResult(input=str(path), from_audio=True)
        self.bus.publish(TurnStarted(turn_id, str(path)))
        try:
            audio, _ = load_for_models(path)
        except AudioError as error:
            return self.finish(turn_id, result, started, error=error)
        result.audio = {"duration_seconds": round(len(audio) / 16_000, 3)}
        frames = frames_from_audio(audio)
        offset_seconds = 0.0
        try:
            if use_wake:
                wake = await wait_for_wake(frames, self.engines)
                result.timings_ms["wake"] = wake.elapsed_ms
                if wake.detection is None:
                    result.wake = {
                        "detected": False,
                        "model": None,
                        "score": round(wake.best_score, 3),
                    }
                    self.bus.publish(WakeNotDetected(turn_id, wake.best_score, wake.elapsed_ms))
                    return self.finish(turn_id, result, started)
                detection = wake.detection
                result.wake = {
                    "detected": True,
                    "model": detection.model,
                    "score": round(detection.score, 3),
                    "audio_seconds": round(detection.audio_seconds, 3),
                }
                offset_seconds = detection.audio_seconds
                self.bus.publish(
                    WakeDetected(turn_id, detection.model, detection.score,
                                 detection.audio_seconds, wake.elapsed_ms)
                )  # fmt: skip
            else:
                result.wake = {"detected": False, "skipped": True, "model": None, "score": None}
            utterance = await capture_utterance(
                frames,
                self.engines,
                self.engines.settings.vad,
                stream_offset_seconds=offset_seconds,
            )
            result.timings_ms["endpoint"] = utterance.elapsed_ms
            result.audio |= {
                "speech_start_seconds": round(utterance.speech_start_seconds, 3),
                "speech_end_seconds": round(utterance.speech_end_seconds, 3),
                "endpoint_seconds": round(utterance.endpoint_seconds, 3),
            }
            self.bus.publish(
                SpeechEnded(turn_id, utterance.speech_start_seconds, utterance.speech_end_seconds,
                            utterance.endpoint_seconds, utterance.reason, utterance.elapsed_ms)
            )  # fmt: skip
            stt_started = time.perf_counter()
            transcript = await self.engines.run(
                "stt", self.engines.stt.transcribe, utterance.audio, self.vocabulary()
            )
            result.timings_ms["stt"] = (time.perf_counter() - stt_started) * 1000
            result.transcript = transcript.text
            self.bus.publish(Transcript(turn_id, transcript.text, result.timings_ms["stt"]))
            if not transcript.text:
                raise NoSpeech("speech was detected but nothing intelligible was said")
            await self.understand(turn_id, result, transcript.text)
        except AssistantError as error:
            result.response = APOLOGIES.get(error.code, GENERIC_APOLOGY)
            await self._speak(turn_id, result, out_dir, Path(path).stem)
            return self.finish(turn_id, result, started, error=error)
        await self._speak(turn_id, result, out_dir, Path(path).stem)
        return self.finish(turn_id, result, started)

    async def from_text(self, text: str) -> TurnResult:
        turn_id = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        result = TurnResult(input=text, from_audio=False, transcript=text)
        self.bus.publish(TurnStarted(turn_id, text))
        try:
            await self.understand(turn_id, result, text)
        except AssistantError as error:
            result.response = APOLOGIES.get(error.code, GENERIC_APOLOGY)
            return self.finish(turn_id, result, started, error=error)
        return self.finish(turn_id, result, started)

    async def understand(self, turn_id: str, result: TurnResult, text: str) -> Understanding:
        """Understand and act on `text`, filling `result` and publishing the events."""
        started = time.perf_counter()
        understood = await self.brain.understand(text)
        elapsed_ms = (time.perf_counter() - started) * 1000
        result.timings_ms["act"] = understood.act_ms
        result.timings_ms["understand"] = max(0.0, elapsed_ms - understood.act_ms)
        result.intent = understood.intent
        result.actions = understood.actions
        result.response = understood.response
        intent = understood.intent or {}
        self.bus.publish(
            IntentMatched(turn_id, intent.get("name"), intent.get("slots", {}),
                          intent.get("source", "none"), result.timings_ms["understand"])
        )  # fmt: skip
        if understood.actions:
            self.bus.publish(ActionsTaken(turn_id, understood.actions, understood.act_ms))
        return understood

    async def _speak(
        self, turn_id: str, result: TurnResult, out_dir: Path | None, stem: str
    ) -> None:
        """Synthesize the reply sentence by sentence; keep it as a WAV when asked to."""
        if not result.response:
            return
        tts = self.engines.tts
        started = time.perf_counter()
        chunks: list[np.ndarray] = []
        sentences = iter(tts.synthesize(result.response))
        try:
            while (chunk := await self.engines.run("tts", next, sentences, None)) is not None:
                if not chunks:
                    result.timings_ms["tts_first_audio"] = (time.perf_counter() - started) * 1000
                    self.bus.publish(
                        SpeakingStarted(
                            turn_id, result.response, result.timings_ms["tts_first_audio"]
                        )
                    )
                chunks.append(chunk.audio)
        except AssistantError as error:
            log.error("the reply could not be spoken: %s", error)
            if result.error is None:
                result.error = error.as_dict()
            return
        if out_dir is not None and chunks:
            target = out_dir / f"{stem}.reply.wav"
            write_wav(target, np.concatenate(chunks), tts.output_sample_rate_hz)
            result.reply_wav = str(target)

    def finish(
        self,
        turn_id: str,
        result: TurnResult,
        started: float,
        *,
        error: AssistantError | None = None,
    ) -> TurnResult:
        if error is not None:
            result.error = error.as_dict()
            self.bus.publish(TurnFailed(turn_id, error.code, error.message))
        result.timings_ms["total"] = (time.perf_counter() - started) * 1000
        self.bus.publish(TurnFinished(turn_id, result.response, result.timings_ms["total"]))
        return result
