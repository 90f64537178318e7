"""Lesson 03's reference answers: the failure-mode x axis matrix (q6) and the verdicts on the account's claims (q7).

Computed from the failure-mode battery (data/battery.jsonl) with the reference scorer, so they follow the battery
if it grows. The problems (coursekit.course.lessons.lesson03) import these; the notebook does not, so the answers
are not one import away from a learner.

The claims are the published account's argument for four axes, one claim per axis, in the course's words
(docs/specification.md §2 and §4). The account states them about the axes' *purpose*; here each is tested under
the course's formulas, with the matrix's rule: an axis "fails" a kind of sample when it flags more than half of
those samples (keeps less than ``FLAG_FRACTION`` of its points on them). Claim C is about each language, so it is
tested on each hand-written non-English sample (the generated ones are made-up words, not grammatical text).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from coursekit.alarm.metrics import SampleScore, eval_chat_quality
from coursekit.course.battery import MODES, load_battery
from coursekit.course.widgets import AXES, AXIS_MAX

__all__ = [
    "FLAG_FRACTION", "Row", "axis_flags", "scored_battery", "battery_rows", "flagged", "flag_shares",
    "failure_matrix", "CLAIMS", "claim_verdicts",
]  # fmt: skip

FLAG_FRACTION = 0.5  # an axis flags a sample that keeps less than this share of the axis's points

Row = tuple[str, str, frozenset[str]]  # (mode, origin, the axes that flag the sample): one per battery sample


def axis_flags(score: SampleScore) -> frozenset[str]:
    """The axes on which ``score`` keeps less than ``FLAG_FRACTION`` of the points."""
    return frozenset(a for a in AXES if getattr(score, a) < FLAG_FRACTION * AXIS_MAX[a])


@functools.cache
def scored_battery() -> tuple[tuple[dict, SampleScore], ...]:
    """Every battery record with its reference score (cached: the battery is read once)."""
    return tuple((rec, eval_chat_quality(rec["text"])) for rec in load_battery())


def battery_rows() -> list[Row]:
    return [(rec["mode"], rec["origin"], axis_flags(s)) for rec, s in scored_battery()]


def flagged(rows: list[Row], axis: str, mode: str, hand_only: bool = False) -> bool:
    """Whether ``axis`` flags more than half of the samples of ``mode`` (only the hand-written ones if asked)."""
    picked = [flags for m, origin, flags in rows if m == mode and (origin == "hand" or not hand_only)]
    if not picked:
        raise ValueError(f"the battery has no {'hand-written ' * hand_only}samples of mode {mode!r}")
    return sum(axis in flags for flags in picked) > len(picked) / 2


def flag_shares() -> dict[str, dict[str, float]]:
    """For each mode, the share of its samples each axis flags, and ``"composite"``: the share below 30."""
    out = {}
    for mode in MODES:
        scores = [s for rec, s in scored_battery() if rec["mode"] == mode]
        row = {a: sum(a in axis_flags(s) for s in scores) / len(scores) for a in AXES}
        row["composite"] = sum(s.degenerate() for s in scores) / len(scores)
        out[mode] = row
    return out


def failure_matrix() -> dict[str, frozenset[str]]:
    """For each mode, the axes that flag more than half of its samples (the reference for q6)."""
    return {mode: frozenset(a for a in AXES if row[a] > 0.5) for mode, row in flag_shares().items()}


@dataclass(frozen=True)
class Claim:
    """One claim of the account's "why four metrics" argument, and how the battery tests it."""

    text: str
    test: Callable[[list[Row]], bool]


def _some_passes(rows: list[Row], axis: str, mode: str) -> bool:
    return any(axis not in flags for m, _, flags in rows if m == mode)


CLAIMS = {
    "A": Claim("A model collapsed onto one bigram (`region region region ...`) fails bigram diversity but passes "
               "character diversity.",
               lambda r: flagged(r, "bigram", "single_token_loop") and not flagged(r, "chars", "single_token_loop")),
    "B": Claim("Punctuation noise fails character diversity, but may pass bigram diversity when its pairs of marks "
               "vary.",
               lambda r: flagged(r, "chars", "punctuation_noise") and _some_passes(r, "bigram", "punctuation_noise")),
    "C": Claim("Grammatical text in another language fails English word presence but passes both n-gram axes. "
               "(The battery's grammatical non-English is its hand-written German, French and Japanese, one sample "
               "per language; a claim about every language must hold for each.)",
               lambda r: all("english" in flags and not flags & {"bigram", "trigram"}
                             for m, origin, flags in r if m == "non_english" and origin == "hand")),
    "D": Claim("An alternating loop (`a b a b a b ...`) passes bigram diversity but fails trigram diversity.",
               lambda r: not flagged(r, "bigram", "ab_loop") and flagged(r, "trigram", "ab_loop")),
}  # fmt: skip


def claim_verdicts() -> dict[str, bool]:
    """Each claim's verdict on the battery (the reference for q7)."""
    rows = battery_rows()
    return {key: claim.test(rows) for key, claim in CLAIMS.items()}
