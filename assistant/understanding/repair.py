"""Small transcription and typing slips, mended toward the words the rules know.

Whisper and hurried typing produce "tern on", "the bed room lamp", "thermo stat", "blines",
"turnon". A word the templates and this home's names never use is compared with the words
they do use: two words that join into a known word are joined, a word that splits into two
known words is split, and a word one or two slips away (a letter added, dropped, changed, or
two swapped) from exactly one known word with the same first letter is replaced by it. Words
the rules know are never changed, nor are the short function words whose slips would change
the meaning ("on"/"in", "it"/"at").
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.understanding.normalize import NOT_A_REQUEST

# Short words that are words in their own right; a "slip" between them is a different request.
# So are the words that make a sentence no request: "turned" mended to "turn" would make
# "my daughter turned the lamp on" an order.
_PROTECTED = {
    "a", "an", "and", "as", "at", "be", "by", "do", "for", "go", "i", "if", "in", "is", "it",
    "me", "my", "no", "not", "of", "off", "on", "or", "out", "so", "the", "them", "then", "to",
    "too", "up", "us", "we", "you",
} | NOT_A_REQUEST  # fmt: skip
_MIN_SPLIT_PART = 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from a to b, or `limit + 1` as soon
    as there must be more than `limit`. A swap counts once: "lihgt" is one slip from "light"."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def _allowed_distance(word: str) -> int:
    if len(word) < 3:
        return 0
    return 1 if len(word) <= 5 else 2


class Vocabulary:
    def __init__(self, words: Iterable[str]) -> None:
        self.words = {word for word in words if word}
        self._by_initial: dict[str, list[str]] = {}
        for word in self.words:
            self._by_initial.setdefault(word[0], []).append(word)

    def _known(self, word: str) -> bool:
        return word in self.words or word in _PROTECTED or word.replace(".", "").isdigit()

    def _nearest(self, word: str) -> str | None:
        limit = _allowed_distance(word)
        if limit == 0:
            return None
        scored = sorted(
            (edit_distance(word, known, limit), known)
            for known in self._by_initial.get(word[0], [])
            if len(known) >= 3
        )
        if not scored or scored[0][0] > limit:
            return None
        if len(scored) > 1 and scored[1][0] == scored[0][0]:
            return None  # two words equally near: guessing could pick the wrong device
        return scored[0][1]

    def _split(self, word: str) -> list[str] | None:
        for cut in range(_MIN_SPLIT_PART, len(word) - _MIN_SPLIT_PART + 1):
            head, tail = word[:cut], word[cut:]
            if self._known(head) and self._known(tail):
                return [head, tail]
        return None

    def repair(self, text: str) -> tuple[str, int]:
        """The text with slips mended, and how many were mended (0: unchanged)."""
        words = text.split()
        out: list[str] = []
        mended = 0
        index = 0
        while index < len(words):
            word = words[index]
            following = words[index + 1] if index + 1 < len(words) else ""
            if following and word + following in self.words and not {word, following} & _PROTECTED:
                out.append(word + following)  # "bed room", "thermo stat", "hall way"
                index += 2
            elif self._known(word):
                out.append(word)
                index += 1
                continue
            elif (parts := self._split(word)) is not None:
                out.extend(parts)
                index += 1
            elif (nearest := self._nearest(word)) is not None:
                out.append(nearest)
                index += 1
            else:
                out.append(word)
                index += 1
                continue
            mended += 1
        return " ".join(out), mended
