"""Everyday phrasings for the skills that are not about devices: clock, timers, "never mind",
"what can you do" and the call for help.

The sentences here are held out: none is written out as it stands in a skill's templates, nor
in the evaluation set. They vary the numbers, the politeness, singular and plural, the framing
("could you please …", "hey jarvis, …"), so they show that the templates cover ways of asking
rather than a list of sentences. Requests no skill handles must match no template at all.
"""

from __future__ import annotations

import pytest

from assistant.understanding.rules import RuleMatcher
from assistant.understanding.utterance import Utterance
from tests.test_rules import matcher_for


@pytest.fixture(scope="module")
async def matcher(tmp_path_factory: pytest.TempPathFactory) -> RuleMatcher:
    # A few devices, so that the device templates compete with the ones under test.
    devices = [
        ("light", "kitchen", "Kitchen ceiling light", "Kitchen"),
        ("switch", "kettle", "Kettle plug", "Kitchen"),
        ("cover", "blinds", "Bedroom blinds", "Bedroom"),
    ]
    return await matcher_for(devices, tmp_path_factory.mktemp("state"))


def check(matcher: RuleMatcher, utterance: str, tool: str, arguments: dict[str, str]) -> None:
    match = matcher.match(Utterance.of(utterance))
    assert match is not None, f"no template matched {utterance!r}"
    assert (match.call.tool, match.call.arguments) == (tool, arguments), (utterance, match.template)


@pytest.mark.parametrize(
    ("utterance", "tool"),
    [
        ("Got the time?", "HassGetCurrentTime"),
        ("Could you tell me the current time?", "HassGetCurrentTime"),
        ("What time is it at the moment?", "HassGetCurrentTime"),
        ("Any idea what time it is?", "HassGetCurrentTime"),
        ("Hey Jarvis, what's the current time?", "HassGetCurrentTime"),
        ("What's the day today?", "HassGetCurrentDate"),
        ("What date is it today?", "HassGetCurrentDate"),
        ("Is it Thursday today?", "HassGetCurrentDate"),
        ("Do you know today's date?", "HassGetCurrentDate"),
        ("What month is it now?", "HassGetCurrentDate"),
    ],
)
async def test_the_time_and_the_date_asked_in_other_words(
    matcher: RuleMatcher, utterance: str, tool: str
) -> None:
    check(matcher, utterance, tool, {})


@pytest.mark.parametrize(
    ("utterance", "arguments"),
    [
        (
            "Could you please start a twenty minute timer for the roast?",
            {"minutes": "20", "name": "roast"},
        ),
        ("I need a timer for forty five minutes", {"minutes": "45"}),
        ("Give me a timer for two hours and fifteen minutes", {"hours": "2", "minutes": "15"}),
        ("Set a timer for a quarter of an hour please", {"minutes": "15"}),
        ("countdown from ninety seconds", {"seconds": "90"}),
        ("count down two and a half minutes", {"minutes": "2", "seconds": "30"}),
        ("Can I have a 3 minute timer?", {"minutes": "3"}),
        ("start a new timer of twelve minutes for the rice", {"minutes": "12", "name": "rice"}),
        ("put a timer on for six minutes", {"minutes": "6"}),
        ("Set me a timer for one and a half hours", {"hours": "1", "minutes": "30"}),
        (
            "Remind me in twenty minutes to check the oven",
            {"minutes": "20", "name": "check the oven"},
        ),
        (
            "remind me in a minute and a half to take the eggs out",
            {"minutes": "1", "seconds": "30", "name": "eggs"},
        ),
        ("Let me know when three minutes are up", {"minutes": "3"}),
    ],
)
async def test_starting_a_timer(
    matcher: RuleMatcher, utterance: str, arguments: dict[str, str]
) -> None:
    check(matcher, utterance, "HassStartTimer", arguments)


@pytest.mark.parametrize(
    ("utterance", "tool", "arguments"),
    [
        ("get rid of the pasta timer", "HassCancelTimer", {"name": "pasta"}),
        ("Please turn the timer off", "HassCancelTimer", {}),
        ("I don't need the timer any more", "HassCancelTimer", {}),
        ("kill the 10 minute timer", "HassCancelTimer", {"minutes": "10"}),
        ("scrap that timer", "HassCancelTimer", {}),
        ("How much longer on the timer?", "HassTimerStatus", {}),
        ("how many seconds are remaining", "HassTimerStatus", {}),
        ("how long till the timer goes off", "HassTimerStatus", {}),
        ("How long until the rice is ready?", "HassTimerStatus", {"name": "rice"}),
        ("how much time have I got left on the cake timer", "HassTimerStatus", {"name": "cake"}),
        ("Do I have any timers running?", "HassTimerStatus", {}),
        ("is my timer still going", "HassTimerStatus", {}),
        ("put my pasta timer on pause", "HassPauseTimer", {"name": "pasta"}),
        ("hold the countdown", "HassPauseTimer", {}),
        ("Pause the timer for a bit", "HassPauseTimer", {}),
        ("suspend the 5 minute timer", "HassPauseTimer", {"minutes": "5"}),
        ("take the timer off hold", "HassUnpauseTimer", {}),
        ("keep going with the countdown", "HassUnpauseTimer", {}),
        ("let my timer carry on", "HassUnpauseTimer", {}),
        ("go on with the laundry timer", "HassUnpauseTimer", {"name": "laundry"}),
        ("put another ten minutes on the timer", "HassIncreaseTimer", {"minutes": "10"}),
        ("add thirty more seconds to my timer", "HassIncreaseTimer", {"seconds": "30"}),
        ("give the timer two extra minutes", "HassIncreaseTimer", {"minutes": "2"}),
        ("make the timer 1 hour longer", "HassIncreaseTimer", {"hours": "1"}),
        ("three more minutes please", "HassIncreaseTimer", {"minutes": "3"}),
        ("knock five minutes off the timer", "HassDecreaseTimer", {"minutes": "5"}),
        (
            "shave thirty seconds off the pasta timer",
            "HassDecreaseTimer",
            {"seconds": "30", "name": "pasta"},
        ),
        ("make my timer one minute shorter", "HassDecreaseTimer", {"minutes": "1"}),
        ("reduce the timer by two minutes", "HassDecreaseTimer", {"minutes": "2"}),
    ],
)
async def test_changing_and_asking_about_timers(
    matcher: RuleMatcher, utterance: str, tool: str, arguments: dict[str, str]
) -> None:
    check(matcher, utterance, tool, arguments)


@pytest.mark.parametrize(
    ("utterance", "tool"),
    [
        ("Oh, forget about it.", "HassNevermind"),
        ("Actually, I've changed my mind", "HassNevermind"),
        ("never mind, that's fine", "HassNevermind"),
        ("Sorry, I didn't mean that", "HassNevermind"),
        ("that'll be all", "HassNevermind"),
        ("it's not important", "HassNevermind"),
        ("What kinds of things can I ask you?", "AssistantHelp"),
        ("what else can I say", "AssistantHelp"),
        ("How can you help me?", "AssistantHelp"),
        ("what are your skills", "AssistantHelp"),
        ("what sort of stuff are you good at", "AssistantHelp"),
        ("how do I talk to you", "AssistantHelp"),
    ],
)
async def test_never_mind_and_what_can_you_do(
    matcher: RuleMatcher, utterance: str, tool: str
) -> None:
    check(matcher, utterance, tool, {})


@pytest.mark.parametrize(
    ("utterance", "arguments"),
    [
        ("Fetch the nurse, please", {"reason": "nurse"}),
        ("Could somebody come and help me?", {}),
        ("I've had a fall", {"reason": "fallen"}),
        ("Help me, I've fallen over", {"reason": "fallen"}),
        ("I'm not feeling very well", {"reason": "unwell"}),
        ("I feel dizzy", {"reason": "unwell"}),
        ("Call an ambulance!", {"reason": "emergency"}),
        ("I need somebody here quickly", {}),
        ("please send someone", {}),
        ("press the call button", {}),
        ("I need a carer", {}),
    ],
)
async def test_calling_for_help(
    matcher: RuleMatcher, utterance: str, arguments: dict[str, str]
) -> None:
    check(matcher, utterance, "CallForAssistance", arguments)


@pytest.mark.parametrize(
    "utterance",
    [
        "set an alarm for seven tomorrow morning",
        "what's my blood pressure",
        "tell me a joke",
        "what's on my calendar today",
        # Near misses of the templates above: they must stay outside them.
        "give me five minutes",  # wait for me; not five more minutes on a timer
        "remind me to call my daughter tomorrow",  # a reminder at no set length is no timer
        "what time does the pharmacy open",
        "I need someone to fix the boiler",  # not a call for help
    ],
)
async def test_requests_no_skill_handles_match_nothing(
    matcher: RuleMatcher, utterance: str
) -> None:
    assert matcher.match(Utterance.of(utterance)) is None
