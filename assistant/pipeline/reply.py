"""Where a turn's reply goes: the speaker (`assistant.live.reply`) or a WAV file.

The turn engine decides what to say; a `ReplyOutput` decides how it is heard. Replies are
synthesized sentence by sentence on the speech model's own worker thread, so the first
sentence can play while the next one is made.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.audio.wav import write_wav
from assistant.engines import Engines
from assistant.errors import AssistantError
from assistant.pipeline.result import Turn
from assistant.tts.protocol import SpeechChunk

log = logging.getLogger(__name__)


class ReplyOutput(Protocol):
    async def deliver(self, turn: Turn) -> None:
        """Make the turn's result heard; return once the reply is on its way."""


async def synthesized(engines: Engines, text: str) -> AsyncIterator[SpeechChunk]:
    """The reply, one sentence at a time, each synthesized on the speech model's thread."""
    sentences = iter(engines.tts.synthesize(text))
    while (chunk := await engines.run("tts", next, sentences, None)) is not None:
        yield chunk


def speak_ahead(engines: Engines) -> Callable[[str], None]:
    """Make a reply's speech before it is given, while the devices confirm. The speech model
    keeps what it made by its text, so the reply, if it is these words, finds it made; if the
    devices said otherwise, the reply differs and the guess is only forgotten."""
    making: set[asyncio.Future[SpeechChunk]] = set()  # held: not collected while it runs

    def start(text: str) -> None:
        task = asyncio.ensure_future(engines.run("tts", engines.tts.speak_all, text))
        making.add(task)
        task.add_done_callback(making.discard)
        # A guess that failed is no news: the reply itself says what went wrong, if anything.
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    return start


class WavReply:
    """Recorded audio (`assistant once`): the whole reply synthesized, kept as a WAV if asked."""

    def __init__(self, engines: Engines, out_dir: Path | None, stem: str) -> None:
        self.engines = engines
        self.out_dir = out_dir
        self.stem = stem

    async def deliver(self, turn: Turn) -> None:
        text = turn.result.response
        if not text:
            return
        started = time.perf_counter()
        chunks: list[SpeechChunk] = []
        try:
            async for chunk in synthesized(self.engines, text):
                if not chunks:
                    turn.speaking_started(text, (time.perf_counter() - started) * 1000)
                chunks.append(chunk)
        except AssistantError as error:
            log.error("the reply could not be spoken: %s", error.message)
            turn.result.error = turn.result.error or error
            return
        if self.out_dir is not None and chunks:
            target = self.out_dir / f"{self.stem}.reply.wav"
            audio = np.concatenate([chunk.audio for chunk in chunks])
            write_wav(target, audio, chunks[0].sample_rate_hz)
            turn.result.reply_wav = target
