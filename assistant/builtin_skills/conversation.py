"""Talking about the conversation itself: "never mind", and "what can you do".

The answer to "what can you do" is built from the tools that are loaded right now, so a skill
added by the home's owner shows up in it and a disabled one does not. Tools with a Home
Assistant intent name are grouped into kinds of things (lights, thermostats, timers, …); any
other tool is described by its own docstring. Each kind gets one example sentence, made from
the tool's first example template whose every slot has a word.

The examples are about this home: a device kind is spoken of only when the home has a device
of it that a voice may control, its example names that device (and its room), and no example
names a device or a room the home does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.skills import Entity, Skill, ToolResult, kind_plural, parse_template, tool
from assistant.skills.templates import Fixed, Sequence, Slot, Word

# --- example templates to plain sentences ---------------------------------------------------


def _plain(sequence: Sequence) -> bool:
    return all(isinstance(node, Word) for node in sequence.items)


def _plural(options: tuple[Sequence, ...]) -> Sequence | None:
    """In "(minute|minutes)", the plural, to follow a number other than one."""
    words = {
        " ".join(node.text for node in option.items if isinstance(node, Word)): option
        for option in options
        if _plain(option)
    }
    return next((words[w] for w in words if w.endswith("s") and w[:-1] in words), None)


def _expand(sequence: Sequence, fill: dict[str, str], missing: list[str]) -> list[str]:
    words: list[str] = []
    for node in sequence.items:
        if isinstance(node, Word):
            words.append(node.text)
        elif isinstance(node, Slot):
            if node.name not in fill:
                missing.append(node.name)
            words.append(fill.get(node.name, node.name.replace("_", " ")))
        elif isinstance(node, Fixed):
            continue  # `{domain=light}` says nothing
        elif isinstance(node, Sequence):
            words += _expand(node, fill, missing)
        elif node.optional:
            # Plain optional words ("[the]", "[percent]", "[today]") make the sentence read
            # naturally; optional slots and optional choices ("[down|up]") are left out.
            if len(node.options) == 1 and _plain(node.options[0]):
                words += _expand(node.options[0], fill, missing)
        else:
            chosen = node.options[0]
            if words and words[-1].isdigit() and words[-1] != "1":
                chosen = _plural(node.options) or chosen
            words += _expand(chosen, fill, missing)
    return words


def expand_template(template: str, fill: dict[str, str]) -> tuple[str, list[str]]:
    """One plain sentence from an example template, and the slots `fill` had no word for.

    The first of each `(a|b)` is taken, `{slot=value}` says nothing, `{slot}` becomes its
    word from `fill` (else the slot's name), and optional parts are kept only when they are
    plain words. Raises ValueError for a malformed template.
    """
    missing: list[str] = []
    words = _expand(parse_template(template), fill, missing)
    return " ".join(" ".join(words).split()), missing


# --- kinds of things the assistant can do ----------------------------------------------------

# Values any home has. Names of devices, rooms and floors are this home's own, never made up.
_SLOT_WORDS = {
    "brightness": "50", "position": "50", "temperature": "21", "hours": "1", "minutes": "5",
    "seconds": "30", "state": "on", "domain": "lights", "color": "blue", "volume_level": "50",
}  # fmt: skip
# The state a question about a device of a kind asks after ("is the Back door lock locked").
_ASKED_STATE = {"lock": "locked", "cover": "open"}


@dataclass(frozen=True)
class _Kind:
    phrase: str
    """What the assistant can do, as a verb phrase after "I can"."""
    tools: tuple[str, ...] = ()
    """Tool names of this kind, the one to take the example from first."""
    name_contains: str = ""
    """Also any tool whose name contains this (all the Hass…Timer intents)."""
    name_prefix: str = ""
    words: dict[str, str] = field(default_factory=dict)
    """Slot words for this kind's example, over `_SLOT_WORDS`."""
    devices: tuple[str, ...] = ()
    """The device kinds (HA domains) it acts on, the one to name in its example first. With
    any, it is spoken of only in a home that has such a device a voice may control."""

    def covers(self, tool_name: str) -> bool:
        return (
            tool_name in self.tools
            or bool(self.name_contains and self.name_contains in tool_name)
            or bool(self.name_prefix and tool_name.startswith(self.name_prefix))
        )


# Home Assistant's intent names (docs/conventions.md), grouped; only loaded tools are spoken of.
_KINDS = (
    _Kind(
        "control lights and other devices",
        ("HassTurnOn", "HassTurnOff", "HassLightSet", "HassFanSetSpeed"),
        devices=("light", "switch", "fan"),
    ),
    _Kind("move blinds", ("HassSetPosition",), devices=("cover",)),
    _Kind(
        "set the heating",
        ("HassClimateSetTemperature", "HassClimateGetTemperature", "AdjustTemperature"),
        devices=("climate",),
    ),
    _Kind(
        "check on doors and devices",
        ("HassGetState",),
        devices=("lock", "light", "switch", "fan", "cover"),
    ),
    _Kind("set timers", ("HassStartTimer",), name_contains="Timer", words={"name": "pasta"}),
    _Kind("tell the time and date", ("HassGetCurrentTime", "HassGetCurrentDate")),
    _Kind(
        "control music and the volume",
        ("HassMediaPause", "HassSetVolume"),
        name_prefix="HassMedia",
        words={"name": "radio"},
    ),
    _Kind("call for help", ("CallForAssistance",)),
)
_NOT_SPOKEN_OF = {"HassNevermind", "AssistantHelp"}
_MOST_KINDS_SPOKEN = 8


def _verb_phrase(description: str) -> str:
    """ "Water the plants. Uses the pump." -> "water the plants" """
    first = description.strip().split(". ")[0].strip().rstrip(".")
    if len(first) > 1 and not first[1].isupper():
        first = first[0].lower() + first[1:]
    return first


def _example(templates: list[tuple[str, ...]], words: dict[str, str]) -> str | None:
    """The first example sentence whose slots all have words; none when every template leaves
    one unfilled (a slot's own name, "turn on the name", is no example)."""
    fill = {**_SLOT_WORDS, **words}
    for examples in templates:
        for template in examples:
            try:
                sentence, missing = expand_template(template, fill)
            except ValueError:
                continue
            if sentence and not missing:
                return sentence
    return None


def _about(home: list[Entity], kinds: tuple[str, ...]) -> dict[str, str] | None:
    """Slot words naming one of the home's devices of these kinds, the first kind first (by
    name, so the same home gives the same example), and its room; None without one."""
    found = [entity for entity in home if entity.kind in kinds]
    if not found:
        return None
    entity = min(found, key=lambda e: (kinds.index(e.kind), e.name))
    words = {
        "name": entity.name,
        "domain": kind_plural(entity.kind),
        "state": _ASKED_STATE.get(entity.kind, "on"),
    }
    return words | ({"area": entity.area} if entity.area else {})


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def summarise(
    tools: list[tuple[str, str, tuple[str, ...]]], home: list[Entity]
) -> tuple[str, list[dict[str, object]]]:
    """The spoken answer to "what can you do", and the kinds it names (for the result's data).

    `home` is the devices a voice may control: examples name only them and their rooms."""
    kinds: list[dict[str, object]] = []
    claimed: set[str] = set()
    by_name = {name: examples for name, _, examples in tools}
    for kind in _KINDS:
        members = [name for name, _, _ in tools if kind.covers(name)]
        claimed.update(members)
        words = _about(home, kind.devices) if kind.devices else kind.words
        if not members or words is None:
            continue  # not loaded, or nothing of the kind here: "move blinds" without blinds
        preferred = [name for name in kind.tools if name in by_name]
        ordered = preferred + [name for name in members if name not in preferred]
        example = _example([by_name[name] for name in ordered], words)
        kinds.append({"kind": kind.phrase, "tools": members, "example": example})
    # Another skill's tool may ask for a room: one of this home's. Its devices' kinds are not
    # known here, so a template naming a device is not used for an example.
    rooms = sorted({entity.area for entity in home if entity.area})
    for name, description, examples in tools:
        if name in claimed or name in _NOT_SPOKEN_OF:
            continue
        example = _example([examples], {"area": rooms[0]} if rooms else {})
        kinds.append({"kind": _verb_phrase(description), "tools": [name], "example": example})
    if not kinds:
        return "Right now I can't do much: no skills with things to do are loaded.", []
    spoken = kinds[:_MOST_KINDS_SPOKEN]
    phrases = [str(kind["kind"]) for kind in spoken]
    if len(kinds) > len(spoken):
        phrases.append("a few more things")
    speech = f"I can {_join(phrases)}."
    sentences = [f'"{kind["example"]}"' for kind in spoken if kind["example"]]
    if sentences:
        speech += f" For example, you can say {_join(sentences, 'or')}."
    return speech, kinds


class Conversation(Skill):
    """Cancel what is going on, and tell what the assistant can do."""

    name = "conversation"

    @tool(
        "HassNevermind",
        examples=[
            "(never mind|nevermind)",
            "cancel [that|it]",
            "forget (it|that|about it)",
            "stop",
            "(nothing|no thanks)",
            "[(oh|ah|actually|no|okay|ok|well|sorry)] (never mind|nevermind|forget it"
            "|forget about it|forget that|cancel that|no matter) [(it does not matter"
            "|it is not important|it is (fine|ok|okay|alright)|that is (fine|ok|okay|all)"
            "|not important|nothing)]",
            "[(oh|ah|actually|no|well)] (it|that) (does not|doesn't) matter [(anymore|any more)]",
            "[(oh|ah|actually|no|well)] (it is|that is) not important",
            "[(oh|ah|actually|no|sorry)] (i [have] changed my mind|scratch that|disregard (that|it)"
            "|ignore (that|me|it))",
            "(forget|ignore) (i asked|i said anything|what i [just] said)",
            "[sorry] i did not mean (that|it|to [(say|ask)] [that])",
            "(that is all|that will be all|that is it|nothing else|i am (done|all set))",
            "(stop it|stop that|stop talking|be quiet|shush|hush)",
        ],
        timeout_seconds=2,
    )
    async def nevermind(self) -> ToolResult:
        """Cancel: the person does not want anything after all."""
        return ToolResult("OK.", data={"nevermind": True})

    @tool(
        "AssistantHelp",
        examples=[
            # "[can you]": the rules drop "can you" from what was said as filler, so the
            # plain "what can you do" would never match (see the report on normalisation).
            "what [can you] do",
            "what (are you able|do you know how) to do",
            "what can I (say|ask [you])",
            "what [can you] help [me] with",
            "how (do|can) I use you",
            "what [(else|other)] [(sort|sorts|kind|kinds|type|types) of] (things|stuff) can (you|i)"
            " (do|help [(me|you)] with|ask [you] [(to do|about|for)]|say [to you])",
            "what [(sort|sorts|kind|kinds|type|types) of] (things|stuff) (do you (do|know"
            "|understand|help with)|are you (able to do|able to help with|good at))",
            "what else (can you do|do you do|can i (say|ask [you]))",
            "what (are you|you are) (able to do|capable of|good at|good for|for)",
            "what do you do",
            "how (can|do|could) you help [me]",
            "[(tell|show) me] what (you can do|you are able to do|i can (say|ask [you]))",
            "what are (your|the) (skills|abilities|features|commands|capabilities)",
            "what (skills|abilities|features|commands|capabilities) (do you have|have you got"
            "|are there)",
            "(list|show me) [(your|the)] (skills|abilities|features|commands|capabilities)",
            "what (commands|things) (do you understand|do you know|can i use|can i give you)",
            "how (does|do) (this|it|you) work",
            "how (do|can|should) i (use|talk to|speak to) (you|this [thing])",
            "i (do not|did not) know what to (say|ask [you])",
        ],
        timeout_seconds=2,
    )
    async def what_can_you_do(self) -> ToolResult:
        """Tell what kinds of things the assistant can do, with an example of each."""
        devices = self.context.devices
        # `names()` lists only what a voice may control (the safety policy's exposure), as
        # the model's schema does: a lock that is not exposed is no example.
        controllable = set(devices.names())
        home = [entity for entity in devices.entities() if entity.name in controllable]
        speech, kinds = summarise(self.context.describe_tools(), home)
        return ToolResult(speech, data={"kinds": kinds})
