"""Names are compared folded: case, accents, separators and invisible characters do not count."""

from __future__ import annotations

import pytest

from assistant.text import fold


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Kitchen_Ceiling-Light (2)", "kitchen ceiling light 2"),
        ("Café lamp", "cafe lamp"),
        ("Kitchen\u202e light", "kitchen light"),  # a right-to-left override hides nothing
        ("Kit\u200bchen light", "kitchen light"),  # nor does a zero-width space inside a word
    ],
)
def test_a_name_folds_to_what_is_said(name: str, folded: str) -> None:
    assert fold(name) == folded
