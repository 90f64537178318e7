"""Lesson 04, Q5 to Q7: why the gate did not fire at 80,000, and the threshold x patience search.

The questions read the gate's counter on v1's reconstructed log around step 80,000 (Q5, Q6) and search the
sensitivity grid for the settings that would have fired earlier (Q7). coursekit.course.lessons.lesson04
re-exports ``q5``, ``q6`` and ``q7`` with the lesson's other questions; expected values come from
coursekit.course.lessons.lesson04_reference.
"""

from __future__ import annotations

from typing import Any

from coursekit.alarm.gate import DEFAULT_PATIENCE
from coursekit.alarm.metrics import DEFAULT_THRESHOLD
from coursekit.alarm.runlog import (
    read_log,  # noqa: F401  (solution and context code run in this namespace use it)
)
from coursekit.backtest.replay import (
    KILL_STEP,
)
from coursekit.course.exercise import Incorrect, Problem, as_number
from coursekit.course.freetext import FreeTextProblem, KeyIdea

from . import lesson04_reference as _ref  # the answers: used by the checks, never imported by the notebook
from .lesson04_reference import (
    EARLY_STEP,
    LATE_STEP,
    SEARCH_PATIENCES,
    SEARCH_THRESHOLDS,
    WINDOW,
    longest_run_between,
    v1_result,
    v1_trigger,
)

__all__ = ["q5", "q6", "q7"]


# --- Q5 and Q6: why not 80,000 ---------------------------------------------------------------------------------


def _whole(value: Any, name: str) -> int:
    got = as_number(value, name)
    if got != int(got):
        raise Incorrect(f"`{name}` should be a whole number, got {got:g}.")
    return int(got)


class WhyNot80k(Problem):
    label = "Lesson 04 · Q5"
    names = ("count_at_80k", "resets_near_80k", "longest_run")
    hints = (
        "`counts` (Q2) holds the counter after each sample, in the same order as `scored` and `steps`.",
        "A reset is a sample after which the counter is 0 while it was above 0 just before.",
        "`longest_run` is the largest counter value among the samples before `trigger_step`.",
    )
    solution_code = """
steps = [step for step, _, _ in scored]
count_at_80k = counts[steps.index(80_000)]
resets_near_80k = [step for step, before, after in zip(steps[1:], counts, counts[1:])
                   if 76_000 <= step <= 82_000 and before > 0 and after == 0]
longest_run = max(count for step, count in zip(steps, counts) if step < trigger_step)
"""

    def evaluate(self, count_at_80k: Any, resets_near_80k: Any, longest_run: Any) -> str:
        want = _ref.why_not_80k()
        result = v1_result()
        at = {d.step: d for d in result.decisions}
        d80 = at[EARLY_STEP]
        got = _whole(count_at_80k, "count_at_80k")
        if got != want["count_at_80k"]:
            raise Incorrect(f"`count_at_80k` is off: score the sample at {EARLY_STEP:,} itself (`{d80.text[:30]}...`). "
                            "Is its total below 30? And what did the sample before it do to the counter?")
        if isinstance(resets_near_80k, (str, bytes)) or not isinstance(resets_near_80k, (list, tuple, set, frozenset)):
            raise Incorrect(f"`resets_near_80k` should be a list of steps, got a {type(resets_near_80k).__name__}.")
        steps = {_whole(s, "each step in resets_near_80k") for s in resets_near_80k}
        wanted = set(want["resets_near_80k"])
        outside = sorted(s for s in steps if not WINDOW[0] <= s <= WINDOW[1])
        unknown = sorted(s for s in steps - wanted if s not in at)
        if outside or unknown:
            raise Incorrect(f"`resets_near_80k` has {outside or unknown}: only steps of logged samples from "
                            f"{WINDOW[0]:,} to {WINDOW[1]:,} count (v1 stored one every 200 steps).")
        extra = steps - wanted
        if any(at[s].degenerate for s in extra):
            raise Incorrect("`resets_near_80k` includes degenerate samples: they add to the counter, not reset it.")
        if extra:
            raise Incorrect("`resets_near_80k` includes healthy samples that followed healthy ones: a reset needs "
                            "a counter above 0 just before it.")
        if steps != wanted:
            missing = len(wanted - steps)
            raise Incorrect(f"`resets_near_80k` is missing {missing} reset{'s' * (missing != 1)}: look for every "
                            "sample scoring 30 or more right after one below 30.")
        run = _whole(longest_run, "longest_run")
        window_max = longest_run_between(*WINDOW)
        if run != want["longest_run"]:
            slips = {
                result.patience: "the run that reaches 5 is the one that fires at the trigger; look only before it.",
                window_max: f"that is the longest run near {EARLY_STEP:,}; look at the whole log before the trigger.",
            }
            raise Incorrect(slips.get(run, "`longest_run` is off: the largest counter value before the trigger step."))
        sources = sorted({at[s].source for s in wanted})
        return (f"around {EARLY_STEP:,} the counter never passed {window_max}; healthy samples from "
                f"{', '.join(sources)} reset it, and before {result.trigger_step:,} no run got past "
                f"{want['longest_run']}.")


class WhyNot80kText(FreeTextProblem):
    label = "Lesson 04 · Q6"
    min_sentences, max_sentences = 2, 4
    ideas = (
        KeyIdea("the counter being reset (the gate needs samples *in a row*)", (
            r"reset", r"in a row", r"consecutive", r"back to (?:0|zero)", r"start(?:s|ed)? (?:again|over)",
        )),
        KeyIdea("where the healthy samples came from", (
            r"source", r"bandit", r"curricul", r"switch", r"other (?:data|stream)",
        )),
        KeyIdea("what had changed by the time the gate fired", (
            r"132", r"deep", r"every source", r"all (?:the )?sources", r"most (?:of the )?samples", r"spread",
            r"inevitabl", r"widespread", r"later",
        )),
    )

    @property
    def model_answer(self) -> str:  # type: ignore[override]
        want, result = _ref.why_not_80k(), v1_result()
        window_max = longest_run_between(*WINDOW)
        score80 = next(d.score.total for d in result.decisions if d.step == EARLY_STEP)
        return (
            f"The gate counts degenerate samples in a row, and around {EARLY_STEP:,} only some sources had collapsed: "
            "the bandit kept switching to sources that were still healthy, and each of their good samples reset "
            f"the counter to 0, so it never got past {window_max} there (and past {want['longest_run']} nowhere "
            f"before {result.trigger_step:,}). The quoted sample at {EARLY_STEP:,} itself scores {score80:.2f} and "
            f"is not even degenerate. By {result.trigger_step:,} the collapse had spread to nearly every source, so "
            "five bad samples in a row became inevitable and the gate fired."
        )


# --- Q7: threshold x patience ----------------------------------------------------------------------------------


class Explore(Problem):
    label = "Lesson 04 · Q7"
    names = ("patience_by_80k", "threshold_p5_by_100k")
    hints = (
        "Move the sliders, or compute: `v1_trigger(threshold, patience)` returns where that gate fires (None: never).",
        "A larger patience never fires earlier, and a higher threshold never fires later: search upwards and stop.",
        "`max(p for p in range(1, 13) if (v1_trigger(30, p) or NEVER) <= 80_000)`; the threshold search is alike.",
    )
    solution_code = """
NEVER = float("inf")
patience_by_80k = max(p for p in range(1, 13) if (v1_trigger(30, p) or NEVER) <= 80_000)
threshold_p5_by_100k = min(t for t in range(20, 61) if (v1_trigger(t, 5) or NEVER) < 100_000)
"""

    def evaluate(self, patience_by_80k: Any, threshold_p5_by_100k: Any) -> str:
        want = _ref.explore_answers()
        p = _whole(patience_by_80k, "patience_by_80k")
        if not SEARCH_PATIENCES[0] <= p <= SEARCH_PATIENCES[-1]:
            first, last = SEARCH_PATIENCES[0], SEARCH_PATIENCES[-1]
            raise Incorrect(f"`patience_by_80k` should be a patience from {first} to {last}.")
        if p != want["patience_by_80k"]:
            fires = v1_trigger(DEFAULT_THRESHOLD, p)
            if p > want["patience_by_80k"]:
                where = "never" if fires is None else f"first at step {fires:,}"
                raise Incorrect(f"with patience {p}, the threshold-30 gate fires {where}: not by {EARLY_STEP:,}.")
            raise Incorrect(f"patience {p} does fire by {EARLY_STEP:,}, but so does a larger one: find the largest.")
        t = _whole(threshold_p5_by_100k, "threshold_p5_by_100k")
        lo, hi = int(SEARCH_THRESHOLDS[0]), int(SEARCH_THRESHOLDS[-1])
        if not lo <= t <= hi:
            raise Incorrect(f"`threshold_p5_by_100k` should be a whole-number threshold from {lo} to {hi}.")
        if t != want["threshold_p5_by_100k"]:
            if t > want["threshold_p5_by_100k"]:
                raise Incorrect(f"threshold {t} fires before {LATE_STEP:,}, but so does a lower one: find the lowest.")
            fires = v1_trigger(t, DEFAULT_PATIENCE)
            where = "never" if fires is None else f"first at step {fires:,}"
            raise Incorrect(f"with threshold {t}, a patience-5 gate fires {where}: not before {LATE_STEP:,}.")
        early = v1_trigger(DEFAULT_THRESHOLD, p)
        late = v1_trigger(t, DEFAULT_PATIENCE)
        return (f"patience {p} would have fired at {early:,}, and threshold {t} at {late:,}, {KILL_STEP - late:,} "
                "steps before the kill. Whether either would also halt healthy runs, this log cannot tell: see below.")


q5 = WhyNot80k()
q6 = WhyNot80kText()
q7 = Explore()
