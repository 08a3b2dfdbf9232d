"""Which wake-word scores become detections: a threshold plus a refractory period per model.

Plain logic on numbers, so it is tested without audio: a wake word is a bump of scores over a few
80 ms frames, and one utterance of it must yield one detection, not five.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RefractoryGate:
    threshold: float
    refractory_seconds: float
    _last_fired_seconds: dict[str, float] = field(default_factory=dict)

    def accept(self, model: str, score: float, now_seconds: float) -> bool:
        """True when `score` crosses the threshold outside the model's refractory period."""
        if score < self.threshold:
            return False
        last = self._last_fired_seconds.get(model)
        if last is not None and now_seconds - last < self.refractory_seconds:
            return False
        self._last_fired_seconds[model] = now_seconds
        return True

    def reset(self) -> None:
        self._last_fired_seconds.clear()
