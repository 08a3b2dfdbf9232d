"""A satellite's speaker, as the hub's replies see it (`assistant.live.reply.Outlet`).

A reply is one stream to the satellite: its words (`synthesize`), then `audio-start`, the
audio of each sentence as it is synthesized, cut in `_CHUNK_SECONDS` pieces, and `audio-stop`
after the last. Earcons go the same way, as audio: the hub's `[audio]` settings decide how its
replies sound wherever they are heard.
"""

from __future__ import annotations

from wyoming.audio import AudioStop
from wyoming.tts import Synthesize

from assistant.audio.format import Audio
from assistant.config import AudioSettings
from assistant.hub.link import SatelliteLink
from assistant.live.earcons import RATE_HZ as EARCON_RATE_HZ
from assistant.live.earcons import earcon
from assistant.satellite.protocol import audio_chunk, audio_start

_CHUNK_SECONDS = 0.25


class SatelliteOutlet:
    def __init__(self, link: SatelliteLink, settings: AudioSettings) -> None:
        self.link = link
        self.settings = settings
        self._streaming = False

    def sound(self, name: str) -> None:
        if self.settings.earcons:
            self.finish()
            self._start(EARCON_RATE_HZ)
            self._send(earcon(name), EARCON_RATE_HZ)
            self.finish()

    def play(self, audio: Audio, rate_hz: int, text: str) -> None:
        if not self._streaming:
            self.link.post(Synthesize(text=text).event())
            self._start(rate_hz)
        self._send(audio, rate_hz)

    def finish(self) -> None:
        if self._streaming:
            self.link.post(AudioStop().event())
            self._streaming = False

    def stop(self) -> None:
        """The satellite has silenced itself (barge-in); the stream under way is ended."""
        self.finish()

    def _start(self, rate_hz: int) -> None:
        self.link.played.clear()
        self.link.post(audio_start(rate_hz))
        self._streaming = True

    def _send(self, audio: Audio, rate_hz: int) -> None:
        step = max(1, round(_CHUNK_SECONDS * rate_hz))
        for start in range(0, len(audio), step):
            self.link.post(audio_chunk(audio[start : start + step], rate_hz))
