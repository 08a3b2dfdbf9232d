"""The JSON of the command-line contract (`assistant ask|once --json`, `devices call --json`).

Made here and nowhere else, from the typed results. Scripts and outside checks depend on every
key, its order and its rounding (`docs/conventions.md`, `tests/test_json_contract.py`).
"""

from __future__ import annotations

from typing import Any

from assistant.devices.commands import CommandOutcome
from assistant.pipeline.result import AudioSpan, Place, StageTimings, TurnResult, WakeReport
from assistant.understanding.result import Intent

TIMING_KEYS = ("wake", "endpoint", "stt", "understand", "act", "tts_first_audio", "total")


def turn_json(result: TurnResult) -> dict[str, Any]:
    data: dict[str, Any] = {"input": result.input, "place": place_json(result.place)}
    if result.from_audio:
        data["wake"] = wake_json(result.wake) if result.wake is not None else None
    data |= {
        "transcript": result.transcript,
        "intent": intent_json(result.intent) if result.intent is not None else None,
        "actions": [action_json(action) for action in result.actions],
        "response": result.response,
        "error": result.error.as_dict() if result.error is not None else None,
        "timings_ms": timings_json(result.timings),
    }
    if result.from_audio:
        data["audio"] = audio_json(result.audio) if result.audio is not None else None
        data["reply_wav"] = str(result.reply_wav) if result.reply_wav is not None else None
    return data


def place_json(place: Place | None) -> dict[str, str | None] | None:
    """Where the turn was heard: its satellite and that satellite's room (null when unset);
    null for typed text and files, which come from no room."""
    return {"satellite": place.satellite, "room": place.room} if place is not None else None


def wake_json(wake: WakeReport) -> dict[str, Any]:
    if wake.skipped:
        return {"detected": False, "skipped": True, "model": None, "score": None}
    score = round(wake.score, 3) if wake.score is not None else None
    data: dict[str, Any] = {"detected": wake.detected, "model": wake.model, "score": score}
    if wake.detected and wake.audio_seconds is not None:
        data["audio_seconds"] = round(wake.audio_seconds, 3)
    return data


def intent_json(intent: Intent) -> dict[str, Any]:
    return {"name": intent.call.tool, "slots": intent.call.arguments, "source": intent.source}


def action_json(outcome: CommandOutcome) -> dict[str, Any]:
    """One entry of `actions`: what was sent to a device, and whether it confirmed."""
    return {
        "entity": outcome.entity_id,
        "service": outcome.service,
        "topic": outcome.published[-1].topic if outcome.published else None,
        "payload": outcome.published[-1].payload if outcome.published else None,
        "messages": [{"topic": m.topic, "payload": m.payload} for m in outcome.published],
        "confirmed": outcome.confirmed,
        "status": outcome.status,
        "reason": outcome.reason,
        **({"code": outcome.code} if outcome.code else {}),
    }


def timings_json(timings: StageTimings) -> dict[str, float | None]:
    """Milliseconds per stage; null for a stage that did not run."""
    values = {key: getattr(timings, f"{key}_ms") for key in TIMING_KEYS}
    return {key: None if value is None else round(value, 1) for key, value in values.items()}


def audio_json(span: AudioSpan) -> dict[str, float | str | bool]:
    data: dict[str, float | str | bool] = {"duration_seconds": round(span.duration_seconds, 3)}
    for key in ("speech_start_seconds", "speech_end_seconds", "endpoint_seconds"):
        value = getattr(span, key)
        if value is not None:
            data[key] = round(value, 3)
    if span.end_reason is not None:
        data["end_reason"] = span.end_reason
    if span.cut_off:
        data["cut_off"] = True
    return data
