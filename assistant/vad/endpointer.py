"""Deciding when a spoken command has started and ended, from speech probabilities.

Pure logic driven by seconds (no audio, no event loop), in the manner of Home Assistant's
VoiceCommandSegmenter, so every timing rule is tested with plain numbers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# Once speech has started, a window counts as silence only below threshold minus this margin;
# the hysteresis Silero recommends, so a soft syllable does not end the command.
_HYSTERESIS = 0.15


class Endpoint(enum.Enum):
    WAITING = "waiting"
    """No speech yet."""
    SPEAKING = "speaking"
    ENDED = "ended"
    """Speech followed by enough silence."""
    MAX_LENGTH = "max-length"
    """Speech went on past the maximum utterance length; treated as ended."""
    NO_SPEECH = "no-speech"
    """Nobody spoke before the no-speech timeout."""

    @property
    def finished(self) -> bool:
        return self in (Endpoint.ENDED, Endpoint.MAX_LENGTH, Endpoint.NO_SPEECH)


@dataclass
class Endpointer:
    threshold: float
    speech_seconds: float
    silence_seconds: float
    max_utterance_seconds: float
    no_speech_timeout_seconds: float

    elapsed_seconds: float = 0.0
    speech_start_seconds: float | None = None
    speech_end_seconds: float | None = None
    """End of the last window that was speech."""
    state: Endpoint = Endpoint.WAITING
    _speech_run_seconds: float = 0.0
    _silence_run_seconds: float = 0.0

    @property
    def pause_seconds(self) -> float:
        """How long the speaker has been silent since their last word (0 while speaking)."""
        return self._silence_run_seconds if self.state is Endpoint.SPEAKING else 0.0

    def process(self, window_seconds: float, probability: float) -> Endpoint:
        """Account for one window of audio with the given speech probability."""
        if self.state.finished:
            return self.state
        self.elapsed_seconds += window_seconds
        if self.state is Endpoint.WAITING:
            if probability >= self.threshold:
                self._speech_run_seconds += window_seconds
                if self._speech_run_seconds >= self.speech_seconds - 1e-9:
                    self.state = Endpoint.SPEAKING
                    self.speech_start_seconds = self.elapsed_seconds - self._speech_run_seconds
                    self.speech_end_seconds = self.elapsed_seconds
            else:
                self._speech_run_seconds = 0.0
                if self.elapsed_seconds >= self.no_speech_timeout_seconds:
                    self.state = Endpoint.NO_SPEECH
            return self.state
        if probability >= self.threshold - _HYSTERESIS:
            self._silence_run_seconds = 0.0
            self.speech_end_seconds = self.elapsed_seconds
        else:
            self._silence_run_seconds += window_seconds
            if self._silence_run_seconds >= self.silence_seconds - 1e-9:
                self.state = Endpoint.ENDED
        assert self.speech_start_seconds is not None
        if (
            self.state is Endpoint.SPEAKING
            and self.elapsed_seconds - self.speech_start_seconds
            >= self.max_utterance_seconds - 1e-9
        ):
            self.state = Endpoint.MAX_LENGTH
        return self.state
