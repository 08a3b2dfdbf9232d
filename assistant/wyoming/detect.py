"""Wake word detection for Wyoming clients: `detect`, then audio; `detection` as soon as a wake
word is heard, `not-detected` at `audio-stop` if none was.

openWakeWord keeps state between frames (its feature buffers), so each client's stream needs a
detector of its own: detectors are lent from a pool, one per stream, and built when none is
free. All of them run on the wake engine's one worker thread, as the runtime's own does.
"""

from __future__ import annotations

import logging

import numpy as np
from wyoming.event import Event
from wyoming.wake import Detect, Detection, NotDetected

from assistant.audio.format import FRAME_SAMPLES, Audio, frames_of
from assistant.engines import Engines
from assistant.errors import AssistantError
from assistant.wake.openwakeword import OpenWakeWord
from assistant.wake.protocol import WakeDetection, WakeWordDetector
from assistant.wyoming.audio import IncomingAudio

log = logging.getLogger(__name__)


class WakeDetectors:
    """Detectors lent one per stream; the engine's own is the first."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self._idle: list[WakeWordDetector] = [engines.wake]

    @property
    def models(self) -> list[str]:
        return self.engines.wake.models

    async def borrow(self) -> WakeWordDetector:
        if self._idle:
            return self._idle.pop()
        log.info("another client listens for the wake word: loading one more detector")
        settings = self.engines.settings
        built: WakeWordDetector = await self.engines.run(
            "wake", OpenWakeWord, settings.wake, self.engines.store
        )
        return built

    async def give_back(self, detector: WakeWordDetector) -> None:
        """Forget its stream (on the wake thread, where it runs) and keep it for the next."""
        try:
            await self.engines.run("wake", detector.reset)
        except RuntimeError:  # the engines closed under a client still connected: stopping
            return
        self._idle.append(detector)


class WakeStream:
    """One `detect` request and the audio after it."""

    def __init__(self, detectors: WakeDetectors, request: Detect) -> None:
        self.detectors = detectors
        self.names = set(request.names or ())
        unknown = self.names - set(detectors.models)
        if self.names and unknown == self.names:
            raise AssistantError(
                f"detect: no wake word named {', '.join(sorted(unknown))} here; this server "
                f"listens for {', '.join(detectors.models)}",
                code="wake-word-unknown",
            )
        self.audio = IncomingAudio("detect")
        self.detected = False
        self._detector: WakeWordDetector | None = None
        self._pending = np.zeros(0, dtype=np.float32)
        """16 kHz audio short of a whole 80 ms frame, the wake model's unit."""

    async def start(self, event: Event) -> None:
        self.audio.start(event)

    async def chunk(self, event: Event) -> list[Event]:
        """The detections this chunk completes (usually none)."""
        audio = np.concatenate([self._pending, self.audio.chunk(event)])
        whole = len(audio) - len(audio) % FRAME_SAMPLES
        self._pending = audio[whole:]
        if not whole:
            return []
        if self._detector is None:
            self._detector = await self.detectors.borrow()
        fired = await self.detectors.engines.run("wake", _scored, self._detector, audio[:whole])
        timestamp = event.data.get("timestamp")
        return [self._detection(one, timestamp) for one in fired if self._wanted(one)]

    async def stop(self) -> list[Event]:
        """`not-detected` if nothing was heard; the detector goes back to the pool."""
        await self.close()
        return [] if self.detected else [NotDetected().event()]

    async def close(self) -> None:
        detector, self._detector = self._detector, None
        if detector is not None:
            await self.detectors.give_back(detector)

    def _wanted(self, detection: WakeDetection) -> bool:
        return not self.names or detection.model in self.names

    def _detection(self, detection: WakeDetection, chunk_timestamp: object) -> Event:
        """The chunk's own timestamp when the client gave one (Wyoming's definition), else
        the position in the stream, in milliseconds."""
        self.detected = True
        if isinstance(chunk_timestamp, int):
            timestamp = chunk_timestamp
        else:
            timestamp = round(detection.audio_seconds * 1000)
        log.info("detect: %s (score %.3f) at %d ms", detection.model, detection.score, timestamp)
        return Detection(name=detection.model, timestamp=timestamp).event()


def _scored(detector: WakeWordDetector, audio: Audio) -> list[WakeDetection]:
    """Every detection in whole frames of `audio`, on the wake thread in one call."""
    return [hit for frame in frames_of(audio) if (hit := detector.process(frame)) is not None]
