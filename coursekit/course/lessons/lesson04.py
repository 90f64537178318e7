"""Lesson 04, the gate and the back-test: write the consecutive counter, replay v1's log, price the wait.

    from coursekit.course.lessons.lesson04 import q1, q2, q3, q4, q5, q6, q7

Every expected value comes from coursekit's reference code run on v1's reconstructed log (data/v1/samples.jsonl):
the counter from ``CoherenceGate``, the trigger and the resets from ``backtest``, the saving from
``compute_saved`` and ``implied_steps_per_min``, the threshold x patience answers from ``sensitivity``. The log
is a simulation calibrated to the published account (data/v1/README.md), so a check that agrees with the
account's 132,000 confirms the arithmetic and the mechanism, not history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from coursekit.alarm.gate import DEFAULT_PATIENCE
from coursekit.alarm.metrics import DEFAULT_THRESHOLD, eval_chat_quality

# The names the notebook's cells import, so that the solution code runs in this module's namespace (the tests do).
from coursekit.alarm.runlog import read_log  # noqa: F401
from coursekit.backtest.datasets import v1_log_path  # noqa: F401
from coursekit.backtest.replay import (
    GPU_WATTS,
    KILL_STEP,
    RUN_DAYS,
    STATED_STEPS_PER_MIN,
    BacktestResult,
    backtest,  # noqa: F401
    compute_saved,
    implied_steps_per_min,
)
from coursekit.backtest.sensitivity import sensitivity  # noqa: F401
from coursekit.course.exercise import (
    Incorrect,
    Problem,
    as_number,
    call_learner,
    close,
    expect_number,
)
from coursekit.course.leniency import figures_tol

from .lesson02 import REGION_8, REGION_64
from .lesson04_reference import (
    BAD,
    EARLY_STEP,
    GOOD,
    LATE_STEP,
    SEARCH_PATIENCES,
    SEARCH_THRESHOLDS,
    WINDOW,
    fmt_total,
    gate_trace,
    saved_at_stated_rate,
    v1_result,
    v1_steps,
    v1_trigger,
)

__all__ = [
    "KILL_STEP", "RUN_DAYS", "STATED_STEPS_PER_MIN", "GPU_WATTS",  # re-exported for the notebook's arithmetic
    "BAD", "GOOD", "HAND_CASES", "WINDOW", "EARLY_STEP", "LATE_STEP", "SEARCH_PATIENCES", "SEARCH_THRESHOLDS",
    "gate_trace", "v1_result", "v1_trigger", "saved_at_stated_rate",
    "q1", "q2", "q3", "q4", "q5", "q6", "q7",
]  # fmt: skip

FIGURES = 2  # Q3 and Q4 ask for two significant figures or more: the account's 12 kWh, 91.6 h, the course's 7.1 and 77


# --- Q1: the counter -------------------------------------------------------------------------------------------


def _case(*totals: float, threshold: float = DEFAULT_THRESHOLD) -> tuple[tuple[str, ...], tuple[float, ...], float]:
    names = {BAD: "bad", GOOD: "good"}
    described = tuple(f"{names[t]} ({fmt_total(t)})" if t in names else f"a sample scoring {fmt_total(t)}" for t in totals)
    return described, totals, threshold


# Each case aims at one rule of the gate (docs/specification.md §4); the check runs them in order, then v1's whole log.
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
    steps = v1_steps()
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
        steps = v1_steps()
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


def _figures(value: Any, name: str, want: float, otherwise: str, slips: list[tuple[float, str]] = ()) -> float:
    """``expect_number`` at the precision the question asks for: ``FIGURES`` significant figures."""
    return expect_number(value, name, want, otherwise, slips, figures_tol(want, FIGURES), absolute=True)


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
            _figures(value, name, goal, f"`{name}` is off: steps / steps per minute gives minutes; go on from there.",
                     [(slip, message) for slip, message in slips if not close(slip, goal, figures_tol(goal), True)])
        return (f"{want.steps:,} steps = {want.minutes:,.0f} min = {want.hours:.2f} h = {want.days:.2f} days, "
                f"{want.kwh:.2f} kWh; the account writes 91.6 hours (it truncates), 3.8 days and about 12 kWh.")


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
        _figures(implied_rate, "implied_rate", rate,
                      "`implied_rate` is off: steps divided by the run's length in minutes.", [
                          (KILL_STEP / RUN_DAYS, "`implied_rate` is per day: a day has 24 x 60 minutes."),
                          (KILL_STEP / (RUN_DAYS * 24), "`implied_rate` is per hour: divide by 60 more."),
                          (STATED_STEPS_PER_MIN, f"that is the stated rate; compute the rate from {KILL_STEP:,} "
                                                 f"steps in {RUN_DAYS} days."),
                      ])
        hours = compute_saved(steps, rate).hours
        _figures(hours_saved_implied, "hours_saved_implied", hours,
                      "`hours_saved_implied` is off: the same steps as in Q3, at the implied rate.", [
                          (saved_at_stated_rate().hours,
                           f"`hours_saved_implied` is at {STATED_STEPS_PER_MIN:g} steps/min; use the implied rate."),
                          (compute_saved(steps, rate).minutes, "`hours_saved_implied` is in minutes."),
                      ])
        days = KILL_STEP / STATED_STEPS_PER_MIN / 60 / 24
        day_slips = [
            (RUN_DAYS, f"that is the account's {RUN_DAYS} days; how long do {KILL_STEP:,} steps take at "
                       f"{STATED_STEPS_PER_MIN:g} per minute?"),
            (days * 24, "`run_days_at_stated_rate` is in hours: divide by 24."),
        ]
        _figures(run_days_at_stated_rate, "run_days_at_stated_rate", days,
                 f"`run_days_at_stated_rate` is off: {KILL_STEP:,} steps at {STATED_STEPS_PER_MIN:g} per minute, "
                 "in days.", day_slips)
        return (f"at {STATED_STEPS_PER_MIN:g} steps/min, {KILL_STEP:,} steps take {days:.1f} days, not {RUN_DAYS}: the "
                f"two figures cannot both be exact. At {rate:.2f} steps/min the saving is {hours:.1f} h instead of "
                f"{saved_at_stated_rate().hours:.1f} h.")


q1 = Counter()
q2 = Trigger()
q3 = Saved()
q4 = RateCheck()

# Q5 to Q7 live in their own module; imported here, after q1 to q4, so the lesson lists its questions in order.
from .lesson04_why import q5, q6, q7  # noqa: E402
