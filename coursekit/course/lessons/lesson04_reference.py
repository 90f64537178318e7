"""Lesson 04's reference answers: every expected value its checks compare with, computed from coursekit's code.

The counter comes from ``CoherenceGate``, the trigger and the resets from ``backtest`` on v1's reconstructed log
(data/v1/samples.jsonl), the saving from ``compute_saved``, the threshold x patience answers from
``sensitivity``. The problems (coursekit.course.lessons.lesson04) import these; the notebook does not, so the
answers are not one import away from a learner.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from coursekit.alarm.gate import DEFAULT_PATIENCE, CoherenceGate
from coursekit.alarm.metrics import DEFAULT_THRESHOLD, SampleScore
from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.replay import (
    GPU_WATTS,
    KILL_STEP,
    STATED_STEPS_PER_MIN,
    BacktestResult,
    ComputeSaved,
    backtest,
    compute_saved,
)
from coursekit.backtest.sensitivity import sensitivity

__all__ = [
    "BAD", "GOOD", "WINDOW", "EARLY_STEP", "LATE_STEP", "SEARCH_PATIENCES", "SEARCH_THRESHOLDS",
    "gate_trace", "v1_steps", "longest_run_between", "fmt_total", "v1_result", "v1_trigger", "saved_at_stated_rate", "why_not_80k", "explore_answers",
]  # fmt: skip

BAD, GOOD = 12.0, 80.0  # the totals of a plainly degenerate and a plainly healthy sample in the hand cases
WINDOW = (76_000, 82_000)  # q5: the samples around step 80,000 (docs/specification.md §2, fact 4), both ends included
EARLY_STEP = 80_000  # q7: by when a gate would have had to fire to catch the region loops
LATE_STEP = 100_000  # q7: before when a patience-5 gate should fire
SEARCH_PATIENCES = tuple(range(1, 13))  # q7's search space: the explorer's patience slider
SEARCH_THRESHOLDS = tuple(float(t) for t in range(20, 61))  # q7: whole-number thresholds from 20 to 60


# --- the reference ---------------------------------------------------------------------------------------------


def _total_only(total: float) -> SampleScore:
    # The gate decides on the total alone, so a hand case needs no axis scores.
    return SampleScore(bigram=0.0, trigram=0.0, english=0.0, chars=0.0, total=float(total))


def gate_trace(totals: Sequence[float], threshold: float = DEFAULT_THRESHOLD) -> list[int]:
    """The gate's counter after each of ``totals``: ``CoherenceGate.observe_score`` on one sample per step."""
    gate = CoherenceGate(threshold, DEFAULT_PATIENCE)
    return [gate.observe_score(i, _total_only(t)).consecutive for i, t in enumerate(totals)]


@functools.cache
def v1_result() -> BacktestResult:
    """v2's gate (30, 5) back-tested on v1's log, once per session (shared: do not modify it)."""
    return backtest(v1_log_path())


def v1_trigger(threshold: float, patience: int) -> int | None:
    """Where a gate with these settings fires on v1's log (None: never); the stored scores are replayed."""
    return sensitivity(v1_result(), (threshold,), (patience,)).trigger(float(threshold), patience)


def saved_at_stated_rate() -> ComputeSaved:
    """What firing at v1's trigger saves before the manual kill, at the stated 6 steps/min and 130 W."""
    return compute_saved(KILL_STEP - v1_result().trigger_step, STATED_STEPS_PER_MIN, GPU_WATTS)


def v1_steps() -> list[int]:
    return [d.step for d in v1_result().decisions]


def longest_run_between(first: int, last: int) -> int:
    """The highest the counter got on v1's log between steps ``first`` and ``last`` (both included)."""
    return max(d.consecutive for d in v1_result().decisions if first <= d.step <= last)


def why_not_80k() -> dict[str, Any]:
    """The reference for q5: the counter at 80,000, the resets in ``WINDOW`` and the longest run before the trigger."""
    result = v1_result()
    return {
        "count_at_80k": next(d.consecutive for d in result.decisions if d.step == EARLY_STEP),
        "resets_near_80k": [r.step for r in result.resets if WINDOW[0] <= r.step <= WINDOW[1]],
        "longest_run": longest_run_between(0, result.trigger_step - 1),
    }


@functools.cache
def explore_answers() -> dict[str, int]:
    """The reference for q7, from the sensitivity grid over ``SEARCH_THRESHOLDS`` x ``SEARCH_PATIENCES``."""
    grid = sensitivity(v1_result(), SEARCH_THRESHOLDS, SEARCH_PATIENCES)
    early = [p for p in grid.patiences if (grid.trigger(DEFAULT_THRESHOLD, p) or KILL_STEP) <= EARLY_STEP]
    late = [t for t in grid.thresholds if (grid.trigger(t, DEFAULT_PATIENCE) or KILL_STEP) < LATE_STEP]
    return {"patience_by_80k": max(early), "threshold_p5_by_100k": int(min(late))}


def fmt_total(total: float) -> str:
    return f"{total:.2f}".rstrip("0").rstrip(".")
