"""Tables of the results: per intent, per category and overall, latency percentiles per stage."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from assistant.evaluation.scoring import ItemScore

SOURCES = ("rules", "model", "dialogue", "none")
PERCENTILES = (50, 90, 95)


def summarize(scores: list[ItemScore]) -> dict[str, Any]:
    n = len(scores)

    def share(count: int) -> float:
        return round(100 * count / n, 1) if n else 0.0

    return {
        "n": n,
        "exact_pct": share(sum(s.exact for s in scores)),
        "correct_pct": share(sum(s.correct for s in scores)),
        "intent_pct": share(sum(s.intent_ok for s in scores)),
        "false_action_items": sum(bool(s.false_actions) for s in scores),
        "false_action_pct": share(sum(bool(s.false_actions) for s in scores)),
        "false_actions": sum(len(s.false_actions) for s in scores),
        "unsafe_executed": sum(s.unsafe_executed for s in scores),
        "sources_pct": {
            source: share(sum(s.source == source for s in scores)) for source in SOURCES
        },
        "model_consulted_pct": share(sum(s.model_consulted for s in scores)),
        "errors": sum(s.error is not None for s in scores),
    }


def grouped(scores: list[ItemScore], key: Callable[[ItemScore], str]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[ItemScore]] = defaultdict(list)
    for score in scores:
        groups[key(score)].append(score)
    rows = {name: summarize(groups[name]) for name in sorted(groups)}
    rows["overall"] = summarize(scores)
    return rows


def percentiles(values: Iterable[float]) -> dict[str, float] | None:
    data = np.array(list(values), dtype=np.float64)
    if not data.size:
        return None
    found = np.percentile(data, PERCENTILES)
    return {
        "n": int(data.size),
        **{f"p{p}": round(float(v), 1) for p, v in zip(PERCENTILES, found, strict=True)},
    }


def latency(scores: list[ItemScore]) -> dict[str, dict[str, float]]:
    """Per pipeline stage, and understanding split by the cascade stage that answered."""
    rows: dict[str, dict[str, float] | None] = {
        "understand": percentiles(s.timings_ms.get("understand", 0.0) for s in scores),
        **{
            f"understand[{source}]": percentiles(
                s.timings_ms.get("understand", 0.0) for s in scores if s.source == source
            )
            for source in SOURCES
        },
        "model (when asked)": percentiles(
            s.timings_ms["model"] for s in scores if "model" in s.timings_ms
        ),
        "act (a tool ran)": percentiles(s.timings_ms.get("act", 0.0) for s in scores if s.intent),
        "stt": percentiles(s.timings_ms.get("stt", 0.0) for s in scores if s.timings_ms.get("stt")),
        "total": percentiles(s.timings_ms.get("total", 0.0) for s in scores),
    }
    return {name: row for name, row in rows.items() if row is not None}


def _words(text: str) -> list[str]:
    text = text.lower().replace("%", " percent").replace("-", " ")
    return re.sub(r"[^a-z0-9. ]+", " ", text).replace(". ", " ").strip(" .").split()


def word_error_rate(scores: list[ItemScore]) -> float | None:
    """Words wrong per word said, over every item with a transcript (audio levels)."""
    errors = total = 0
    for score in scores:
        if score.transcript is None:
            continue
        ref, hyp = _words(score.text), _words(score.transcript)
        previous = list(range(len(hyp) + 1))
        for i, word in enumerate(ref, start=1):
            current = [i] + [0] * len(hyp)
            for j, heard in enumerate(hyp, start=1):
                current[j] = min(
                    previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != heard)
                )
            previous = current
        errors += previous[-1]
        total += len(ref)
    return round(100 * errors / total, 1) if total else None


def _table(title: str, rows: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        f"{title:<28}{'n':>5}{'exact':>8}{'correct':>9}{'intent':>8}{'false':>7}{'unsafe':>7}"
        f"{'rules':>7}{'model':>7}{'dialog':>7}{'none':>6}"
    ]
    for name, row in rows.items():
        if name == "overall":
            lines.append("-" * len(lines[0]))
        sources = row["sources_pct"]
        lines.append(
            f"{name[:27]:<28}{row['n']:>5}{row['exact_pct']:>7.1f}%{row['correct_pct']:>8.1f}%"
            f"{row['intent_pct']:>7.1f}%{row['false_action_items']:>7}{row['unsafe_executed']:>7}"
            + "".join(f"{sources[s]:>6.0f}%" for s in SOURCES[:3])
            + f"{sources['none']:>5.0f}%"
        )
    return lines


def format_level(name: str, scores: list[ItemScore], seconds: float, note: str = "") -> str:
    lines = [f"== {name}: {len(scores)} items in {seconds:.0f} s{note}"]
    wer = word_error_rate(scores) if name.startswith("audio") else None
    if wer is not None:
        lines.append(f"   transcripts: {wer:.1f} % word error rate against the text")
    failures = [s for s in scores if not s.correct]
    if failures:
        lines.append(f"   not correct ({len(failures)}):")
        for s in sorted(failures, key=lambda s: (s.category, s.id)):
            heard = (
                f" heard {s.transcript!r}"
                if s.transcript is not None and s.transcript != s.text
                else ""
            )
            slots = ", ".join(f"{key}={value}" for key, value in s.slots.items())
            got = f"{s.intent or '-'}({slots})/{s.source}" if s.intent else f"-/{s.source}"
            wanted = ", ".join(s.expected) or "nothing"
            sent = ", ".join(s.published) or "nothing"
            why = [] if s.intent_ok else [f"intent {got} (want {s.expected_intent})"]
            why += [] if s.exact else [f"sent {sent} (want {wanted})"]
            why += [] if s.question_ok else ["asked nothing"]
            why += [] if s.response_ok else [f"reply {s.response!r}"]
            lines.append(f"     {s.category:<12} {s.id:<6} {s.text!r}{heard}: {'; '.join(why)}")
    lines += ["", *_table("intent", grouped(scores, lambda s: s.expected_intent or "(nothing)"))]
    lines += ["", *_table("category", grouped(scores, lambda s: s.category))]
    lines += ["", f"{'latency (ms)':<28}{'n':>5}" + "".join(f"{f'p{p}':>9}" for p in PERCENTILES)]
    for stage, row in latency(scores).items():
        lines.append(
            f"{stage:<28}{row['n']:>5}" + "".join(f"{row[f'p{p}']:>9.1f}" for p in PERCENTILES)
        )
    return "\n".join(lines)


def format_overview(levels: dict[str, tuple[list[ItemScore], float]]) -> str:
    lines = [
        "== summary",
        f"{'level':<16}{'items':>6}{'exact':>8}{'correct':>9}{'false':>7}{'OOS false':>10}"
        f"{'unsafe':>7}{'rules':>7}{'model':>7}{'p50 ms':>8}{'p95 ms':>8}{'time':>7}",
    ]
    for name, (scores, seconds) in levels.items():
        row = summarize(scores)
        oos = summarize([s for s in scores if s.category == "out_of_scope"])
        total = percentiles(s.timings_ms.get("total", 0.0) for s in scores) or {
            "p50": 0.0,
            "p95": 0.0,
        }
        lines.append(
            f"{name:<16}{row['n']:>6}{row['exact_pct']:>7.1f}%{row['correct_pct']:>8.1f}%"
            f"{row['false_action_items']:>7}{oos['false_action_pct']:>9.1f}%{row['unsafe_executed']:>7}"
            f"{row['sources_pct']['rules']:>6.0f}%{row['sources_pct']['model']:>6.0f}%"
            f"{total['p50']:>8.0f}{total['p95']:>8.0f}{seconds:>6.0f}s"
        )
    for name, (scores, _) in levels.items():
        if name.startswith("audio"):
            early = sum(score.committed_early for score in scores)
            cut_off = sum(score.cut_off for score in scores)
            lines.append(f"{name}: {early} of {len(scores)} acted on at their first short "
                         f"pause (early commit), {cut_off} of them before the speaker had "
                         "finished (false cut-offs)")  # fmt: skip
    return "\n".join(lines)
