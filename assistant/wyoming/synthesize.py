"""Text to speech for Wyoming clients: `synthesize` is answered with `audio-start`, the
`audio-chunk`s of each sentence as soon as Piper has made it, and `audio-stop`.

Streamed text (`synthesize-start`, `synthesize-chunk`…, `synthesize-stop`, Wyoming 1.7+) is
spoken a sentence at a time as the sentences complete, each as its own start-chunks-stop, then
`synthesize-stopped`; the whole-text `synthesize` a streaming client also sends, for servers
that do not stream, is then ignored.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable

from wyoming.event import Event

from assistant.engines import Engines
from assistant.pipeline.reply import synthesized
from assistant.wyoming.audio import OutgoingSpeech

log = logging.getLogger(__name__)

Send = Callable[[Event], Awaitable[None]]

_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s+")
"""Where a sentence ends in streamed text: its final punctuation and the space after it (the
space shows the next sentence has begun, so "3.5" is not cut)."""


async def speak(engines: Engines, text: str, send: Send) -> None:
    """`text` as one audio stream, sent sentence by sentence as Piper makes them."""
    started = time.perf_counter()
    speech = OutgoingSpeech(engines.tts.output_sample_rate_hz)
    await send(speech.start())
    first = True
    async for sentence in synthesized(engines, text):
        for event in speech.chunks(sentence):
            await send(event)
        if first:
            first_ms = (time.perf_counter() - started) * 1000
            log.info("synthesize: first audio after %.0f ms", first_ms)
            first = False
    await send(speech.stop())


class TextStream:
    """Streamed text, handed out a whole sentence (or several) at a time."""

    def __init__(self) -> None:
        self._text = ""

    def add(self, text: str) -> str:
        """The sentences `text` completes, ready to speak; empty while one is still open."""
        self._text += text
        ends = list(_SENTENCE_END.finditer(self._text))
        if not ends:
            return ""
        cut = ends[-1].end()
        ready, self._text = self._text[:cut], self._text[cut:]
        return ready.strip()

    def rest(self) -> str:
        """What is left once the stream has ended."""
        rest, self._text = self._text.strip(), ""
        return rest
