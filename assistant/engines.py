"""The loaded models (one backend per role), each behind its own single worker thread.

Models are loaded on first use (so `ask` never pays for Whisper), or up front with `load()`
so a missing model stops start-up with one clear line. Each model gets one worker thread:
inference never blocks the event loop, and a model is never entered by two threads at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from assistant.config import Settings
from assistant.llm.llama_cpp import LlamaCpp
from assistant.llm.protocol import LanguageModel
from assistant.modelstore.store import ModelStore
from assistant.stt.faster_whisper import FasterWhisper
from assistant.stt.protocol import SpeechToText
from assistant.tts.piper import Piper
from assistant.tts.protocol import TextToSpeech
from assistant.vad.protocol import VoiceActivityDetector
from assistant.vad.silero import SileroVad
from assistant.wake.openwakeword import OpenWakeWord
from assistant.wake.protocol import WakeWordDetector

log = logging.getLogger(__name__)

EngineName = Literal["wake", "vad", "stt", "llm", "tts"]
T = TypeVar("T")


class Engines:
    def __init__(self, settings: Settings, store: ModelStore | None = None) -> None:
        self.settings = settings
        self.store = store or ModelStore(settings.models.dir)
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._executors: dict[str, ThreadPoolExecutor] = {}
        self.load_seconds: dict[str, float] = {}

    def _load(self, name: EngineName) -> Any:
        with self._lock:
            if name not in self._loaded:
                started = time.perf_counter()
                self._loaded[name] = self._build(name)
                self.load_seconds[name] = time.perf_counter() - started
                log.info("loaded %s in %.2f s", name, self.load_seconds[name])
            return self._loaded[name]

    def _build(self, name: EngineName) -> Any:
        settings = self.settings
        if name == "wake":
            return OpenWakeWord(settings.wake, self.store)
        if name == "vad":
            return SileroVad(self.store.resolve(settings.vad.model, setting="vad.model"))
        if name == "stt":
            return FasterWhisper(settings.stt, self.store)
        if name == "llm":
            return LlamaCpp.from_store(settings.llm, self.store)
        return Piper(settings.tts, self.store)

    def load(self, *names: EngineName) -> None:
        for name in names:
            self._load(name)

    @property
    def wake(self) -> WakeWordDetector:
        return self._load("wake")  # type: ignore[no-any-return]

    @property
    def vad(self) -> VoiceActivityDetector:
        return self._load("vad")  # type: ignore[no-any-return]

    @property
    def stt(self) -> SpeechToText:
        return self._load("stt")  # type: ignore[no-any-return]

    @property
    def llm(self) -> LanguageModel:
        return self._load("llm")  # type: ignore[no-any-return]

    @property
    def tts(self) -> TextToSpeech:
        return self._load("tts")  # type: ignore[no-any-return]

    async def run(self, name: EngineName, function: Callable[..., T], *args: Any) -> T:
        """Run blocking model work on that model's own worker thread."""
        executor = self._executors.get(name)
        if executor is None:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"model-{name}")
            self._executors[name] = executor
        return await asyncio.get_running_loop().run_in_executor(executor, function, *args)

    def close(self) -> None:
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)
        self._executors.clear()
