"""Lesson 02's reference: v1's region loop at any length, and the answer to q5 (where the verdict flips).

The problems (coursekit.course.lessons.lesson02) import this module; the notebook imports only the samples
(``REGION_8``, ``REGION_64``, ``region_loop``) through lesson02, so ``shortest_degenerate_loop`` is not one import
away from a learner.
"""

from __future__ import annotations

from coursekit.alarm.metrics import eval_chat_quality

__all__ = ["LOOP_WORD", "SHORTEST_FROM", "REGION_8", "REGION_64", "region_loop", "shortest_degenerate_loop"]

LOOP_WORD = "region"  # what v1's samples repeated at step 80,000 (docs/specification.md §2, fact 4)
SHORTEST_FROM = 3  # q5 looks at loops of at least 3 words (shorter ones have no trigrams at all)


def region_loop(n: int, word: str = LOOP_WORD) -> str:
    """``word`` repeated ``n`` times, separated by spaces: v1's collapsed sample at length ``n``."""
    return " ".join([word] * n)


REGION_8 = region_loop(8)  # the sample as the published account quotes it
REGION_64 = region_loop(64)  # the same collapse at a full sample length of 64 words


def shortest_degenerate_loop(word: str = LOOP_WORD, start: int = SHORTEST_FROM, limit: int = 10_000) -> int:
    """The smallest n >= ``start`` for which ``word`` x n scores below the threshold (reference for q5)."""
    for n in range(start, limit):
        if eval_chat_quality(region_loop(n, word)).degenerate():
            return n
    raise ValueError(f"{word!r} repeated up to {limit} times never scores below the threshold")
