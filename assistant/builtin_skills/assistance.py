"""Calling for help: for clinics and homes with people who need care.

"Help", "call the nurse", "I've fallen" publish an alert to the broker, where a nurse-call
system, a pager gateway or a phone notifier picks it up:

    {"id": "…", "room": "Room 12", "room_known": true, "time": "2026-11-22T19:05:00+01:00",
     "text": "Someone has fallen and needs help.", "reason": "nurse",
     "words": "I have fallen, call the nurse", "satellite": "bed-12", "device": "assistant-ward3"}

`room` is the room of the satellite that heard the call (else `[skills.options.assistance]
room`); with neither it is null, `room_known` is false and a warning is logged, but the alert
still goes out. `words` are the person's own, in full; `text` says the gravest thing in them or
in `reason`, so "I have fallen, call the nurse" is a fall, not only a request for a nurse.

It goes at QoS 1 and is never retained (a retained alert would ring again for every client
that connects). Through a broker outage it keeps trying until the broker has taken it or
`retry_seconds` run out, and the person is told which: success is claimed only when the broker
acknowledged the alert and, by default, routed it back to the assistant's own subscription to
the alert topic (`confirm_by_echo`). The echo is proof that does not rest on PUBACK
bookkeeping alone: the connection's publish can currently return early on a stale PUBACK after a
lost connection (see the report with this skill). A receiver may get an alert more than once
(QoS 1, and attempts that were not confirmed are sent again); `id` tells copies apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.skills import Broker, DeliveryFailed, Message, Skill, ToolResult, tool

_MOST_RETRY_SECONDS = 120.0
_PAUSE_BETWEEN_ATTEMPTS_SECONDS = 0.5
_ATTEMPT_SECONDS = 2.0
"""One publish waits at most this long; a stuck attempt is abandoned and the alert sent again."""
_ECHO_SECONDS = 2.0
"""After the PUBACK, how long to wait for the broker to route the alert back to us."""
_REASONS = {
    "fallen": "Someone has fallen and needs help.",
    "emergency": "Emergency: someone needs help now.",
    "nurse": "Someone is asking for a nurse.",
}
_DEFAULT_TEXT = "Someone is calling for assistance."
# What the words may say beyond the reason understood, gravest first: a fall or an emergency is
# never reduced to the nurse that was asked for in the same breath.
_GRAVER = (
    ("emergency", re.compile(r"\b(?:emergency|ambulance|heart attack|can ?not breathe)\b")),
    ("fallen", re.compile(
        r"\b(?:fallen|fell|had a fall|on the floor|can ?not get up|slipped|tripped)\b"
    )),
)  # fmt: skip
_NEGATION = re.compile(r"\b(?:not|never|no)(?: \w+){0,2} $")

DELIVERED = "I've called for help. The alert went through."
NOT_DELIVERED = (
    "I couldn't reach anyone — the alert did not go through. Please use the call button or phone."
)
NOT_CONFIRMED = (
    "I'm not sure the alert went through: the network did not confirm it. "
    "Please use the call button or phone."
)
NO_NETWORK = (
    "I can't call for help: I'm not connected to the alert network. "
    "Please use the call button or phone."
)


def local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass
class _Delivery:
    attempts: int = 0
    delivered: bool = False
    acknowledged: bool = False
    """Some attempt got a PUBACK (which might have been true) without the echo."""
    problem: str = "no attempt was made"


class AssistanceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(default="assistant/alerts/assistance", min_length=1)
    """Where alerts go (QoS 1, never retained)."""
    room: str | None = None
    """The room this assistant is in, as the people answering the call know it."""
    retry_seconds: float = Field(default=20.0, gt=0.0, le=_MOST_RETRY_SECONDS)
    """How long to keep trying to reach the broker before saying the call did not go through."""
    confirm_by_echo: bool = True
    """Count an alert as delivered only once the broker sends it back to the assistant's own
    subscription. Turn off only if the broker's ACL lets the assistant publish alerts but not
    read them; then the PUBACK alone is trusted."""

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
        self._echoes: dict[str, asyncio.Event] = {}
        self._listening: tuple[Broker, str] | None = None

    @property
    def settings(self) -> AssistanceConfig:
        config = self.context.config
        return config if isinstance(config, AssistanceConfig) else AssistanceConfig()

    async def setup(self) -> None:
        connection = self.context.broker
        if connection is not None and self.settings.confirm_by_echo:
            # Subscribed for good (the connection renews it on every reconnect, before it
            # publishes anything), so the echo of an alert can never be missed.
            connection.subscribe(self.settings.topic, self._on_echo)
            self._listening = (connection, self.settings.topic)

    async def teardown(self) -> None:
        if self._listening is not None:
            connection, topic = self._listening
            connection.unsubscribe(topic, self._on_echo)
            self._listening = None

    def _on_echo(self, message: Message) -> None:
        try:
            alert_id = json.loads(message.payload).get("id")
        except (ValueError, AttributeError):
            return  # someone else's message on the topic
        echoed = self._echoes.get(alert_id) if isinstance(alert_id, str) else None
        if echoed is not None:
            echoed.set()

    @tool(
        "CallForAssistance",
        examples=[
            "call (for help|someone)",
            "call (a|the) nurse{reason=nurse}",
            "(help|help me)",
            "(someone|somebody) help [me]",
            "I need (help|assistance)",
            "I need a nurse{reason=nurse}",
            "(get|fetch) (help|someone)",
            "(get|fetch) a nurse{reason=nurse}",
            "(I've|I have) fallen [down|over]{reason=fallen}",
            "I fell [down|over]{reason=fallen}",
            "I can't get up{reason=fallen}",
            "(I've|I have) fallen and I can't get up{reason=fallen}",
            "emergency{reason=emergency}",
            "(it's|this is) an emergency{reason=emergency}",
            "(get|fetch|call|bring|find|ring|page|send for) [me] (a|the|my) nurse{reason=nurse}",
            "(get|fetch|call|bring|find|ring|page|send for) [me] (a|the|my) (carer|caregiver"
            "|care worker|doctor)",
            "i (need|want) (a|the|my) (carer|caregiver|care worker|doctor)",
            "i (need|want) the nurse{reason=nurse}",
            # Not "i need someone" alone: the rules may find it inside "I need someone to fix…".
            "i need (someone|somebody|a person) (here|with me|quickly|urgently|right away"
            "|to come [here]|to help me|to come [and] help me)"
            " [(here|quickly|urgently|right away)]",
            "(can|could|will|would) (someone|somebody|anyone|anybody) (help me|come [here]"
            "|come and help me)",
            "(someone|somebody|anyone|anybody) (come|come here|come quickly|come and help me"
            "|please come)",
            "(send|get) (someone|somebody|help) [(here|quickly|quick|to me|over here|up here)]",
            "(press|push) the (call|nurse|alarm|emergency) button",
            "i need [some] (help|assistance) [(here|quickly|urgently|right away)]",
            "help help [help]",
            "(help|help me) (quick|quickly)",
            "[(help|help me)] (I've|I have) (just fallen|had a fall) [(down|over)]{reason=fallen}",
            "(help|help me) (I've|I have) fallen [(down|over)]{reason=fallen}",
            "I (fell|have fallen) [(down|over)] and I (can't|cannot) get up{reason=fallen}",
            "I (slipped|tripped|have slipped|have tripped) [and fell]{reason=fallen}",
            "I am on the floor [and I (can't|cannot) get up]{reason=fallen}",
            "(he|she|someone|somebody) (has fallen|fell) [(down|over)]{reason=fallen}",
            "I (do not|don't) feel (well|good|right) [I need (someone|somebody|help|a nurse)"
            " [here]]{reason=unwell}",
            "I am not feeling (well|good|right|very well){reason=unwell}",
            "I (feel|am feeling) (unwell|ill|sick|faint|dizzy){reason=unwell}",
            "I am (unwell|not well){reason=unwell}",
            "(call|get) [me] an ambulance{reason=emergency}",
            "I (can't|cannot) breathe{reason=emergency}",
            "I think I am having a heart attack{reason=emergency}",
        ],
        timeout_seconds=_MOST_RETRY_SECONDS + 10.0,
    )
    async def call_for_assistance(self, reason: Reason | None = None) -> ToolResult:
        """Call a carer or nurse to this room: someone needs help, has fallen, or an emergency.

        Args:
            reason: what is wrong, in a few words, if the person said ("fallen", "emergency",
                "chest pain"); leave it out otherwise.
        """
        settings, place, words = self.settings, self.context.place, self.context.words
        # The satellite's room; the configured one only where no satellite heard it.
        room = place.room if place is not None else settings.room
        text = _text(reason, words)
        connection = self.context.broker
        device = self.context.assistant_name if connection else socket.gethostname()
        alert_id = uuid.uuid4().hex
        alert = {
            "id": alert_id,
            "room": room,
            "room_known": room is not None,
            "time": self.now().isoformat(timespec="seconds"),
            "text": text,
            "reason": reason,
            "words": words,
            "satellite": place.satellite if place is not None else None,
            "device": device,
        }
        log = self.context.log
        # Not the words: no transcript is logged (they go to the alert's receivers only).
        log.warning(
            "ASSISTANCE ALERT %s: room=%r text=%r satellite=%r topic=%s",
            alert_id, room, text, alert["satellite"], settings.topic,
        )  # fmt: skip
        if room is None:
            where = f"satellite {place.satellite!r} has" if place else "this assistant has"
            log.warning(
                "ASSISTANCE ALERT %s: the room is unknown (%s no room set); it goes out "
                "without one", alert_id, where,
            )  # fmt: skip
        if connection is None:
            log.error("ASSISTANCE ALERT %s NOT SENT: no MQTT connection", alert_id)
            return ToolResult.failure("no-network", NO_NETWORK, delivered=False, alert=alert)

        echoed = self._echoes[alert_id] = asyncio.Event()
        by_echo = self._listening is not None
        try:
            outcome = await self._deliver(
                connection, json.dumps(alert, ensure_ascii=False), echoed, by_echo, settings
            )
        finally:
            del self._echoes[alert_id]
        data = {"alert": alert, "topic": settings.topic, "attempts": outcome.attempts}
        if outcome.delivered:
            log.warning(
                "ASSISTANCE ALERT %s delivered: the broker took it on %s (%d attempts)",
                alert_id, settings.topic, outcome.attempts,
            )  # fmt: skip
            return ToolResult(DELIVERED, data={"delivered": True, **data})
        log.error(
            "ASSISTANCE ALERT %s NOT CONFIRMED within %g s (%d attempts): %s",
            alert_id, settings.retry_seconds, outcome.attempts, outcome.problem,
        )  # fmt: skip
        if outcome.acknowledged:
            # A PUBACK came but the broker never routed the alert back: it may have gone out.
            return ToolResult.failure(
                "unconfirmed", NOT_CONFIRMED, delivered=None, detail=outcome.problem, **data
            )
        return ToolResult.failure(
            "not-delivered", NOT_DELIVERED, delivered=False, detail=outcome.problem, **data
        )

    async def _deliver(
        self,
        connection: Broker,
        payload: str,
        echoed: asyncio.Event,
        by_echo: bool,
        settings: AssistanceConfig,
    ) -> _Delivery:
        """Publish, again and again, until the broker has taken the alert or time runs out."""
        deadline = time.monotonic() + settings.retry_seconds
        outcome = _Delivery()
        while not echoed.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return outcome
            outcome.attempts += 1
            try:
                await connection.publish(
                    settings.topic, payload, qos=1, retain=False,
                    deadline_monotonic=time.monotonic() + min(remaining, _ATTEMPT_SECONDS),
                )  # fmt: skip
            except DeliveryFailed as error:
                outcome.problem = error.message
            except Exception as error:  # a bad topic, a closed client: say so, never crash
                outcome.problem = f"{type(error).__name__}: {error}"
            else:
                if not by_echo:
                    outcome.delivered = True
                    return outcome
                outcome.acknowledged = True
                wait = min(deadline - time.monotonic(), _ECHO_SECONDS)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, wait)):
                        await echoed.wait()
                outcome.problem = "the broker acknowledged the alert but never routed it back"
                continue
            pause = min(_PAUSE_BETWEEN_ATTEMPTS_SECONDS, deadline - time.monotonic())
            if not echoed.is_set() and pause > 0:
                await asyncio.sleep(pause)
        outcome.delivered = True
        return outcome


def _text(reason: str | None, words: str | None) -> str:
    """What the alert says: the gravest thing in the reason or the words, else the reason."""
    understood = (reason or "").strip().lower()
    said = (words or "").lower().replace("\u2019", "'").replace("can't", "cannot")
    said = " ".join(re.sub(r"[^a-z ]+", " ", said.replace("n't", " not")).split()) + " "
    for gravity, cue in _GRAVER:
        if understood == gravity:
            return _REASONS[gravity]
        found = cue.search(said)
        if found is not None and not _NEGATION.search(said[: found.start()]):
            return _REASONS[gravity]
    if understood and understood not in _REASONS:
        return f"{_DEFAULT_TEXT[:-1]}: {(reason or '').strip()}"
    return _REASONS.get(understood, _DEFAULT_TEXT)
