"""Whisper on the audio there is, not on 30 seconds of it.

faster-whisper pads every input to 30 s of features (3000 frames) and the encoder pays for all
of them: 227 ms for tiny.en on two cores, whatever the command's length. CTranslate2's encoder
also takes shorter inputs (28 ms for 1000 frames), but a decoder that sees the end of its input
this soon may start the sentence again ("Set the kitchen light to 100%. Set the kitchen light
to one hundred percent. Set"), as whisper.cpp's `audio_ctx` users know. Measured on the
spoken development set, those restarts were the whole of the accuracy lost. So:

- a margin of silence follows the speech, the same zero features faster-whisper pads with.
  Ten seconds of it: on the spoken development set (180 items, three noise levels) 5 s lost
  three exact actions at 20 dB and raised the word error from 17 % to 26 %, while 10 s matched
  the padded word error (19.0 % against 20.0 % over the three levels) for 28 ms more per
  command than 5 s;
- the length is capped from the audio's duration (nobody says more than
  `_TOKENS_PER_SECOND`), and `no_repeat_ngram_size` stops a loop;
- a transcript that starts over (its first two words come again later) is cut where it does
  when every new start only repeats the first sentence or part of it ("What time is it? What
  time is it?", "… in the nursery? What's the temperature in"): that is the decoder's loop,
  and the first sentence is what was said;
- one that starts over with different words, or that reached the cap without starting over,
  is not trusted: the caller transcribes that utterance again the padded way. That keeps
  "turn on the lamp, turn on the fan" whole and the padded accuracy.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, Audio
from assistant.stt.protocol import Transcription

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

MARGIN_SECONDS = 10.0
"""Silence after the speech, in seconds of features (see the module's docstring)."""
_FRAMES_PER_SECOND = 100  # Whisper's 10 ms hop
_MAX_FRAMES = 3000
_TOKENS_PER_SECOND = 8
_MIN_TOKENS = 12
_NO_REPEAT_NGRAM = 6
_WORD = re.compile(r"[a-z0-9']+")


def fits(audio: Audio) -> bool:
    """Whether the audio and its margin fit in one encoder window."""
    frames = (len(audio) / SAMPLE_RATE_HZ + MARGIN_SECONDS) * _FRAMES_PER_SECOND
    return frames <= _MAX_FRAMES


def first_telling(text: str) -> str | None:
    """The transcript as said once: unchanged if it never starts over, cut before the first
    new start if every new start repeats (a prefix of) the first sentence, None if a new start
    says something else, which a person may have said ("turn on the lamp, turn on the fan")."""
    words = list(_WORD.finditer(text.lower()))
    spoken = [word.group() for word in words]
    starts = [i for i in range(2, len(spoken) - 1) if spoken[i : i + 2] == spoken[:2]]
    if not starts:
        return text
    first = spoken[: starts[0]]
    for start, end in zip(starts, [*starts[1:], len(spoken)], strict=True):
        again = spoken[start:end]
        if again != first[: len(again)]:
            return None
    return text[: words[starts[0]].start()].rstrip(" ,;-")


def transcribe_unpadded(
    model: WhisperModel,
    audio: Audio,
    *,
    language: str | None,
    beam_size: int,
    initial_prompt: str,
    hotwords: str,
) -> Transcription | None:
    """One utterance that `fits`, decoded from features cut to its length plus the margin;
    None when the transcript is not to be trusted (see the module's docstring)."""
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    features = model.feature_extractor(audio)
    content_frames = features.shape[-1] - 1  # the extractor's own convention
    frames = content_frames + int(MARGIN_SECONDS * _FRAMES_PER_SECOND)
    frames += frames % 2  # the encoder's convolution halves the frames
    window = np.zeros((features.shape[0], min(frames, _MAX_FRAMES)), dtype=np.float32)
    window[:, :content_frames] = features[:, :content_frames]
    encoded = model.encode(window)

    multilingual = bool(model.model.is_multilingual)
    tokenizer = Tokenizer(
        model.hf_tokenizer, multilingual, task="transcribe",
        language=language if multilingual else "en",
    )  # fmt: skip
    previous = tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt.strip() else []
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=True,
                              hotwords=hotwords or None)  # fmt: skip
    duration_seconds = len(audio) / SAMPLE_RATE_HZ
    cap = _MIN_TOKENS + int(_TOKENS_PER_SECOND * duration_seconds)
    result = model.model.generate(
        encoded,
        [prompt],
        beam_size=beam_size,
        max_length=min(len(prompt) + cap, model.max_length),
        no_repeat_ngram_size=_NO_REPEAT_NGRAM,
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, (-1,)),
    )[0]
    tokens = result.sequences_ids[0]
    decoded = tokenizer.decode(tokens).strip().lstrip(",; ")  # ", Set the …" at a cut start
    text = first_telling(decoded)
    if text is None or (len(tokens) >= cap and text == decoded):
        return None
    # The same average as faster-whisper's: the summed log probability over the tokens + 1.
    average_log_probability = result.scores[0] * len(tokens) / (len(tokens) + 1)
    return Transcription(
        text=text,
        no_speech_probability=result.no_speech_prob,
        average_log_probability=average_log_probability,
        segments=(text,) if text else (),
    )
