"""Lesson 06's reference: v2's and v3's reports, the composite's floor, the battery's garbage, a learner's gate.

Lesson 06's checks (coursekit.course.lessons.lesson06) compare with these; ``learner_gate`` turns a learner's two
functions, ``sample_is_bad(score)`` and ``halt_now(flags)``, into a gate that ``backtest`` and ``gate_report``
replay exactly like the reference v3 gate.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.metrics import (
    BIGRAM_MAX,
    CHARS_FULL_AT,
    CHARS_MAX,
    TRIGRAM_MAX,
    SampleScore,
    eval_chat_quality,
)
from coursekit.alarm.v3gate import V3Config, V3Gate
from coursekit.backtest.gatereport import GateReport, gate_report, v1_records
from coursekit.course.battery import load_battery
from coursekit.course.exercise import (
    Incorrect,
    call_learner,
)

__all__ = [
    "HISTORY", "GARBAGE_MODES", "min_total_full_diversity", "v2_report", "v3_report", "learner_gate",
    "loops_and_marks", "garbage_v2_passes", "as_verdict", "WINDOW_WORDS", "HUMAN_TEXT_BUDGET", "human_text_windows",
    "human_text_scores",
]  # fmt: skip

HISTORY = 1_000_000  # learner_gate keeps this many verdicts for halt_now: in practice, the whole run


def min_total_full_diversity() -> float:
    """The lowest total of a sample of >= 3 words whose bigrams and trigrams are all distinct (reference for q3).

    Both n-gram axes are then full (35 + 35); English presence can be 0 (no word in the lexicon); a sample with
    words has at least one non-whitespace character, so character diversity is at least 10 x 1/20 = 0.5.
    """
    return BIGRAM_MAX + TRIGRAM_MAX + 0.0 + CHARS_MAX * 1 / CHARS_FULL_AT


@functools.cache
def v2_report() -> GateReport:
    """v2's gate (30, 5) on v1 and the healthy logs, once per session (shared: do not modify it)."""
    return gate_report(CoherenceGate)


@functools.cache
def v3_report() -> GateReport:
    """coursekit's reference v3 gate on v1 and the healthy logs, once per session (shared: do not modify it)."""
    return gate_report(V3Gate)


# --- a learner's gate -----------------------------------------------------------------------------------------


def as_verdict(value: Any, fn: Callable, case: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    hint = " (no `return`?)" if value is None else ""
    raise Incorrect(f"on {case}, `{fn.__name__}` returned {value!r:.40}{hint}; it should return True or False.")


class _LearnerGate(V3Gate):
    """v3's machinery (steps, window, state, decisions) with the two rules replaced by the learner's functions."""

    def __init__(self, sample_is_bad: Callable, halt_now: Callable) -> None:
        # Keep every verdict so that halt_now sees the whole history, and let it alone decide when to halt.
        super().__init__(V3Config(window=HISTORY, needed=1))
        self.sample_is_bad, self.halt_now = sample_is_bad, halt_now

    def is_bad(self, score: SampleScore) -> tuple[str, ...]:
        case = f"the sample at step {self.last_step:,} (total {score.total:.2f})"
        bad = as_verdict(call_learner(self.sample_is_bad, score, case=case), self.sample_is_bad, case)
        return ("yours",) if bad else ()

    @property
    def halted(self) -> bool:
        case = f"the {len(self.recent)} verdicts up to step {self.last_step:,}"
        return as_verdict(call_learner(self.halt_now, list(self.recent), case=case), self.halt_now, case)


def learner_gate(sample_is_bad: Callable[[SampleScore], bool], halt_now: Callable[[list[bool]], bool]) -> V3Gate:
    """A gate made of two functions, for ``backtest`` and ``gate_report``.

    ``sample_is_bad(score)`` gets each sample's ``SampleScore`` and says whether it is bad; ``halt_now(flags)``
    gets every verdict so far (True: bad), oldest first, and says whether to halt now. A crash or a non-bool
    answer raises ``Incorrect`` naming the sample; a function that still returns ``...`` raises ``NotAttempted``.
    """
    for fn in (sample_is_bad, halt_now):
        if not callable(fn):
            raise Incorrect(f"`{fn!r:.30}` should be a function, but it is a {type(fn).__name__}.")
    return _LearnerGate(sample_is_bad, halt_now)


GARBAGE_MODES = ("single_token_loop", "ab_loop", "longer_loop", "punctuation_noise", "character_collapse", "empty")


def loops_and_marks(text: str) -> bool:
    """True when ``text`` has no letters once every ``region`` is removed: v1's loops and apostrophe noise only."""
    return not re.search(r"[^\W\d_]", re.sub("region", "", text.lower()))


@functools.cache
def garbage_v2_passes() -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """Garbage that v2's scorer passes (total >= 30), as (where, record) pairs: v1's samples of nothing but
    ``region`` and punctuation, and the battery's loops, noise and collapsed characters."""
    found = [(f"v1's sample at step {r['step']:,}", r) for r in v1_records() if loops_and_marks(r["text"])]
    found += [(f"the battery's {r['id']} ({r['mode']})", r) for r in load_battery() if r["mode"] in GARBAGE_MODES]
    return tuple((where, r) for where, r in found if not eval_chat_quality(r["text"]).degenerate())


# --- human-written healthy text: where a sum cannot separate healthy from garbage -------------------------------

WINDOW_WORDS = 48  # a window's length in words: within the 15-50 words of the trainer's healthy samples
HUMAN_TEXT_BUDGET = 0.01  # q4: a rule may call at most this share of the windows bad (v3's floors: about 0.5%)


@functools.cache
def human_text_windows() -> tuple[str, ...]:
    """The course corpus (Python's docs, docstrings and code: text people wrote) cut into ``WINDOW_WORDS``-word
    windows. No v3 number was chosen on it, and a plain sum cannot pass it while catching the garbage v2 passes:
    some of it scores below that garbage's highest total (lesson 06 shows the figures)."""
    from coursekit.train.corpus import corpus_text  # the corpus takes seconds to build: only when a check asks

    words = corpus_text().split()
    return tuple(" ".join(words[i : i + WINDOW_WORDS]) for i in range(0, len(words) - WINDOW_WORDS + 1, WINDOW_WORDS))


@functools.cache
def human_text_scores() -> tuple[SampleScore, ...]:
    return tuple(eval_chat_quality(text) for text in human_text_windows())
