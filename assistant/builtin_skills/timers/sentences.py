"""How people ask for timers: the example templates of the timer tools.

Most are written once as frames with `<pieces>` (the everyday ways of saying the same thing)
and filled in by `_templates`; a frame with `<length>` becomes one template for every way of
saying how long.
"""

from __future__ import annotations

# Pieces of the example templates below, written `<piece>` in them: the everyday ways of saying
# the same thing. `_templates` fills them in.
_PIECES = {
    "<the>": "[(the|my|that|this)]",
    "<start>": (
        "[((set|start|make|create|get|give) [me]|put on|i (need|want|would like)"
        "|(can|could|may) i (have|get))]"
    ),  # asking for a new timer; left out in "timer for 10 minutes"
    "<stop>": "(cancel|stop|delete|remove|clear|end|kill|scrap|get rid of|forget [about])",
    # A timer's length as an adjective ("a 10 minute timer"), or an amount of time to change.
    "<size>": "({minutes} (minute|minutes)|{hours} (hour|hours)|{seconds} (second|seconds))",
    "<more>": (
        "({minutes} [(more|extra)] (minute|minutes)|{seconds} [(more|extra)] (second|seconds)"
        "|{hours} [(more|extra)] (hour|hours))"
    ),
    # Only "5 more minutes", never "give me 5 minutes" (which asks to wait, not for a timer).
    "<more!>": (
        "({minutes} (more|extra) (minute|minutes)|{seconds} (more|extra) (second|seconds)"
        "|{hours} (more|extra) (hour|hours))"
    ),
    "<how long>": (
        "how (much [more] time|long|many [more] (minutes|seconds|hours)) [(is|are|is there"
        "|are there|have i got|do i have|have we got|do we have|has it got|does it have)] [still]"
        " (left|remaining|remains|to go)"
    ),
    "<rings>": "(goes off|go off|rings|ring|is done|be done|finishes|finish|ends|end|is up|beeps)",
}
_LENGTH = (
    "({hours} (hour|hours) [and] {minutes} (minute|minutes)"
    "|{minutes} (minute|minutes) [and] {seconds} (second|seconds)"
    "|{hours} (hour|hours)|{minutes} (minute|minutes)|{seconds} (second|seconds))"
)
"""How long a timer runs: "10 minutes", "1 hour and 20 minutes", "2 minutes 30 seconds"."""
_FIXED_LENGTHS = (
    ("(an|1) hour and a half|1.5 hours", "{hours=1}{minutes=30}"),
    ("2 hours and a half|2.5 hours", "{hours=2}{minutes=30}"),
    ("half an hour|a half hour", "{minutes=30}"),
    ("(a|1) quarter of an hour", "{minutes=15}"),
    ("3 quarters of an hour", "{minutes=45}"),
    ("an hour", "{hours=1}"),
    ("(a|1) minute and a half|1.5 minutes", "{minutes=1}{seconds=30}"),
    ("2 minutes and a half|2.5 minutes", "{minutes=2}{seconds=30}"),
    ("3 minutes and a half|3.5 minutes", "{minutes=3}{seconds=30}"),
    ("a minute", "{minutes=1}"),
    ("half a minute", "{seconds=30}"),
)
"""Lengths said without a number slot ("1.5": the rules read "one and a half" so). A fixed
argument must stand outside any "(a|b)", so each of these makes a template of its own."""


def _templates(*frames: str) -> list[str]:
    """The frames with their `<pieces>` filled in; a frame with `<length>` becomes one template
    for every way of saying how long."""
    templates = []
    for frame in frames:
        filled = frame
        for piece, text in _PIECES.items():
            filled = filled.replace(piece, text)
        if "<length>" not in filled:
            templates.append(filled)
            continue
        for phrase, fixed in ((_LENGTH, ""), *_FIXED_LENGTHS):
            templates.append(filled.replace("<length>", f"({phrase})") + fixed)
    return templates


START = [
    "(set|start) a timer for {minutes} (minute|minutes) [and {seconds} (second|seconds)]",
    "(set|start) a timer for {hours} (hour|hours) [and {minutes} (minute|minutes)]",
    "(set|start) a timer for {seconds} (second|seconds)",
    "(set|start) a {minutes} minute timer [for [the] {name}]",
    "(set|start) a {hours} hour timer [for [the] {name}]",
    "(set|start) a {seconds} second timer [for [the] {name}]",
    "(set|start) a {minutes} minute {name} timer",
    "(set|start) a timer (called|named|for [the]) {name} for {minutes} (minute|minutes)",
    "(set|start) a timer for an hour{hours=1} [for [the] {name}]",
    "(set|start) a timer for half an hour{minutes=30} [for [the] {name}]",
    "(set|start) [(a|the)] {name} timer for {minutes} (minute|minutes)",
    "(set|start) [(a|the)] {name} timer for {hours} (hour|hours)",
    "[set a] timer for {minutes} (minute|minutes) [for [the] {name}]",
    *_templates(
        "<start> [(a|an|the|my)] [new] timer (for|of) <length> [(for|called|named) [the] {name}]",
        "<start> [(a|an|the|my)] {name} timer (for|of) <length>",
        "put [(a|the)] timer on for <length> [for [the] {name}]",
        "(count down|countdown) [from] <length>",
        "start [a] countdown (for|of) <length>",
        "(remind|tell|alert|ping|nudge) me in <length> [to {name}]",
        "remind me in <length> to take [the] {name} (off|out)",
        "(let me know|tell me) when <length> (is|are|has|have) (up|passed|gone by)",
        "<start> [(a|an)] [new] <size> [{name}] timer [(for|called|named) [the] {name}]",
        "<start> [a] half hour [{name}] timer{minutes=30}",
        "<start> an hour [{name}] timer{hours=1}",
    ),
]

CANCEL = [
    "(cancel|stop|delete) [(the|my)] timer",
    "(cancel|stop|delete) [(the|my)] {name} timer",
    "(cancel|stop|delete) [(the|my)] timer for [the] {name}",
    "(cancel|stop|delete) [(the|my)] {minutes} minute timer",
    "(cancel|stop|delete) [(the|my)] {hours} hour timer",
    "(cancel|stop|delete) [(the|my)] {seconds} second timer",
    *_templates(
        "<stop> <the> (timer|countdown)",
        "<stop> <the> {name} timer",
        "<stop> <the> timer (for|on) [the] {name}",
        "<stop> <the> <size> timer",
        "(turn|switch) <the> [{name}] timer off",
        "(turn|switch) off <the> [{name}] timer",
        "i (do not|no longer) need <the> [{name}] timer [(anymore|any more)]",
        "never mind <the> [{name}] timer",
    ),
]

STATUS = [
    "how much time is left [on [(the|my)] {name} timer]",
    "how much time is left on [(the|my)] (timer|timers)",
    "how much time is left on [(the|my)] {minutes} minute timer",
    "how (much longer|long is left) [on [(the|my)] {name} timer]",
    "(what's|what is) [the] status of [(the|my)] {name} timer",
    "(what timers do I have|timer status|timers status)",
    "when (does|will) [(the|my)] {name} timer (end|finish|ring|go off)",
    # Without a name as well as with one: "[(the|my)] {name} timer" also fits "my timer",
    # with a blank for a name, and a match with no free text is preferred.
    *_templates(
        "<how long> [(on|for|in) (it|<the> (timer|timers|countdown))]",
        "<how long> (on|for|in) <the> {name} [timer]",
        "<how long> (on|for|in) <the> <size> timer",
        "how (long|much time) (does|has) (it|<the> [{name}] timer) (have|got) [left]",
        "how much longer [(is|on|for) (it|<the> (timer|countdown))]",
        "how long (until|till|before) (it|<the> timer) <rings>",
        "how long (until|till|before) <the> {name} timer <rings>",
        "how long (until|till|before) [the] {name} (is|are) (done|ready|cooked)",
        "when (does|will) (it|<the> timer) <rings>",
        "what is (left|remaining) on (it|<the> [{name}] timer)",
        "(check|show me|read me|read out|list) [on] [(the|my|all [(the|my)])] (timer|timers)",
        "what timers (do i have|have i got|are (running|set|on|going))",
        "(do i have|are there|have i got|is there) any timers [(running|set|on|going|left)]",
        "(do i have|is there|have i got) a timer (running|set|on|going)",
        "is <the> [{name}] timer (still running|still going|still on|running|going|done"
        "|finished|up)",
    ),
]

PAUSE = [
    "(pause|hold|freeze) [(the|my)] timer",
    "(pause|hold|freeze) [(the|my)] {name} timer",
    "(pause|hold|freeze) [(the|my)] timer for [the] {name}",
    "(pause|hold|freeze) [(the|my)] {minutes} minute timer",
    *_templates(
        "put <the> [{name}] timer on (hold|pause)",
        "put <the> <size> timer on (hold|pause)",
        "(pause|hold|freeze|halt|suspend) <the> (timer|countdown)",
        "(pause|hold|freeze|halt|suspend) <the> {name} timer",
        "(pause|hold|freeze|halt|suspend) <the> <size> timer",
        "(stop|pause|hold) <the> timer for a (moment|minute|second|sec|bit|while)",
    ),
]

UNPAUSE = [
    "(resume|unpause|continue) [(the|my)] timer",
    "(resume|unpause|continue) [(the|my)] {name} timer",
    "(resume|unpause|continue) [(the|my)] timer for [the] {name}",
    "start [(the|my)] {name} timer again",
    *_templates(
        "(carry on|go on|keep going|continue) with <the> (timer|countdown)",
        "(carry on|go on|keep going|continue) with <the> {name} timer",
        "(resume|unpause|continue|unfreeze) <the> (timer|countdown)",
        "(resume|unpause|continue|unfreeze) <the> <size> timer",
        # "again" is optional: the rules may drop it as a closing word, like "please".
        "start <the> (timer|countdown) [again]",
        "(get|set) <the> [{name}] timer (going|running) [again]",
        "take <the> [{name}] timer off (hold|pause)",
        "let <the> [{name}] timer (run|continue|carry on|keep going|go on)",
        "keep <the> [{name}] timer going",
    ),
]

INCREASE = [
    "add {minutes} (minute|minutes) [to [(the|my)] {name} timer]",
    "add {seconds} (second|seconds) [to [(the|my)] {name} timer]",
    "add {hours} (hour|hours) [to [(the|my)] {name} timer]",
    "add {minutes} (minute|minutes) to [(the|my)] timer",
    "add (a|another) minute{minutes=1} [to [(the|my)] [{name}] timer]",
    "(increase|extend) [(the|my)] {name} timer by {minutes} (minute|minutes)",
    "give [(the|my)] {name} timer {minutes} more (minute|minutes)",
    *_templates(
        "(add|put|give [me]) [(another|an extra)] <more> (on|to|onto) (it|<the> [{name}] timer)",
        "(add|give me) (another|an extra) <size>",
        "[give me] <more!>",
        "give <the> [{name}] timer [(another|an extra)] <more>",
        "(extend|increase|lengthen) <the> [{name}] timer by <size>",
        "make <the> [{name}] timer <size> longer",
    ),
]

DECREASE = [
    "(remove|subtract) {minutes} (minute|minutes) [from [(the|my)] {name} timer]",
    "(remove|subtract) {seconds} (second|seconds) [from [(the|my)] {name} timer]",
    "take {minutes} (minute|minutes) off [(the|my)] [{name}] timer",
    "take a minute{minutes=1} off [(the|my)] [{name}] timer",
    "(decrease|reduce|shorten) [(the|my)] {name} timer by {minutes} (minute|minutes)",
    *_templates(
        "(take|knock|shave|cut) [another] <size> off [(it|<the> [{name}] timer)]",
        "(remove|subtract|deduct) <size> (from|off) (it|<the> [{name}] timer)",
        "(decrease|reduce|shorten|cut) <the> [{name}] timer by <size>",
        "make <the> [{name}] timer <size> shorter",
        "(give me|make it) <size> less [on (it|<the> [{name}] timer)]",
        "<size> less on (it|<the> [{name}] timer)",
    ),
]
