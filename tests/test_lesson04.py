"""Lesson 04: the counter check names the failing case; the back-test, saving and log answers follow coursekit."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.course.exercise import CORRECT, INCORRECT, NOT_ATTEMPTED, Problem
from coursekit.course.freetext import FreeTextProblem
from coursekit.course.lessons import lesson04
from coursekit.course.lessons.lesson04 import (
    gate_trace,
    q1,
    q2,
    q3,
    q4,
    q5,
    q6,
    q7,
    saved_at_stated_rate,
    v1_result,
    v1_trigger,
)
from coursekit.course.lessons.lesson04_reference import explore_answers, why_not_80k

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_gate_and_backtest.ipynb"


# --- the reference ---------------------------------------------------------------------------------------------


def test_gate_trace_by_hand():
    # 12 < 30: 1; 12: 2; 80 resets: 0; 12: 1; 30 is not below 30: 0; 29.99: 1
    assert gate_trace([12, 12, 80, 12, 30, 29.99]) == [1, 2, 0, 1, 0, 1]
    # threshold 35: region x 8 (33.83) is degenerate there
    assert gate_trace([33.83, 33.83], threshold=35) == [1, 2]


@given(st.lists(st.floats(0, 100), max_size=40), st.sampled_from([20.0, 30.0, 35.0]))
def test_gate_trace_adds_one_below_the_threshold_and_resets_otherwise(totals, threshold):
    trace = gate_trace(totals, threshold)
    for i, (total, count) in enumerate(zip(totals, trace)):
        before = trace[i - 1] if i else 0
        assert count == (before + 1 if total < threshold else 0)


def test_v1_references_match_the_account():
    # docs/specification.md §2: fires at 132,000; 165,000 - 132,000 = 33,000 steps; / 6 / 60 = 91.67 h; x 0.13 kW = 11.92 kWh
    assert v1_result().trigger_step == 132_000
    saved = saved_at_stated_rate()
    assert saved.steps == 33_000 and saved.hours == pytest.approx(91.667, abs=1e-3)
    assert saved.kwh == pytest.approx(11.917, abs=1e-3)
    assert why_not_80k() == {"count_at_80k": 0, "resets_near_80k": [76_200, 77_000, 79_000], "longest_run": 4}
    assert explore_answers() == {"patience_by_80k": 2, "threshold_p5_by_100k": 35}
    assert v1_trigger(30, 5) == 132_000 and v1_trigger(20, 12) is None


# --- every problem: the reference passes, a stub is not attempted ----------------------------------------------


def test_every_reference_solution_passes_and_every_stub_is_not_attempted():
    # Run the solutions one after another in one namespace, as the notebook's cells do.
    namespace = dict(vars(lesson04))
    problems = [(n, q) for n, q in vars(lesson04).items() if isinstance(q, Problem) and n[0] == "q"]
    assert [n for n, _ in problems] == [f"q{i}" for i in range(1, 8)]
    for name, q in problems:
        exec(q.solution_code, namespace)
        outcome = q.grade(**{n: namespace[n] for n in q.names})
        assert outcome.status == CORRECT, f"{name}: {outcome}"
        assert q.grade(**{n: ... for n in q.names}).status == NOT_ATTEMPTED
        assert q.label == f"Lesson 04 · Q{name[1:]}"
        assert len(q.hints) >= 2 or isinstance(q, FreeTextProblem)


# --- Q1: the counter -------------------------------------------------------------------------------------------


def _outcome(update_counter):
    return q1.grade(update_counter=update_counter)


@pytest.mark.parametrize(
    "wrong, says",
    [
        # never resets: after bad, bad, good it still says 2
        (lambda c, t, th=30.0: c + 1 if t < th else c,
         "after bad (12), bad (12), good (80), your counter says 2; a healthy sample"),
        (lambda c, t, th=30.0: c + 1 if t <= th else 0, "exactly 30 is not degenerate"),  # <= for <
        (lambda c, t, th=30.0: c + 1 if t < 30 else 0, "use the `threshold` argument"),  # a fixed 30
        (lambda c, t, th=30.0: 1 if t < th else 0, "does not start again at 1"),  # no running count
        (lambda c, t, th=30.0: min(c + 1, 5) if t < th else 0, "adds one to the count so far"),  # capped at patience
        (lambda c, t, th=30.0: c + 1 if t < th or t > 99.5 else 0, "v1's sample at step"),  # only v1 shows it
        (lambda c, t: c + 1 if t < 30 else 0, "TypeError"),  # no threshold parameter
        (lambda c, t, th=30.0: t < th, "bool"),  # a verdict, not a count
        ("not a function", "should be a function"),
    ],
)
def test_q1_wrong_counters_fail_and_name_the_case(wrong, says):
    outcome = _outcome(wrong)
    assert outcome.status == INCORRECT and says in outcome.message, outcome


def test_q1_stub_is_not_attempted():
    def update_counter(count, total, threshold=30.0):
        return ...

    assert _outcome(update_counter).status == NOT_ATTEMPTED


# --- Q2: the trigger -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, says",
    [
        (76_000, "first degenerate sample"),
        (131_200, "run of five begins"),  # 131,200 + 4 x 200 = 132,000
        (131_800, "one sample early"),  # patience 4
        (132_200, "one sample late"),  # patience 6
        (165_000, "killed by hand"),
        (80_000, "section 4"),
        (None, "never reached 5"),
        ("132000", "should be a number"),
        (100_000, "five degenerate samples in a row"),
    ],
)
def test_q2_slips(answer, says):
    outcome = q2.grade(trigger_step=answer)
    assert outcome.status == INCORRECT and says in outcome.message, outcome


# --- Q3 and Q4: the saving -------------------------------------------------------------------------------------


def test_q3_the_figures_the_account_quotes_pass_and_slips_are_named():
    # 33,000 steps / 6 = 5,500 min = 91.67 h = 3.82 days; 91.67 h x 0.13 kW = 11.92 kWh
    right = dict(steps_saved=33_000, hours_saved=91.67, days_saved=3.82, kwh_saved=11.92)
    assert q3.grade(**right).passed
    assert q3.grade(steps_saved=33_000, hours_saved=91.7, days_saved=3.8, kwh_saved=11.9).passed
    # the account's own figures, at two significant figures or more: "91.6 hours", 3.8 days, "about 12 kWh"
    assert q3.grade(steps_saved=33_000, hours_saved=91.6, days_saved=3.8, kwh_saved=12).passed
    assert q3.grade(**right, **{}).passed and not q3.grade(**dict(right, kwh_saved=13)).passed  # 13 is not 11.92
    for change, says in [
        (dict(hours_saved=5_500), "minutes"),
        (dict(kwh_saved=91.67 * 130), "watt-hours"),
        (dict(steps_saved=165_000 - 131_200), "bad run began"),
        (dict(steps_saved=-33_000), "sign"),
        (dict(hours_saved=77.28), "7.1 steps/min"),  # 33,000 / 7.117 / 60
        (dict(days_saved=5_500 / 24), "divide hours"),
    ]:
        outcome = q3.grade(**dict(right, **change))
        assert outcome.status == INCORRECT and says in outcome.message, (change, outcome)


def test_q4_rate_check():
    # 165,000 / (16.1 x 24 x 60) = 7.117 steps/min; 33,000 / 7.117 / 60 = 77.28 h; 165,000 / 6 / 60 / 24 = 19.10 days
    right = dict(implied_rate=7.117, hours_saved_implied=77.28, run_days_at_stated_rate=19.1)
    assert q4.grade(**right).passed
    # the course's own printed figures pass: 7.1 steps/min, 77 h, "about 19 days"
    assert q4.grade(implied_rate=7.1, hours_saved_implied=77, run_days_at_stated_rate=19).passed
    for change, says in [
        (dict(implied_rate=165_000 / 16.1), "per day"),
        (dict(implied_rate=6), "stated rate"),
        (dict(hours_saved_implied=91.67), "6 steps/min"),
        (dict(run_days_at_stated_rate=16.1), "account's 16.1"),
    ]:
        outcome = q4.grade(**dict(right, **change))
        assert outcome.status == INCORRECT and says in outcome.message, (change, outcome)


# --- Q5 and Q6: why not 80,000 ---------------------------------------------------------------------------------


def test_q5_feedback():
    right = dict(count_at_80k=0, resets_near_80k=[76_200, 77_000, 79_000], longest_run=4)
    assert q5.grade(**right).passed
    assert q5.grade(**dict(right, resets_near_80k=(79_000, 76_200, 77_000))).passed  # any order, any sequence
    for change, says in [
        (dict(count_at_80k=1), "sample at 80,000"),  # region x 8 scores 33.83: not degenerate
        (dict(resets_near_80k=[76_200, 77_000]), "missing 1 reset"),
        (dict(resets_near_80k=[76_200, 76_400, 77_000, 79_000]), "counter above 0"),  # 76,400 follows a healthy one
        (dict(resets_near_80k=[76_200, 76_600, 77_000, 79_000]), "degenerate samples"),  # 76,600 scores 27.52
        (dict(resets_near_80k=[76_200, 77_000, 79_000, 84_600]), "only steps"),
        (dict(resets_near_80k=[76_100]), "logged samples"),  # v1 stored every 200 steps
        (dict(resets_near_80k="76200"), "list of steps"),
        (dict(longest_run=5), "fires at the trigger"),
        (dict(longest_run=2), "near 80,000"),
        (dict(longest_run=3.5), "whole number"),
    ]:
        outcome = q5.grade(**dict(right, **change))
        assert outcome.status == INCORRECT and says in outcome.message, (change, outcome)


def test_q6_self_check_and_model_answer():
    assert q6.grade(answer="It reset. It was later.").status == INCORRECT  # 5 words: too short
    no_sources = q6.grade(answer="The counter was reset by good samples again and again. Then at 132,000 it fired.")
    assert no_sources.passed and "where the healthy samples came from" in no_sources.message  # advice
    model = q6.model_answer
    assert q6.grade(answer=model).passed
    assert "132,000" in model and "33.83" in model  # computed from the log, as the account says


# --- Q7: threshold x patience ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, says",
    [
        (dict(patience_by_80k=3), "first at step 89,600: not by 80,000"),
        (dict(patience_by_80k=1), "find the largest"),
        (dict(patience_by_80k=13), "from 1 to 12"),
        (dict(patience_by_80k=2.5), "whole number"),
        (dict(threshold_p5_by_100k=36), "find the lowest"),
        (dict(threshold_p5_by_100k=34), "first at step 132,000: not before 100,000"),
        (dict(threshold_p5_by_100k=70), "from 20 to 60"),
    ],
)
def test_q7_feedback(change, says):
    outcome = q7.grade(**dict(dict(patience_by_80k=2, threshold_p5_by_100k=35), **change))
    assert outcome.status == INCORRECT and says in outcome.message, outcome


def test_answers_are_not_one_import_away():
    from coursekit.course.lessons import lesson04 as lesson

    for name in ('explore_answers', 'why_not_80k'):
        assert not hasattr(lesson, name), name
