"""Calling for help: for clinics and homes with people who need care.

"Help", "call the nurse", "I've fallen" publish an alert to the broker, where a nurse-call
system, a pager gateway or a phone notifier picks it up:

    {"id": "…", "room": "Room 12", "time": "2026-11-22T19:05:00+01:00",
     "text": "Someone has fallen and needs help.", "reason": "fallen", "device": "assistant-ward3"}

It goes at QoS 1 and is never retained (a retained alert would ring again for every client
that connects). Through a broker outage it keeps trying until the broker acknowledges it or
`retry_seconds` run out, and the person is told which: success is claimed only on the broker's
acknowledgement. A receiver may get an alert twice after a reconnect; `id` tells them apart.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.devices.mqtt import DeliveryFailed, MqttConnection, default_client_id
from assistant.skills import Skill, SkillContext, ToolResult, tool

_MOST_RETRY_SECONDS = 120.0
_PAUSE_BETWEEN_ATTEMPTS_SECONDS = 0.5
_REASONS = {
    "fallen": "Someone has fallen and needs help.",
    "emergency": "Emergency: someone needs help now.",
    "nurse": "Someone is asking for a nurse.",
}
_DEFAULT_TEXT = "Someone is calling for assistance."

DELIVERED = "I've called for help. The alert went through."
NOT_DELIVERED = (
    "I couldn't reach anyone — the alert did not go through. Please use the call button or phone."
)
NO_NETWORK = (
    "I can't call for help: I'm not connected to the alert network. "
    "Please use the call button or phone."
)


def local_now() -> datetime:
    return datetime.now().astimezone()


def mqtt_connection(context: SkillContext) -> MqttConnection | None:
    """The device layer's broker connection, if there is one.

    SkillContext offers no public way to it yet, so this reaches through DeviceApi's private
    commander; to be replaced by a public accessor (see the skill's report).
    """
    commander = getattr(context.devices, "_commander", None)
    connection = getattr(commander, "connection", None)
    return connection if isinstance(connection, MqttConnection) else None


class AssistanceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(default="assistant/alerts/assistance", min_length=1)
    """Where alerts go (QoS 1, never retained)."""
    room: str | None = None
    """The room this assistant is in, as the people answering the call know it."""
    retry_seconds: float = Field(default=20.0, gt=0.0, le=_MOST_RETRY_SECONDS)
    """How long to keep trying to reach the broker before saying the call did not go through."""

    @field_validator("topic")
    @classmethod
    def _no_wildcards(cls, topic: str) -> str:
        if "+" in topic or "#" in topic:
            raise ValueError("an alert topic cannot contain MQTT wildcards (+ or #)")
        return topic


Reason = Annotated[str, Field(min_length=1, max_length=200)]


class Assistance(Skill):
    """Call for help: alert carers or nurses through the broker."""

    name = "assistance"
    Config: ClassVar[type[BaseModel] | None] = AssistanceConfig

    def __init__(self) -> None:
        self.now: Callable[[], datetime] = local_now
        """Where the alert's time comes from; tests put a fixed clock here."""

    @property
    def settings(self) -> AssistanceConfig:
        config = self.context.config
        return config if isinstance(config, AssistanceConfig) else AssistanceConfig()

    @tool(
        "CallForAssistance",
        examples=[
            "call (for help|a nurse|the nurse|someone)",
            "(help|help me)",
            "please help [me]",
            "I need (help|a nurse|assistance)",
            "(get|fetch) (help|a nurse|someone)",
            "(I've|I have) fallen [down|over]{reason=fallen}",
            "I can't get up{reason=fallen}",
            "emergency{reason=emergency}",
            "(it's|this is) an emergency{reason=emergency}",
        ],
        timeout_seconds=_MOST_RETRY_SECONDS + 10.0,
    )
    async def call_for_assistance(self, reason: Reason | None = None) -> ToolResult:
        """Call a carer or nurse to this room: someone needs help, has fallen, or an emergency.

        Args:
            reason: what is wrong, in a few words, if the person said ("fallen", "emergency",
                "chest pain"); leave it out otherwise.
        """
        settings = self.settings
        room = settings.room or "unknown room"
        text = _REASONS.get((reason or "").strip().lower(), _DEFAULT_TEXT)
        if reason and reason.strip().lower() not in _REASONS:
            text = f"{_DEFAULT_TEXT[:-1]}: {reason.strip()}"
        connection = mqtt_connection(self.context)
        device = default_client_id(connection.settings) if connection else socket.gethostname()
        alert = {
            "id": uuid.uuid4().hex,
            "room": room,
            "time": self.now().isoformat(timespec="seconds"),
            "text": text,
            "reason": reason,
            "device": device,
        }
        log = self.context.log
        log.warning("ASSISTANCE ALERT %s: room=%r text=%r topic=%s", alert["id"], room, text,
                    settings.topic)  # fmt: skip
        if connection is None:
            log.error("ASSISTANCE ALERT %s NOT SENT: no MQTT connection", alert["id"])
            return ToolResult.failure("no-network", NO_NETWORK, delivered=False, alert=alert)

        payload = json.dumps(alert, ensure_ascii=False)
        started = time.monotonic()
        deadline = started + settings.retry_seconds
        attempts = 0
        problem = ""
        while True:
            attempts += 1
            try:
                await connection.publish(
                    settings.topic, payload, qos=1, retain=False, deadline_monotonic=deadline
                )
            except DeliveryFailed as error:
                problem = error.message
            except Exception as error:  # a bad topic, a closed client: say so, never crash
                problem = f"{type(error).__name__}: {error}"
            else:
                elapsed = time.monotonic() - started
                log.warning(
                    "ASSISTANCE ALERT %s delivered to the broker on %s after %.1f s (%d attempts)",
                    alert["id"], settings.topic, elapsed, attempts,
                )  # fmt: skip
                return ToolResult(
                    DELIVERED,
                    data={"delivered": True, "alert": alert, "topic": settings.topic,
                          "attempts": attempts},
                )  # fmt: skip
            remaining = deadline - time.monotonic()
            if remaining <= _PAUSE_BETWEEN_ATTEMPTS_SECONDS:
                break
            await asyncio.sleep(_PAUSE_BETWEEN_ATTEMPTS_SECONDS)
        log.error("ASSISTANCE ALERT %s NOT DELIVERED after %.1f s (%d attempts): %s",
                  alert["id"], time.monotonic() - started, attempts, problem)  # fmt: skip
        return ToolResult.failure(
            "not-delivered", NOT_DELIVERED, delivered=False, alert=alert, topic=settings.topic,
            attempts=attempts, detail=problem,
        )  # fmt: skip
