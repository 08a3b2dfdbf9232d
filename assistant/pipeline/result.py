"""The result of one turn, in the JSON contract of `assistant ask` / `assistant once`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TIMING_KEYS = ("wake", "endpoint", "stt", "understand", "act", "tts_first_audio", "total")


@dataclass
class TurnResult:
    input: str
    from_audio: bool
    wake: dict[str, Any] | None = None
    transcript: str | None = None
    intent: dict[str, Any] | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    response: str | None = None
    error: dict[str, str] | None = None
    timings_ms: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TIMING_KEYS, 0.0))
    audio: dict[str, float] | None = None
    """Where speech started and ended and when the end was decided (seconds into the input)."""
    reply_wav: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"input": self.input}
        if self.from_audio:
            data["wake"] = self.wake
        data |= {
            "transcript": self.transcript,
            "intent": self.intent,
            "actions": self.actions,
            "response": self.response,
            "error": self.error,
            "timings_ms": {key: round(self.timings_ms.get(key, 0.0), 1) for key in TIMING_KEYS},
        }
        if self.from_audio:
            data["audio"] = self.audio
            data["reply_wav"] = self.reply_wav
        return data
