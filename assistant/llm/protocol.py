"""The language model role, at the level of tokens.

The understanding stage decodes under its own constraints (only tools that exist, only the
candidate devices), so the model offers tokens and next-token scores, not text completion:
the decoder appends the tokens the constraints already fix without asking, and asks only
where there is a real choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt


class LanguageModel(Protocol):
    @property
    def context_tokens(self) -> int:
        """The most tokens a prompt and its answer may take together."""

    def tokenize(self, text: str, *, bos: bool) -> list[int]:
        """Token ids of `text`, with the beginning-of-sequence token first when `bos`."""

    def token_text(self, token: int) -> str:
        """The text of one token."""

    def next_scores(self, tokens: Sequence[int]) -> npt.NDArray[np.float32]:
        """Scores of every possible next token after `tokens`.

        Only the part of `tokens` the model has not already evaluated is computed: a prompt
        that starts like the previous one reuses its work. The array is valid until the next
        call.
        """

    @property
    def evaluated_tokens(self) -> int:
        """Tokens actually computed since the model was loaded (reused ones not counted)."""
