"""Speech probability per 32 ms window with Silero VAD on ONNX Runtime.

Both published ONNX interfaces are supported: v4 (`h`/`c` LSTM state, the one bundled with
openWakeWord) and v5+ (`state`, with 64 samples of context carried over between windows).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.audio.format import SAMPLE_RATE_HZ, Audio
from assistant.errors import ModelLoadError

WINDOW_SAMPLES = 512
_V5_CONTEXT_SAMPLES = 64


class SileroVad:
    """`VoiceActivityDetector` with Silero VAD."""

    window_samples = WINDOW_SAMPLES

    def __init__(self, model_path: Path, *, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise ModelLoadError(f"Silero VAD could not load {model_path}: {error}") from error
        inputs = {node.name for node in self._session.get_inputs()}
        if {"input", "h", "c", "sr"} <= inputs:
            self._stateful_v5 = False
        elif {"input", "state", "sr"} <= inputs:
            self._stateful_v5 = True
        else:
            raise ModelLoadError(
                f"{model_path} is not a Silero VAD model (inputs {sorted(inputs)})"
            )
        self._rate = np.array(SAMPLE_RATE_HZ, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((2, 1, 64), dtype=np.float32)
        self._c = np.zeros((2, 1, 64), dtype=np.float32)
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(_V5_CONTEXT_SAMPLES, dtype=np.float32)

    def probability(self, window: Audio) -> float:
        """Speech probability of one window of 512 float samples at 16 kHz."""
        if window.shape != (WINDOW_SAMPLES,):
            raise ValueError(f"Silero VAD takes {WINDOW_SAMPLES} samples, got {window.shape}")
        if self._stateful_v5:
            framed = np.concatenate([self._context, window])[None, :]
            out, self._state = self._session.run(
                None, {"input": framed, "state": self._state, "sr": self._rate}
            )
            self._context = window[-_V5_CONTEXT_SAMPLES:]
        else:
            out, self._h, self._c = self._session.run(
                None, {"input": window[None, :], "h": self._h, "c": self._c, "sr": self._rate}
            )
        return float(out[0][0])
