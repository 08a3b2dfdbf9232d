"""Speech to text with faster-whisper (CTranslate2, int8) on a model folder from the store.

A command is encoded as the audio there is (`unpadded`), unless `stt.pad_to_30_seconds` asks
for faster-whisper's own 30-second window or the audio is too long for one window.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from assistant.audio.format import Audio
from assistant.config import SttSettings
from assistant.errors import ModelError, ModelLoadError, SttError, library_missing
from assistant.modelstore.store import ModelStore
from assistant.stt.protocol import NO_VOCABULARY, Transcription, Vocabulary
from assistant.stt.unpadded import fits, transcribe_unpadded

log = logging.getLogger(__name__)


class FasterWhisper:
    """`SpeechToText` with faster-whisper, int8 on the CPU."""

    def __init__(self, settings: SttSettings, store: ModelStore) -> None:
        # Given a name instead of a path, faster-whisper would ask the hub; never let it.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = store.resolve(settings.model, setting="stt.model")
        if not (path.is_dir() and (path / "model.bin").is_file()):
            raise ModelError(
                f"stt.model: {path} is not a CTranslate2 Whisper folder (no model.bin)"
            )
        try:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(
                str(path),
                device="cpu",
                compute_type="int8",
                cpu_threads=settings.threads,
                num_workers=1,
                local_files_only=True,
            )
        except ModuleNotFoundError as error:
            raise library_missing(error, "faster-whisper") from None
        except Exception as error:
            raise ModelLoadError(f"faster-whisper could not load {path}: {error}") from error
        self._settings = settings
        self.pad_to_30_seconds = settings.pad_to_30_seconds
        self.padded_again = 0
        """Utterances whose unpadded transcript was not trusted (see `unpadded`)."""
        self.english_only = path.name.endswith(".en") or self._model.model.is_multilingual is False

    def transcribe(self, audio: Audio, vocabulary: Vocabulary = NO_VOCABULARY) -> Transcription:
        """Transcribe 16 kHz mono float audio of one utterance."""
        initial_prompt, hotwords = vocabulary.merged_with(self._settings)
        audio = audio.astype(np.float32, copy=False)
        language = None if self.english_only else self._settings.language
        if not self.pad_to_30_seconds and fits(audio):
            try:
                unpadded = transcribe_unpadded(
                    self._model, audio, language=language, beam_size=self._settings.beam_size,
                    initial_prompt=initial_prompt, hotwords=hotwords,
                )  # fmt: skip
            except Exception as error:
                raise SttError(f"transcription failed: {error}") from error
            if unpadded is not None:
                return unpadded
            self.padded_again += 1
            log.debug("the unpadded transcript was not trusted; transcribing it padded")
        try:
            segments_iter, _ = self._model.transcribe(
                audio,
                language=language,
                beam_size=self._settings.beam_size,
                initial_prompt=initial_prompt or None,
                hotwords=hotwords or None,
                vad_filter=False,
                without_timestamps=True,
                condition_on_previous_text=False,
                temperature=0.0,
            )
            segments = list(segments_iter)
        except Exception as error:
            raise SttError(f"transcription failed: {error}") from error
        text = " ".join(segment.text.strip() for segment in segments).strip()
        return Transcription(
            text=text,
            no_speech_probability=max((s.no_speech_prob for s in segments), default=1.0),
            average_log_probability=min((s.avg_logprob for s in segments), default=0.0),
            segments=tuple(segment.text.strip() for segment in segments),
        )
