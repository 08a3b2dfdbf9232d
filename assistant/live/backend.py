"""The boundary between the live loop and the sound card.

The loop only ever sees two callbacks: one receiving captured blocks, one filling playback
blocks. `SoundDeviceBackend` drives them from PortAudio through sounddevice; tests drive the
very same callbacks from synthesized WAVs and record what would have reached the speaker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from assistant.errors import AssistantError

log = logging.getLogger(__name__)

InputCallback = Callable[[npt.NDArray[np.float32]], None]
"""Receives one captured block, frames × channels, float32."""
OutputCallback = Callable[[npt.NDArray[np.float32]], None]
"""Fills one playback block in place, frames × 1, float32."""


class AudioDeviceError(AssistantError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="audio-device")


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    input_channels: int
    output_channels: int
    default_rate_hz: int
    is_default_input: bool = False
    is_default_output: bool = False


class Stream(Protocol):
    def start(self) -> None: ...
    def close(self) -> None: ...


class AudioBackend(Protocol):
    def devices(self) -> list[DeviceInfo]: ...

    def open_input(
        self, device: int | None, rate_hz: int, channels: int, block_frames: int,
        callback: InputCallback,
    ) -> Stream: ...  # fmt: skip

    def open_output(
        self, device: int | None, rate_hz: int, block_frames: int, latency: str | float,
        callback: OutputCallback,
    ) -> Stream: ...  # fmt: skip


def choose_device(
    devices: list[DeviceInfo], wanted: str | int | None, *, direction: str
) -> DeviceInfo:
    """The device asked for by index or by (a part of its) name, or the default one."""
    usable = [
        d for d in devices
        if (d.input_channels if direction == "input" else d.output_channels) > 0
    ]  # fmt: skip
    if not usable:
        raise AudioDeviceError(
            f"no {direction} audio device: check `arecord -l`/`aplay -l` and that this user "
            "is in the audio group"
        )
    if wanted is None or wanted == "":
        default = [d for d in usable if (d.is_default_input if direction == "input"
                                         else d.is_default_output)]  # fmt: skip
        return (default or usable)[0]
    if isinstance(wanted, int) or str(wanted).isdigit():
        for device in usable:
            if device.index == int(wanted):
                return device
    else:
        named = [d for d in usable if str(wanted).casefold() in d.name.casefold()]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            listed = ", ".join(f"{d.index}: {d.name}" for d in named)
            raise AudioDeviceError(f"{direction} device {wanted!r} fits several: {listed}")
    listed = ", ".join(f"{d.index}: {d.name}" for d in usable)
    raise AudioDeviceError(f"no {direction} device {wanted!r}; there are {listed}")


class SoundDeviceBackend:
    """PortAudio through sounddevice. Imported lazily: a machine without PortAudio can still
    run `ask`, `once` and the tests."""

    def __init__(self) -> None:
        try:
            import sounddevice
        except OSError as error:  # the PortAudio library itself is missing
            raise AudioDeviceError(f"PortAudio is not available: {error}") from error
        self._sd: Any = sounddevice

    def devices(self) -> list[DeviceInfo]:
        sd = self._sd
        sd._terminate()  # PortAudio lists devices as they were at start-up; look again
        sd._initialize()
        default_in, default_out = sd.default.device
        return [
            DeviceInfo(
                index=index,
                name=str(info["name"]),
                input_channels=int(info["max_input_channels"]),
                output_channels=int(info["max_output_channels"]),
                default_rate_hz=int(info["default_samplerate"]),
                is_default_input=index == default_in,
                is_default_output=index == default_out,
            )
            for index, info in enumerate(sd.query_devices())
        ]

    def open_input(
        self, device: int | None, rate_hz: int, channels: int, block_frames: int,
        callback: InputCallback,
    ) -> Stream:  # fmt: skip
        def on_block(data: npt.NDArray[np.float32], _frames: int, _time: Any, status: Any) -> None:
            if status:
                log.debug("capture status: %s", status)
            callback(data)

        try:
            stream: Stream = self._sd.InputStream(
                device=device,
                samplerate=rate_hz,
                channels=channels,
                dtype="float32",
                blocksize=block_frames,
                callback=on_block,
            )
        except Exception as error:
            raise AudioDeviceError(f"cannot open the microphone: {error}") from error
        return stream

    def open_output(
        self, device: int | None, rate_hz: int, block_frames: int, latency: str | float,
        callback: OutputCallback,
    ) -> Stream:  # fmt: skip
        def on_block(out: npt.NDArray[np.float32], _frames: int, _time: Any, status: Any) -> None:
            if status:
                log.debug("playback status: %s", status)
            callback(out)

        try:
            stream: Stream = self._sd.OutputStream(
                device=device,
                samplerate=rate_hz,
                channels=1,
                dtype="float32",
                blocksize=block_frames,
                latency=latency,
                callback=on_block,
            )
        except Exception as error:
            raise AudioDeviceError(f"cannot open the speaker: {error}") from error
        return stream
