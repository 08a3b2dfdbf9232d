"""Replies on a speaker: sentence by sentence, interruptible, with earcons.

The reply is queued on the speaker as each sentence is synthesized, and `deliver` returns as
soon as the first one is queued (the rest keeps synthesizing in the background), so the
listening task is back on the wake word while the assistant talks and "Hey Jarvis" can
interrupt it. `interrupt` stops playback and every reply still being synthesized.

The speaker is an `Outlet`: this board's own (`AudioStation`), or a satellite's, whose hub
streams the reply to it (`assistant.hub.outlet`).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Protocol

from assistant.audio.format import Audio
from assistant.config import AudioSettings
from assistant.engines import Engines
from assistant.errors import AssistantError
from assistant.pipeline.reply import synthesized
from assistant.pipeline.result import Turn

log = logging.getLogger(__name__)


class Outlet(Protocol):
    """Where replies are heard."""

    @property
    def settings(self) -> AudioSettings:
        """Earcons on or off, a done sound for a confirmed command."""

    def sound(self, name: str) -> None:
        """An earcon (wake, done, error, alert), when earcons are on."""

    def play(self, audio: Audio, rate_hz: int, text: str) -> None:
        """Queue one sentence of the reply `text` (mono float audio at `rate_hz`)."""

    def finish(self) -> None:
        """The reply's last sentence has been queued."""

    def stop(self) -> None:
        """Silence now: what is queued is dropped."""


class SpokenReply:
    """`ReplyOutput` for the live loop and for satellites."""

    def __init__(
        self,
        engines: Engines,
        outlet: Outlet,
        *,
        latencies_ms: collections.deque[float],
    ) -> None:
        self.engines = engines
        self.outlet = outlet
        self.settings = outlet.settings
        self.latencies_ms = latencies_ms
        """Where the delay from the end of speech to the first reply sample is recorded."""
        self._interruptions = 0
        """Counts barge-ins; a reply still being synthesized stops when it changes."""
        self._tasks: set[asyncio.Task[None]] = set()

    def sound(self, name: str) -> None:
        """An earcon (wake, done, error, alert), when earcons are on."""
        self.outlet.sound(name)

    def interrupt(self) -> None:
        """Silence now: the person started talking over the reply."""
        self._interruptions += 1
        self.outlet.stop()

    async def deliver(self, turn: Turn) -> None:
        result = turn.result
        if result.error is not None and result.error.code == "no-speech":
            # A tone, not a sentence: the person is right there and can simply say it again.
            self.sound("error")
            return
        if not result.response:
            return
        ended = turn.speech_ended_monotonic if result.error is None else None
        if self.settings.done_sound_only and result.confirmed and not result.expects_answer:
            self.sound("done")
            if ended is not None:
                self.latencies_ms.append((time.monotonic() - ended) * 1000)
            return
        await self.say(result.response, turn=turn, speech_ended_monotonic=ended)

    async def say(
        self, text: str, *, turn: Turn | None = None, speech_ended_monotonic: float | None = None
    ) -> None:
        """Queue `text` sentence by sentence; returns once the first sentence is queued."""
        first = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(
            self._synthesize(text, first, turn, speech_ended_monotonic), name="reply"
        )
        self._tasks.add(task)  # kept referenced until it is done
        task.add_done_callback(self._tasks.discard)
        await first

    async def _synthesize(
        self,
        text: str,
        first: asyncio.Future[None],
        turn: Turn | None,
        speech_ended_monotonic: float | None,
    ) -> None:
        started = time.perf_counter()
        interruptions = self._interruptions
        queued = 0
        try:
            async for chunk in synthesized(self.engines, text):
                if self._interruptions != interruptions:
                    break  # stopped by barge-in: the rest is not wanted
                self.outlet.play(chunk.audio, chunk.sample_rate_hz, text)
                if not queued:
                    if turn is not None:
                        turn.speaking_started(text, (time.perf_counter() - started) * 1000)
                    if speech_ended_monotonic is not None:
                        # The speaker's buffer is filled within one block of being queued.
                        delay = time.monotonic() - speech_ended_monotonic
                        self.latencies_ms.append(delay * 1000)
                    if not first.done():  # the turn may have been cancelled meanwhile
                        first.set_result(None)
                queued += 1
        except AssistantError as error:
            log.error("the reply could not be spoken: %s", error.message)
            self.sound("error")
        finally:
            if queued:
                self.outlet.finish()
            if not first.done():
                first.set_result(None)
