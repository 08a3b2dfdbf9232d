"""Speech to text for Wyoming clients: `transcribe`, then audio at any rate, width and channel
count; at `audio-stop`, the `transcript`.

The client decides where the command ends (Home Assistant runs its own voice activity
detection: `requires_external_vad`), so the whole stream is transcribed, biased toward this
home's names as every turn of the runtime is, and toward the names the client sends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.event import Event

from assistant.engines import Engines
from assistant.stt.protocol import Vocabulary
from assistant.wyoming.audio import IncomingAudio

log = logging.getLogger(__name__)


class SpeechStream:
    """One `transcribe` request (or audio with none before it) and the audio after it."""

    def __init__(
        self, engines: Engines, vocabulary: Callable[[], Vocabulary], request: Transcribe
    ) -> None:
        self.engines = engines
        self.vocabulary = vocabulary
        # Wyoming 1.10's biasing lists; names come first, as the protocol ranks them.
        self.words = (*(request.transcript_names or ()), *(request.transcript_terms or ()))
        self.audio = IncomingAudio("transcribe")
        self._parts: list[np.ndarray] = []

    async def start(self, event: Event) -> None:
        self.audio.start(event)

    async def chunk(self, event: Event) -> list[Event]:
        self._parts.append(self.audio.chunk(event))
        return []

    async def stop(self) -> list[Event]:
        self._parts.append(self.audio.stop())
        audio = np.concatenate(self._parts).astype(np.float32, copy=False)
        self._parts = []
        language = self.engines.settings.stt.language
        if not audio.size:
            return [Transcript(text="", language=language).event()]
        home = self.vocabulary()
        vocabulary = Vocabulary(tuple(dict.fromkeys([*self.words, *home.phrases])))
        started = time.perf_counter()
        heard = await self.engines.run("stt", self.engines.stt.transcribe, audio, vocabulary)
        # No words in the log: the journal is on disk, and nothing said goes there.
        log.info("transcribe: %.1f s of audio in %.0f ms", self.audio.input_seconds,
                 (time.perf_counter() - started) * 1000)  # fmt: skip
        return [Transcript(text=heard.text, language=language).event()]

    async def close(self) -> None:
        self._parts = []
