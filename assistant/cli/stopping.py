"""Stopping promptly on SIGTERM (systemd, `kill`, CI) or Ctrl-C, at any point of a command.

Raising KeyboardInterrupt from the signal handler, as Python does for Ctrl-C, failed twice over:

- Python runs a handler on the main thread at its next bytecode, and that can be inside a
  ctypes callback: llama.cpp calls its log callback hundreds of times while it loads a model,
  and ctypes prints and drops an exception raised there. The stop was lost, and `ask -` went on
  to wait for input (a SIGTERM during start-up was lost about one time in seven).
- At exit the interpreter joins worker threads, each finishing the model load or evaluation it
  is in first: seconds, more on a Pi.

So while a command's event loop runs (`run`), a stop signal cancels its main task, which
unwinds through every `async with` and `finally` at its next await (models load on worker
threads, so the loop is there to notice). Outside the loop there is no C code to land in, and
KeyboardInterrupt is raised as before. Either way `exit_now` ends the process once it has
unwound, without joining worker threads. Should anything still hold on (a C call that does not
return, a cleanup that hangs), the process ends `GRACE_SECONDS` after the signal, or at once on
a second one; children that must not outlive it die with it (`PR_SET_PDEATHSIG`, see
`assistant.devices.broker`).

The signal is heard on a watcher thread through `signal.set_wakeup_fd`, which the C-level
handler writes to the moment the signal arrives, whatever the main thread is busy with.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

from assistant.service import notify

T = TypeVar("T")

# Unwinding takes well under a second (cancel, close MQTT, stop the skills); past this something
# is stuck, and waiting longer only keeps systemd (TimeoutStopSec=30) or a script waiting.
GRACE_SECONDS = 3.0

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Stop:
    """The process's one stop request (signals are process-wide)."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self.service = False
        self.lock = threading.Lock()
        self.main: tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]] | None = None
        self.told_systemd = False


_stop = _Stop()


def install(*, service: bool) -> None:
    """Handle SIGTERM and SIGINT from now on; call once, on the main thread.

    `service` (`assistant run`): systemd hears STOPPING=1 as soon as the signal comes, and the
    exit status is 0, which is a clean stop for the unit (it has no `SuccessExitStatus=`, so
    143 would count as a failure); a one-shot command exits with 128 + the signal's number.
    """
    _stop.service = service
    reader, writer = socket.socketpair()
    writer.setblocking(False)  # what set_wakeup_fd requires: a full buffer must not block
    for number in _SIGNALS:
        signal.signal(number, _on_signal)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(reader, writer), name="stop", daemon=True).start()


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, with a stop signal cancelling `main`; then KeyboardInterrupt, as
    for a signal outside the loop."""

    async def registered() -> T:
        task = asyncio.current_task()
        assert task is not None
        with _stop.lock:
            _stop.main = (asyncio.get_running_loop(), task)
            stopped = _stop.signal is not None
        try:
            if stopped:  # it came while the loop was being set up
                main.close()
                raise asyncio.CancelledError
            return await main
        finally:
            with _stop.lock:
                _stop.main = None

    try:
        return asyncio.run(registered())
    except asyncio.CancelledError:
        if _stop.signal is None:
            raise
        raise KeyboardInterrupt from None


def requested() -> bool:
    return _stop.signal is not None


def exit_status() -> int:
    """What a stopped command exits with (130 for a KeyboardInterrupt of no signal's)."""
    return 0 if _stop.service else 128 + (_stop.signal or signal.SIGINT)


def exit_now(status: int) -> NoReturn:
    """End the process now: the interpreter's own exit would first wait for every worker
    thread still inside a model load or evaluation."""
    _tell_systemd()  # the watcher thread may not have got to it yet
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken pipe: nothing more to say
            stream.flush()
    os._exit(status)


def _on_signal(number: int, _frame: object) -> None:
    """Python's handler, run on the main thread at its next bytecode. In the event loop it does
    nothing: the watcher cancels the main task, which is safe wherever this runs."""
    if _stop.signal is None:
        _stop.signal = number
    if _stop.main is None:
        raise KeyboardInterrupt


def _watch(reader: socket.socket, _writer: socket.socket) -> None:
    """The watcher thread; `_writer` is kept open here for as long as the process lives."""
    stopping = False
    while True:
        for number in reader.recv(64):
            if number not in _SIGNALS:
                continue
            if stopping:  # a second signal: no more waiting
                os._exit(exit_status())
            stopping = True
            # Armed before anything that could block (a notification, the lock).
            threading.Thread(target=_exit_after, name="stop-deadline", daemon=True).start()
            _begin(number)


def _exit_after() -> None:
    time.sleep(GRACE_SECONDS)
    os._exit(exit_status())


def _begin(number: int) -> None:
    with _stop.lock:
        if _stop.signal is None:
            _stop.signal = number
        main = _stop.main
    _tell_systemd()
    if main is not None:
        loop, task = main
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to cancel
            loop.call_soon_threadsafe(task.cancel)


def _tell_systemd() -> None:
    """STOPPING=1, once: systemd then waits for the exit instead of counting a crash."""
    with _stop.lock:
        told, _stop.told_systemd = _stop.told_systemd, True
    if _stop.service and not told:
        notify.stopping()
