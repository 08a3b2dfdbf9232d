"""What a `[[device]]` table of the home file may say, the device's faults included."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["light", "switch", "fan", "climate", "cover", "lock", "sensor", "binary_sensor"]
Style = Literal["zigbee2mqtt", "tasmota", "esphome", "shelly"]
Reading = Literal["temperature", "humidity"]


class Faults(BaseModel):
    """Misbehaviour for tests, per device; settable in the home file and at run time."""

    model_config = ConfigDict(extra="forbid")

    available: bool = True
    confirm_delay_seconds: float = Field(default=0.0, ge=0.0, le=3600.0)
    lose_confirmations: bool = False
    offline_every_seconds: float = Field(default=0.0, ge=0.0)
    """Period of repeated outages; 0 means none."""
    offline_for_seconds: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _outage_fits_period(self) -> Faults:
        if (
            self.offline_every_seconds
            and not 0 < self.offline_for_seconds < self.offline_every_seconds
        ):
            raise ValueError("offline_for_seconds must be above 0 and below offline_every_seconds")
        return self


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ieee: str | None = Field(default=None, pattern=r"^0x[0-9a-f]{16}$")
    brightness_scale: int | None = Field(default=None, ge=1, le=65535)
    min_temp: float = 7.0
    max_temp: float = 30.0
    temp_step: float = Field(default=0.5, gt=0.0)
    modes: list[str] = Field(default=["off", "heat", "auto"], min_length=1)
    speed_range_max: int = Field(default=100, ge=1, le=1000)
    travel_seconds: float = Field(default=0.3, ge=0.0, le=600.0)
    """Time for a full 0–100 % travel; shorter moves take their share of it."""
    readings: list[Reading] = Field(default=["temperature", "humidity"], min_length=1)
    device_class: str | None = None


class DeviceSpec(BaseModel):
    """One `[[device]]` table of the home file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    kind: Kind
    name: str = Field(min_length=1, max_length=100)
    area: str = Field(min_length=1, max_length=100)
    style: Style | None = None
    options: Options = Options()
    initial: dict[str, Any] = {}
    faults: Faults = Faults()
