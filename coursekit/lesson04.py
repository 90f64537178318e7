"""Lesson 04, the gate and the back-test: write the consecutive counter, replay v1's log, price the wait.

    from coursekit.lesson04 import q1, q2, q3, q4, q5, q6, q7

Every expected value comes from coursekit's reference code run on v1's reconstructed log (data/v1/samples.jsonl):
the counter from ``CoherenceGate``, the trigger and the resets from ``backtest``, the saving from
``compute_saved`` and ``implied_steps_per_min``, the threshold x patience answers from ``sensitivity``. The log
is a simulation calibrated to the published account (data/v1/README.md), so a check that agrees with the
account's 132,000 confirms the arithmetic and the mechanism, not history.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from .backtest import (
    GPU_WATTS,
    KILL_STEP,
    RUN_DAYS,
    STATED_STEPS_PER_MIN,
    BacktestResult,
    ComputeSaved,
    backtest,
    compute_saved,
    implied_steps_per_min,
)
from .exercise import (
    FreeTextProblem,
    Incorrect,
    KeyIdea,
    Problem,
    as_number,
    call_learner,
    close,
    expect_number,
)
from .gate import DEFAULT_PATIENCE, CoherenceGate
from .lesson02 import REGION_8, REGION_64
from .metrics import DEFAULT_THRESHOLD, SampleScore, eval_chat_quality
from .runlog import read_log  # noqa: F401  (solution and context code run in this namespace use it)
from .sensitivity import sensitivity
from .v1sim import v1_log_path

__all__ = [
    "KILL_STEP", "RUN_DAYS", "STATED_STEPS_PER_MIN", "GPU_WATTS",  # re-exported for the notebook's arithmetic
    "BAD", "GOOD", "HAND_CASES", "WINDOW", "EARLY_STEP", "LATE_STEP", "SEARCH_PATIENCES", "SEARCH_THRESHOLDS",
    "gate_trace", "v1_result", "v1_trigger", "saved_at_stated_rate", "why_not_80k", "explore_answers",
    "q1", "q2", "q3", "q4", "q5", "q6", "q7",
]  # fmt: skip

BAD, GOOD = 12.0, 80.0  # the totals of a plainly degenerate and a plainly healthy sample in the hand cases
WINDOW = (76_000, 82_000)  # q5: the samples around step 80,000 (COURSE.md §2, fact 4), both ends included
EARLY_STEP = 80_000  # q7: by when a gate would have had to fire to catch the region loops
LATE_STEP = 100_000  # q7: before when a patience-5 gate should fire
SEARCH_PATIENCES = tuple(range(1, 13))  # q7's search space: the explorer's patience slider
SEARCH_THRESHOLDS = tuple(float(t) for t in range(20, 61))  # q7: whole-number thresholds from 20 to 60
SAVED_TOL = 0.05  # absolute, for hours, days and kWh: one decimal, as the account quotes them, is enough
RATE_TOL = 0.006  # absolute, for the implied rate: two decimals (7.12) pass, 7.1 does not


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


def _steps() -> list[int]:
    return [d.step for d in v1_result().decisions]


def _longest_run(first: int, last: int) -> int:
    """The highest the counter got on v1's log between steps ``first`` and ``last`` (both included)."""
    return max(d.consecutive for d in v1_result().decisions if first <= d.step <= last)


def why_not_80k() -> dict[str, Any]:
    """The reference for q5: the counter at 80,000, the resets in ``WINDOW`` and the longest run before the trigger."""
    result = v1_result()
    return {
        "count_at_80k": next(d.consecutive for d in result.decisions if d.step == EARLY_STEP),
        "resets_near_80k": [r.step for r in result.resets if WINDOW[0] <= r.step <= WINDOW[1]],
        "longest_run": _longest_run(0, result.trigger_step - 1),
    }


@functools.cache
def explore_answers() -> dict[str, int]:
    """The reference for q7, from the sensitivity grid over ``SEARCH_THRESHOLDS`` x ``SEARCH_PATIENCES``."""
    grid = sensitivity(v1_result(), SEARCH_THRESHOLDS, SEARCH_PATIENCES)
    early = [p for p in grid.patiences if (grid.trigger(DEFAULT_THRESHOLD, p) or KILL_STEP) <= EARLY_STEP]
    late = [t for t in grid.thresholds if (grid.trigger(t, DEFAULT_PATIENCE) or KILL_STEP) < LATE_STEP]
    return {"patience_by_80k": max(early), "threshold_p5_by_100k": int(min(late))}


def _fmt(total: float) -> str:
    return f"{total:.2f}".rstrip("0").rstrip(".")


# --- Q1: the counter -------------------------------------------------------------------------------------------


def _case(*totals: float, threshold: float = DEFAULT_THRESHOLD) -> tuple[tuple[str, ...], tuple[float, ...], float]:
    names = {BAD: "bad", GOOD: "good"}
    described = tuple(f"{names[t]} ({_fmt(t)})" if t in names else f"a sample scoring {_fmt(t)}" for t in totals)
    return described, totals, threshold


# Each case aims at one rule of the gate (COURSE.md §4); the check runs them in order, then v1's whole log.
HAND_CASES = (
    _case(BAD),
    _case(GOOD),
    _case(BAD, BAD),
    _case(BAD, BAD, GOOD),  # a healthy sample resets the counter
    _case(BAD, GOOD, BAD),  # ... and counting starts again from 1
    _case(BAD, BAD, BAD, BAD, BAD, BAD),  # the counter keeps counting past the patience
    _case(30.0),  # exactly the threshold is not degenerate
    _case(BAD, BAD, 30.0),
    _case(29.99),
    _case(eval_chat_quality(REGION_8).total, threshold=35.0),  # 33.83 under a stricter gate: the argument is used
    _case(BAD, eval_chat_quality(REGION_64).total, threshold=20.0),  # 24.12 under a laxer one
)


def _why(total: float, threshold: float, before: int, got: float, want: int) -> str:
    """What rule a wrong counter value broke (``before``: the counter going in, which was right)."""
    if want == 0 and total == threshold:
        return f"a total of exactly {threshold:g} is not degenerate: only totals strictly below the threshold count"
    if want == 0:
        return "a healthy sample (total at or above the threshold) resets it to 0"
    if got == 0 and total >= DEFAULT_THRESHOLD:
        return "use the `threshold` argument, not a fixed 30"
    if got == 1 and before > 0:
        return "a degenerate sample adds one to the count so far; it does not start again at 1"
    return "a degenerate sample (total below the threshold) adds one to the count so far"


def _run_counter(fn: Callable, totals: Sequence[float], threshold: float | None, case: Callable[[int], str]) -> None:
    """Feed ``totals`` through the learner's counter, its own count carried along; raise ``Incorrect`` at the
    first value the gate disagrees with. ``threshold=None`` calls it without one (its default must be 30);
    ``case(i)`` names the samples up to the i-th for the message."""
    th = DEFAULT_THRESHOLD if threshold is None else threshold
    want = gate_trace(totals, th)
    count = 0
    for i, total in enumerate(totals):
        args = (count, total) if threshold is None else (count, total, threshold)
        got = as_number(call_learner(fn, *args, case=case(i)), "update_counter(...)")
        if got != want[i]:
            raise Incorrect(f"after {case(i)}, your counter says {got:g}; {_why(total, th, count, got, want[i])}.")
        count = int(got)


class Counter(Problem):
    label = "Lesson 04 · Q1"
    names = ("update_counter",)
    hints = (
        "The counter only ever does two things: add one, or go back to 0. Which does a total below the threshold do?",
        "Degenerate means strictly below: a total of exactly 30 is healthy.",
        "One line: `return count + 1 if total < threshold else 0`.",
    )
    solution_code = """
def update_counter(count, total, threshold=30.0):
    return count + 1 if total < threshold else 0
"""

    def evaluate(self, update_counter: Any) -> str:
        if not callable(update_counter):
            raise Incorrect(f"`update_counter` should be a function, but it is a {type(update_counter).__name__}.")
        for names, totals, threshold in HAND_CASES:
            suffix = "" if threshold == DEFAULT_THRESHOLD else f" (threshold {threshold:g})"
            _run_counter(update_counter, totals, None if threshold == DEFAULT_THRESHOLD else threshold,
                         lambda i, names=names, suffix=suffix: ", ".join(names[: i + 1]) + suffix)
        result = v1_result()
        ds = result.decisions

        def on_v1(i: int) -> str:
            return f"v1's sample at step {ds[i].step:,} ({ds[i].source}, total {ds[i].score.total:.2f})"

        _run_counter(update_counter, [d.score.total for d in ds], None, on_v1)
        return (
            f"your counter agrees with `CoherenceGate` on {len(HAND_CASES)} hand cases and on all "
            f"{result.n_samples} samples of v1's log."
        )


# --- Q2: the back-test -----------------------------------------------------------------------------------------


def _run_start(result: BacktestResult) -> int:
    """The first step of the run of degenerate samples that made the gate fire."""
    steps = _steps()
    i = steps.index(result.trigger_step)
    return steps[i - result.decisions[i].consecutive + 1]


class Trigger(Problem):
    label = "Lesson 04 · Q2"
    names = ("trigger_step",)
    hints = (
        "Start with a counter of 0; for each sample in log order, update it with your `update_counter`.",
        "The gate fires at the first sample after which the counter has reached `patience` = 5.",
        "Keep the counters in a list beside `scored`, then take the first step whose counter is >= 5.",
    )
    solution_code = """
records, _ = read_log(v1_log_path())
scored = [(rec["step"], rec["source"], eval_chat_quality(rec["text"]).total) for rec in records]
counts = []
for step, source, total in scored:
    counts.append(update_counter(counts[-1] if counts else 0, total))
trigger_step = next(step for (step, _, _), count in zip(scored, counts) if count >= 5)
"""

    def evaluate(self, trigger_step: Any) -> str:
        result = v1_result()
        want = result.trigger_step
        if trigger_step is None:
            raise Incorrect("`trigger_step` is None: your counter never reached 5. Is it carried from one sample "
                            "to the next, in the log's order?")
        first_bad = next(d.step for d in result.decisions if d.degenerate)
        steps = _steps()
        i = steps.index(want)
        slips = [
            (first_bad, "that is the first degenerate sample in the log; the gate waits for 5 in a row."),
            (_run_start(result), "that is where the run of five begins; the gate fires on the fifth sample of it."),
            (steps[i - 1], "that is one sample early: there the counter is 4; the gate halts when it *reaches* 5."),
            (steps[i + 1] if i + 1 < len(steps) else None,
             "that is one sample late: the gate halts as soon as the counter reaches 5."),
            (v1_trigger(DEFAULT_THRESHOLD, DEFAULT_PATIENCE - 1),
             "there the counter reaches 4, and the next sample resets it; the gate needs 5 in a row."),
            (KILL_STEP, "that is where the run was killed by hand; the gate fires before it."),
            (EARLY_STEP, "that is where the region loop was quoted; section 4 shows why the gate did not fire there."),
        ]
        slips = [(s, m) for s, m in slips if s is not None and s != want]
        expect_number(trigger_step, "trigger_step", want,
                      "that is not where five degenerate samples in a row first end; print the steps where your "
                      "counter is 4 or more and look again.", slips, tol=0.5, absolute=True)
        return f"the gate fires at step {want:,}, as the account says: {KILL_STEP - want:,} steps before the kill."


# --- Q3 and Q4: the compute saved ------------------------------------------------------------------------------


def _rounded(value: Any, name: str, want: float, tol: float) -> None:
    """Raise a 'keep more decimals' message when ``value`` is near ``want`` but outside ``tol``."""
    got = as_number(value, name)
    if not close(got, want, tol, absolute=True) and abs(got - want) <= max(0.5, 0.01 * abs(want)):
        raise Incorrect(f"`{name}` is close, but rounded too early or too far: keep at least one decimal "
                        "(two for a rate) and round only at the end.")


class Saved(Problem):
    label = "Lesson 04 · Q3"
    names = ("steps_saved", "hours_saved", "days_saved", "kwh_saved")
    hints = (
        "Steps saved: from where the gate fires (your `trigger_step`) to where the run was killed (`KILL_STEP`).",
        "Minutes = steps / steps per minute; then hours and days. Energy in kWh = hours x kW, and 130 W = 0.13 kW.",
        "`hours_saved = steps_saved / STATED_STEPS_PER_MIN / 60`, `kwh_saved = hours_saved * GPU_WATTS / 1000`.",
    )
    solution_code = """
steps_saved = KILL_STEP - trigger_step
hours_saved = steps_saved / STATED_STEPS_PER_MIN / 60
days_saved = hours_saved / 24
kwh_saved = hours_saved * GPU_WATTS / 1000  # 130 W = 0.13 kW
"""

    def evaluate(self, steps_saved: Any, hours_saved: Any, days_saved: Any, kwh_saved: Any) -> str:
        want = saved_at_stated_rate()
        result = v1_result()
        implied = compute_saved(want.steps, implied_steps_per_min(), GPU_WATTS)
        step_slips = [
            (-want.steps, "`steps_saved` has the wrong sign: the kill comes after the trigger."),
            (KILL_STEP - _run_start(result),
             "`steps_saved`: count from the step where the gate fires, not where the bad run began."),
            (KILL_STEP - EARLY_STEP, f"`steps_saved`: the gate did not fire at {EARLY_STEP:,}; use your Q2 answer."),
        ]
        expect_number(steps_saved, "steps_saved", want.steps,
                      f"`steps_saved` is off: count from where the gate fires (Q2) to the kill at {KILL_STEP:,}.",
                      step_slips, tol=0.5, absolute=True)
        at_6 = f"at the stated {STATED_STEPS_PER_MIN:g} steps/min"
        other = f"the {implied_steps_per_min():.1f} steps/min rate"
        for name, value, goal, slips in (
            ("hours_saved", hours_saved, want.hours, [
                (want.minutes, "`hours_saved` is in minutes: an hour has 60 of them."),
                (implied.hours, f"`hours_saved` uses {other}; this question is {at_6} (Q4 does the other)."),
            ]),
            ("days_saved", days_saved, want.days, [
                (want.minutes / 24, "`days_saved`: divide hours, not minutes, by 24."),
                (implied.days, f"`days_saved` uses {other}; this question is {at_6}."),
            ]),
            ("kwh_saved", kwh_saved, want.kwh, [
                (want.hours * GPU_WATTS, "`kwh_saved` is in watt-hours: 130 W is 0.13 kW."),
                (want.days * GPU_WATTS / 1000, "`kwh_saved`: energy is power x time in hours, not days."),
                (want.minutes * GPU_WATTS / 1000, "`kwh_saved`: energy is power x time in hours, not minutes."),
                (implied.kwh, f"`kwh_saved` uses {other}; this question is {at_6}."),
            ]),
        ):
            got = as_number(value, name)
            for slip, message in slips:
                # A slip may be thousands (minutes, watt-hours): near it means within 0.5% as well.
                if close(got, slip, SAVED_TOL, absolute=True) or close(got, slip, 0.005):
                    raise Incorrect(message)
            _rounded(value, name, goal, SAVED_TOL)
            expect_number(value, name, goal, f"`{name}` is off: steps / steps per minute gives minutes; go on from "
                          "there.", tol=SAVED_TOL, absolute=True)
        return (f"{want.steps:,} steps = {want.minutes:,.0f} min = {want.hours:.1f} h = {want.days:.1f} days, "
                f"{want.kwh:.1f} kWh: the account's figures.")


class RateCheck(Problem):
    label = "Lesson 04 · Q4"
    names = ("implied_rate", "hours_saved_implied", "run_days_at_stated_rate")
    hints = (
        f"The implied rate is steps per minute: {KILL_STEP:,} steps over {RUN_DAYS} days, turned into minutes.",
        "Re-use `steps_saved` from Q3 with the implied rate instead of 6; do not round the rate first.",
        "`run_days_at_stated_rate = KILL_STEP / STATED_STEPS_PER_MIN / 60 / 24`: the run's length at the stated rate.",
    )
    solution_code = """
implied_rate = KILL_STEP / (RUN_DAYS * 24 * 60)
hours_saved_implied = steps_saved / implied_rate / 60
run_days_at_stated_rate = KILL_STEP / STATED_STEPS_PER_MIN / 60 / 24
"""

    def evaluate(self, implied_rate: Any, hours_saved_implied: Any, run_days_at_stated_rate: Any) -> str:
        rate = implied_steps_per_min()
        steps = saved_at_stated_rate().steps
        expect_number(implied_rate, "implied_rate", rate,
                      "`implied_rate` is off: steps divided by the run's length in minutes.", [
                          (KILL_STEP / RUN_DAYS, "`implied_rate` is per day: a day has 24 x 60 minutes."),
                          (KILL_STEP / (RUN_DAYS * 24), "`implied_rate` is per hour: divide by 60 more."),
                          (STATED_STEPS_PER_MIN, f"that is the stated rate; compute the rate from {KILL_STEP:,} "
                                                 f"steps in {RUN_DAYS} days."),
                          (round(rate, 1), "`implied_rate` is rounded to one decimal; keep two or more."),
                      ], tol=RATE_TOL, absolute=True)
        hours = compute_saved(steps, rate).hours
        expect_number(hours_saved_implied, "hours_saved_implied", hours,
                      "`hours_saved_implied` is off: the same steps as in Q3, at the implied rate.", [
                          (compute_saved(steps, round(rate, 1)).hours,
                           f"`hours_saved_implied` used the rate rounded to {round(rate, 1)}; use the unrounded rate."),
                          (saved_at_stated_rate().hours,
                           f"`hours_saved_implied` is at {STATED_STEPS_PER_MIN:g} steps/min; use the implied rate."),
                          (compute_saved(steps, rate).minutes, "`hours_saved_implied` is in minutes."),
                      ], tol=SAVED_TOL, absolute=True)
        days = KILL_STEP / STATED_STEPS_PER_MIN / 60 / 24
        day_slips = [
            (RUN_DAYS, f"that is the account's {RUN_DAYS} days; how long do {KILL_STEP:,} steps take at "
                       f"{STATED_STEPS_PER_MIN:g} per minute?"),
            (days * 24, "`run_days_at_stated_rate` is in hours: divide by 24."),
        ]
        expect_number(run_days_at_stated_rate, "run_days_at_stated_rate", days,
                      f"`run_days_at_stated_rate` is off: {KILL_STEP:,} steps at {STATED_STEPS_PER_MIN:g} per minute, "
                      "in days.", day_slips, tol=SAVED_TOL, absolute=True)
        return (f"at {STATED_STEPS_PER_MIN:g} steps/min, {KILL_STEP:,} steps take {days:.1f} days, not {RUN_DAYS}: the "
                f"two figures cannot both be exact. At {rate:.2f} steps/min the saving is {hours:.1f} h instead of "
                f"{saved_at_stated_rate().hours:.1f} h.")


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
        want = why_not_80k()
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
        window_max = _longest_run(*WINDOW)
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
        want, result = why_not_80k(), v1_result()
        window_max = _longest_run(*WINDOW)
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
        want = explore_answers()
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


q1 = Counter()
q2 = Trigger()
q3 = Saved()
q4 = RateCheck()
q5 = WhyNot80k()
q6 = WhyNot80kText()
q7 = Explore()
