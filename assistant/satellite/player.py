"""Reply audio streamed by the hub, played on the satellite's speaker as it arrives.

Each stream (`audio-start` … `audio-stop`) is converted to the speaker's rate as one signal,
so chunk edges leave no clicks whatever size the hub cuts them. A stream interrupted by the
wake word (barge-in) is dropped to its end: what the hub still sends of it is not played.
"""

from __future__ import annotations

from assistant.audio.format import Audio
from assistant.audio.stream_resample import StreamResampler
from assistant.live.playback import Speaker


class ReplyPlayer:
    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self._resampler: StreamResampler | None = None

    def start(self, rate_hz: int) -> None:
        self._resampler = StreamResampler(rate_hz, self.speaker.rate_hz)

    def chunk(self, audio: Audio) -> None:
        if self._resampler is not None:
            self._play(self._resampler.process(audio))

    def end(self) -> None:
        if self._resampler is not None:
            self._play(self._resampler.flush())
        self._resampler = None

    def interrupt(self) -> None:
        """Silence now, and nothing more of the stream under way."""
        self._resampler = None
        self.speaker.stop()

    def _play(self, audio: Audio) -> None:
        if len(audio):
            self.speaker.play(audio, self.speaker.rate_hz)
