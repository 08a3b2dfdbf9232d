"""One client of `assistant serve`: its Wyoming events dispatched to the four services, over
the models every client shares.

A failure is answered with an `error` event (its code and one line) and ends only the request
it happened in: the connection stays open for the next one, and other clients never notice.
The rest of a failed audio stream is dropped quietly up to its `audio-stop`. Audio that comes
with no request before it is transcribed, as Wyoming's own speech-to-text servers do. Events
this server has no use for are ignored, as the protocol asks (`select-program`: it offers one
program of each kind).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.ping import Ping, Pong
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)
from wyoming.wake import Detect

from assistant.engines import Engines
from assistant.errors import AssistantError
from assistant.pipeline.assembly import Assembled
from assistant.stt.protocol import Vocabulary
from assistant.wyoming.detect import WakeDetectors, WakeStream
from assistant.wyoming.handle import HandleService
from assistant.wyoming.info import service_info
from assistant.wyoming.listener import BadEvent, BoundedEventHandler
from assistant.wyoming.synthesize import TextStream, speak
from assistant.wyoming.transcribe import SpeechStream

log = logging.getLogger(__name__)


class AudioRequest(Protocol):
    """A request answered from the audio after it: transcribe or detect."""

    async def start(self, event: Event) -> None: ...
    async def chunk(self, event: Event) -> list[Event]: ...
    async def stop(self) -> list[Event]: ...
    async def close(self) -> None: ...


@dataclass
class Services:
    """What every client shares: the models, loaded once, and the home's turns."""

    engines: Engines
    vocabulary: Callable[[], Vocabulary]
    detectors: WakeDetectors
    handling: HandleService
    info: Event

    @classmethod
    def of(cls, assembled: Assembled) -> Services:
        engines, turns = assembled.engines, assembled.turns
        info = service_info(engines, language_model="llm" in engines.load_seconds).event()
        return cls(engines, turns.vocabulary, WakeDetectors(engines), HandleService(turns), info)


class ServiceConnection(BoundedEventHandler):
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, services: Services
    ) -> None:
        super().__init__(reader, writer)
        self.services = services
        self._audio: AudioRequest | None = None
        self._dropping = False
        """A failed request's remaining audio, up to its audio-stop (or the next request), is
        ignored: it must not be taken for audio sent to be transcribed."""
        self._text: TextStream | None = None
        """Streamed text to speak, between synthesize-start and synthesize-stop."""

    async def handle_event(self, event: Event) -> bool:
        try:
            await self._answer(event)
        except AssistantError as error:
            await self._failed(event, error.code, error.message)
        except Exception as error:  # a fault of ours: this request fails, the server goes on
            log.exception("serve: %s failed", event.type)
            await self._failed(event, "internal-error", f"{type(error).__name__}: {error}")
        return True

    async def disconnect(self) -> None:
        await self._end_audio()

    async def _answer(self, event: Event) -> None:
        kind, services = event.type, self.services
        if Describe.is_type(kind):
            await self.write_event(services.info)
        elif Ping.is_type(kind):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif Transcribe.is_type(kind):
            request = Transcribe.from_event(event)
            await self._begin(SpeechStream(services.engines, services.vocabulary, request))
        elif Detect.is_type(kind):
            await self._begin(WakeStream(services.detectors, Detect.from_event(event)))
        elif AudioStart.is_type(kind) or AudioChunk.is_type(kind) or AudioStop.is_type(kind):
            await self._audio_event(event)
        elif Transcript.is_type(kind):
            await self.write_event(await services.handling.handle(_text(event)))
        else:
            await self._synthesis_event(event)

    async def _audio_event(self, event: Event) -> None:
        if self._dropping:
            self._dropping = not AudioStop.is_type(event.type)
            return
        if self._audio is None:  # audio with no request: transcribe it
            self._audio = SpeechStream(self.services.engines, self.services.vocabulary,
                                       Transcribe())  # fmt: skip
        if AudioStart.is_type(event.type):
            await self._audio.start(event)
        elif AudioChunk.is_type(event.type):
            await self._send(await self._audio.chunk(event))
        else:
            ended, self._audio = self._audio, None  # over, even if answering it fails
            await self._send(await ended.stop())

    async def _synthesis_event(self, event: Event) -> None:
        engines, kind = self.services.engines, event.type
        if Synthesize.is_type(kind) and self._text is None:
            await speak(engines, _text(event), self.write_event)
        elif SynthesizeStart.is_type(kind):
            self._text = TextStream()
        elif SynthesizeChunk.is_type(kind):
            if self._text is None:
                raise BadEvent("synthesize-chunk without synthesize-start before it")
            if ready := self._text.add(_text(event)):
                await speak(engines, ready, self.write_event)
        elif SynthesizeStop.is_type(kind) and self._text is not None:
            rest, self._text = self._text.rest(), None
            if rest:
                await speak(engines, rest, self.write_event)
            await self.write_event(SynthesizeStopped().event())
        # Anything else (a streaming client's whole-text synthesize, select-program): ignored.

    async def _begin(self, request: AudioRequest) -> None:
        await self._end_audio()
        self._audio, self._dropping = request, False

    async def _end_audio(self) -> None:
        audio, self._audio = self._audio, None
        if audio is not None:
            await audio.close()

    async def _send(self, events: list[Event]) -> None:
        for event in events:
            await self.write_event(event)

    async def _failed(self, event: Event, code: str, message: str) -> None:
        kind = event.type
        if _about_audio(kind):
            await self._end_audio()
            # Until its audio-stop, the audio still coming belongs to what failed.
            self._dropping = not AudioStop.is_type(kind)
        log.warning("serve: %s failed: [%s] %s", event.type, code, message)
        await self.write_event(Error(text=message, code=code).event())


def _about_audio(kind: str) -> bool:
    return any(
        event.is_type(kind) for event in (Transcribe, Detect, AudioStart, AudioChunk, AudioStop)
    )


def _text(event: Event) -> str:
    text = event.data.get("text")
    if not isinstance(text, str):
        raise BadEvent(f"{event.type}: its text must be a string, not {text!r}")
    return text
