"""Wake word detection with openWakeWord on ONNX Runtime, several wake words at once."""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.audio.format import SAMPLE_RATE_HZ, Audio, to_pcm16
from assistant.config import WakeSettings
from assistant.errors import ModelError, ModelLoadError
from assistant.modelstore.store import ModelStore
from assistant.wake.protocol import WakeDetection
from assistant.wake.refractory import RefractoryGate

log = logging.getLogger(__name__)


class OpenWakeWord:
    """`WakeWordDetector` with openWakeWord on ONNX Runtime, several wake words at once."""

    def __init__(self, settings: WakeSettings, store: ModelStore) -> None:
        features = store.resolve(settings.features, setting="wake.features")
        melspec = features / "melspectrogram.onnx"
        embedding = features / "embedding_model.onnx"
        for path in (melspec, embedding):
            if not path.is_file():
                raise ModelError(f"wake.features: {path} is missing")
        self._names: dict[str, str] = {}
        paths: list[str] = []
        for reference in settings.models:
            path = store.resolve(reference, setting="wake.models")
            if path.suffix != ".onnx":
                raise ModelError(f"wake.models: {path} is not an ONNX wake word model")
            # openWakeWord keys its scores by file stem; report our id instead.
            self._names[path.stem] = (
                reference if reference in store.manifest.models else Path(reference).stem
            )
            paths.append(str(path))
        try:
            from openwakeword.model import Model

            self._model = Model(
                wakeword_models=paths,
                inference_framework="onnx",
                melspec_model_path=str(melspec),
                embedding_model_path=str(embedding),
            )
        except Exception as error:
            raise ModelLoadError(f"openWakeWord could not load {paths}: {error}") from error
        self._gate = RefractoryGate(settings.threshold, settings.refractory_seconds)
        self._samples_seen = 0
        self._best_scores: dict[str, float] = dict.fromkeys(self._names.values(), 0.0)

    @property
    def best_scores(self) -> dict[str, float]:
        return self._best_scores

    @property
    def models(self) -> list[str]:
        return list(self._names.values())

    def process(self, frame: Audio) -> WakeDetection | None:
        """Score one frame (ideally 80 ms); return the strongest accepted detection."""
        self._samples_seen += len(frame)
        now_seconds = self._samples_seen / SAMPLE_RATE_HZ
        # openWakeWord's models were trained on 16-bit samples.
        scores = self._model.predict(to_pcm16(frame))
        best: WakeDetection | None = None
        for key, raw_score in scores.items():
            name = self._names.get(key, key)
            score = float(raw_score)
            self._best_scores[name] = max(self._best_scores.get(name, 0.0), score)
            if self._gate.accept(name, score, now_seconds) and (best is None or score > best.score):
                best = WakeDetection(name, score, now_seconds)
        return best

    def reset(self) -> None:
        """Forget audio and scores, e.g. between files or after the assistant spoke."""
        self._model.reset()
        self._gate.reset()
        self._samples_seen = 0
        self._best_scores = dict.fromkeys(self._best_scores, 0.0)
