"""`assistant once` and `assistant ask`: turns from files or typed text, printed per input."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

from assistant.cli import stopping
from assistant.config import Settings
from assistant.engines import EngineName
from assistant.errors import AssistantError
from assistant.pipeline.assembly import assemble
from assistant.pipeline.contract import timings_json, turn_json
from assistant.pipeline.result import Place, TurnResult
from assistant.service.presence import running_service
from assistant.skills.context import Keeper
from assistant.text import fold

log = logging.getLogger(__name__)

ASKED_SATELLITE = "ask"
"""The satellite `ask --room` speaks as when none is named."""


def run_once(
    settings: Settings, wavs: list[Path], *, as_json: bool, use_wake: bool, out_dir: Path | None
) -> int:
    engines: tuple[EngineName, ...] = (*(("wake",) if use_wake else ()), "vad", "stt", "tts", "llm")

    async def run_all() -> int:
        failed = 0
        async with assemble(
            settings, engines=engines, keeper=one_shot_keeper(settings)
        ) as assembled:
            for wav in wavs:
                try:
                    result = await assembled.turns.from_wav(wav, use_wake=use_wake, out_dir=out_dir)
                except Exception as error:  # one bad file must not stop the others
                    log.exception("unexpected failure on %s", wav)
                    result = TurnResult(input=str(wav), from_audio=True)
                    result.error = AssistantError(f"{type(error).__name__}: {error}")
                failed += result.error is not None
                _emit(result, as_json)
        return failed

    return 1 if stopping.run(run_all()) else 0


def run_ask(
    settings: Settings, texts: Iterable[str] | None, *, as_json: bool, room: str | None = None,
    satellite: str | None = None,
) -> int:  # fmt: skip
    """Each text understood and acted on; None reads them from standard input, a line each.
    With a `room` or a `satellite`, as if that satellite in that room had heard it."""
    place = Place(satellite or ASKED_SATELLITE, room) if room or satellite else None

    async def run_all() -> int:
        failed = 0
        async with assemble(
            settings, engines=("llm",), keeper=one_shot_keeper(settings)
        ) as assembled:
            rooms = assembled.skills.devices.areas()
            if room and fold(room) not in {fold(known) for known in rooms}:
                log.warning("no device is in a room called %r (rooms: %s)", room,
                            ", ".join(rooms) or "none known")  # fmt: skip
            async for text in _texts(texts):
                result = await assembled.turns.from_text(text, place=place)
                failed += result.error is not None
                _emit(result, as_json)
        return failed

    return 1 if stopping.run(run_all()) else 0


def one_shot_keeper(settings: Settings) -> Callable[[], Keeper]:
    """A one-shot command ends once it has answered: what a skill schedules (a timer) is kept
    only by the service running on the same state folder, if one is, at the time it is asked."""
    state_dir = settings.storage.state_dir
    return lambda: "service" if running_service(state_dir) is not None else None


async def _texts(texts: Iterable[str] | None) -> AsyncIterator[str]:
    if texts is not None:
        for text in texts:
            yield text
        return
    async for line in _stdin_lines():
        if line.strip():
            yield line.strip()


async def _stdin_lines() -> AsyncIterator[str]:
    """Standard input, line by line, read on a thread of its own: a read blocking the event
    loop would stop all MQTT work (reconnects, state updates, discovery) while `ask -` waits
    for its next line, and would keep a stop signal from being acted on. The thread is a
    daemon, so a process told to stop does not wait for input that may never come."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue(maxsize=64)

    def read() -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the command has ended
            for line in sys.stdin:
                asyncio.run_coroutine_threadsafe(lines.put(line), loop).result()
            asyncio.run_coroutine_threadsafe(lines.put(None), loop).result()

    threading.Thread(target=read, name="stdin", daemon=True).start()
    while (line := await lines.get()) is not None:
        yield line


def _emit(result: TurnResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(turn_json(result), ensure_ascii=False), flush=True)
        return
    print(f"{result.input}:")
    if result.place is not None:
        room = result.place.room or "no room set"
        print(f"  at: {result.place.satellite} ({room})")
    wake = result.wake
    if wake is not None and not wake.skipped:
        score = round(wake.score, 3) if wake.score is not None else None
        print(f"  wake: {'yes' if wake.detected else 'no'} (score {score})")
    if result.transcript is not None:
        print(f"  heard: {result.transcript}")
    if result.intent is not None:
        print(f"  intent: {result.intent.call.tool} {result.intent.call.arguments}")
    for action in result.actions:
        print(f"  action: {action.entity_id} {action.service}: {action.status}")
    if result.response:
        print(f"  reply: {result.response}")
    if result.error is not None:
        print(f"  error: [{result.error.code}] {result.error.message}")
    timings = ", ".join(
        f"{key} {value:.0f} ms" for key, value in timings_json(result.timings).items() if value
    )
    print(f"  timings: {timings}")
    sys.stdout.flush()
