"""Lesson 05: every check runs real tiny training; the reference passes, plausible mistakes get their message."""

import json
import math

import pytest

from coursekit.alarm.runlog import LogWriter
from coursekit.course.collapserun import halt_facts
from coursekit.course.exercise import CORRECT, INCORRECT, NOT_ATTEMPTED, Problem
from coursekit.course.freetext import FreeTextProblem
from coursekit.course.lessons import lesson05
from coursekit.course.lessons.lesson05 import q1, q2, q3, q4, q5, reference_audit
from coursekit.incident.v1firehose import firehose_ignoring_halt, v1_firehose
from coursekit.train.curriculum import FirehoseBandit
from coursekit.train.gateaudit import (
    AUDIT_EVERY,
    AUDIT_STEPS,
    audit_run,
    gate_audit,
    gate_problem,
)


@pytest.fixture(scope="module")
def halted_run(tmp_path_factory):
    """A tiny run that the gate halted (coursekit's firehose on the stuck shard: halt at step 25)."""
    run_dir = tmp_path_factory.mktemp("halted")
    assert audit_run("firehose", run_dir) == 3
    return run_dir


@pytest.fixture
def hand_run(tmp_path):
    """A run folder written by hand: 8 samples every 10 steps, the last five degenerate, halted at step 80."""
    totals = [80.0, 70.0, 60.0, 29.0, 28.0, 27.0, 26.0, 25.0]
    counts = [0, 0, 0, 1, 2, 3, 4, 5]
    records = [{"step": 10 * (i + 1), "source": "stuck", "text": "region " * 8, "loss_ema": 9.0 - i, "total": t,
                "consecutive": c, "halt": c == 5} for i, (t, c) in enumerate(zip(totals, counts))]  # fmt: skip
    with LogWriter(tmp_path / "samples.jsonl") as log:
        for rec in records:
            log.append(rec)
    (tmp_path / "config.json").write_text(json.dumps({"max_steps": 600, "model": {"vocab_size": 8449}}))
    (tmp_path / "halt.json").write_text(json.dumps({"step": 80, "threshold": 30.0, "patience": 5, "consecutive": 5,
                                                    "samples": records[3:]}))  # fmt: skip
    return tmp_path


# --- the reference ---------------------------------------------------------------------------------------------


def test_reference_audits():
    # Audit runs: 50 steps at most, a sample every 5, all degenerate: a wired runner halts at 5 x 5 = 25.
    for name in ("firehose", "legacy"):
        a = reference_audit(name)
        assert (a.steps, a.samples_gated, a.halt_step, a.exit_status) == (25, 5, 25, 3)
        assert gate_problem(a) is None
    v1 = reference_audit("v1_firehose")
    assert (v1.steps, v1.samples_gated, v1.samples_stored_elsewhere, v1.exit_status) == (AUDIT_STEPS, 0, 10, 0)
    assert gate_problem(v1) == "no sample ever reached the gate"
    deaf = reference_audit("firehose_ignoring_halt")
    # It keeps sampling to step 50 (10 samples), and its exit status is 3 all the same: the halt was recorded.
    assert (deaf.steps, deaf.samples_gated, deaf.halt_step, deaf.exit_status) == (50, 10, 25, 3)
    assert gate_problem(deaf) == "the gate said halt at step 25, the runner went on to step 50"
    with pytest.raises(ValueError, match="unknown reference runner 'nope'"):
        reference_audit("nope")


# --- every problem: the reference passes, a stub is not attempted ----------------------------------------------


def test_every_reference_solution_passes_and_every_stub_is_not_attempted(halted_run):
    namespace = dict(vars(lesson05), gate_audit=gate_audit, FirehoseBandit=FirehoseBandit, run_dir=halted_run)
    problems = [(n, q) for n, q in vars(lesson05).items() if isinstance(q, Problem) and n[0] == "q"]
    assert [n for n, _ in problems] == [f"q{i}" for i in range(1, 6)]
    for name, q in problems:
        exec(q.context_code, namespace)
        exec(q.solution_code, namespace)
        outcome = q.grade(**{n: namespace[n] for n in q.names})
        assert outcome.status == CORRECT, f"{name}: {outcome}"
        stubs = {n: (namespace[n] if n == "run_dir" else ...) for n in q.names}
        assert q.grade(**stubs).status == NOT_ATTEMPTED
        assert q.label == f"Lesson 05 · Q{name[1:]}"
        assert len(q.hints) >= 2 or isinstance(q, FreeTextProblem)


# --- Q1 ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("runner, gated, stored, message", [
    ("legacy", 0, 10, "legacy runner's audit shows the gate seeing 5 samples"),
    ("firehose", 0, 10, "use its exact name"),
    (42, 0, 10, "runner's name in quotes, got a int"),
    ("v1_firehose", 10, 10, "how many of them did the gate see?"),
    ("v1_firehose", 0, 50, "one sample every 5 steps"),
    ("v1_firehose", 0, 0, "v1's loop does take samples"),
])  # fmt: skip
def test_q1_mistakes(runner, gated, stored, message):
    outcome = q1.grade(skipping_runner=runner, samples_gated_v1=gated, samples_stored_v1=stored)
    assert outcome.status == INCORRECT and message in outcome.message


def test_q1_accepts_the_function_itself():
    assert q1.grade(skipping_runner=v1_firehose, samples_gated_v1=0, samples_stored_v1=10).passed


# --- Q2 ---------------------------------------------------------------------------------------------------------


def _firehose_with(sample_handling):
    """A learner's firehose_v2 whose sample handling is ``sample_handling(run, name)`` (True: stop)."""

    def firehose_v2(run):
        bandit = run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))
        while run.next_step():
            name = bandit.next_source()
            bandit.record(run.train_step(name))
            if sample_handling(run, name):
                return

    return firehose_v2


def _twice(run, name):
    run.sample(name)  # this call's verdict is dropped ...
    return run.sample(name)  # ... and the same step twice is skipped (with a warning): it never says halt


@pytest.mark.parametrize("loop, message", [
    (v1_firehose, "trained 50 steps and stored 10 samples by a path of its own, but no sample reached"),
    (_firehose_with(lambda run, name: False), "trained 50 steps, but no sample reached the gate"),
    (firehose_ignoring_halt, "went on to step 50: when the sample path says halt, the loop must stop"),
    (_firehose_with(lambda run, name: run.step % 10 == 0 and run.sample(name)),
     "halted at step 50 after 5 gated samples; coursekit's firehose, on the same data, at step 25 after 5"),
    (_firehose_with(_twice), "the gate said halt at step 25, the runner went on to step 50"),
    ("firehose", "should be a function of the run, got a str"),
])  # fmt: skip
def test_q2_mistakes(loop, message):
    outcome = q2.grade(firehose_v2=loop)
    assert outcome.status == INCORRECT and message in outcome.message, outcome.message


def test_q2_a_loop_that_trains_nothing_is_not_attempted():
    def firehose_v2(run):  # the learner notebook's stub: the bandit line, then `...`
        run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))

    assert q2.grade(firehose_v2=firehose_v2).status == NOT_ATTEMPTED


# --- Q3 ---------------------------------------------------------------------------------------------------------


def _test_asserting(check):
    def every_runner_reaches_the_gate(runners):
        for name, runner in runners.items():
            assert check(gate_audit(runner)), name

    return every_runner_reaches_the_gate


def _by_name(runners):
    for name in runners:
        gate_audit(name)


@pytest.mark.parametrize("test, message", [
    (_test_asserting(lambda a: a.samples_gated > 0), "ignores its verdict"),
    (_test_asserting(lambda a: a.exit_status == 3), "its exit status is still 3"),
    (_test_asserting(lambda a: a.halt_step is not None), "ignores its verdict"),
    (_test_asserting(lambda a: a.steps < 25), "fails on coursekit's own runners"),
    # passes everything: whichever broken runner the check tries first (their order is random) says so
    (_test_asserting(lambda a: a.steps <= AUDIT_STEPS), ("passes a registry that holds v1's firehose",
                                                         "ignores its verdict")),
    (_by_name, "Audit the runner itself (`runners[name]`), not its name"),
])  # fmt: skip
def test_q3_mistakes(test, message):
    outcome = q3.grade(every_runner_reaches_the_gate=test)
    messages = (message,) if isinstance(message, str) else message
    assert outcome.status == INCORRECT and any(m in outcome.message for m in messages), outcome.message


def test_q3_a_test_that_runs_nothing_is_not_attempted():
    assert q3.grade(every_runner_reaches_the_gate=lambda runners: None).status == NOT_ATTEMPTED


def test_q3_broken_runners_pose_as_the_firehose_so_names_tell_nothing():
    def by_name(runners):  # audits every runner it is given, and fails only on names it knows to be broken
        for name, runner in runners.items():
            gate_audit(runner)
            assert name in ("firehose", "legacy"), name

    outcome = q3.grade(every_runner_reaches_the_gate=by_name)
    # whichever broken runner comes first (the order is random) is the one it passes
    assert outcome.status == INCORRECT, outcome.message
    assert "holds v1's firehose" in outcome.message or "ignores its verdict" in outcome.message, outcome.message

    def skips_the_one_given(runners):  # audits coursekit's own runner under that name instead of the one given
        for name, runner in runners.items():
            audit = gate_audit(name if name == "firehose" else runner)
            assert audit.halt_step == audit.steps, name

    outcome = q3.grade(every_runner_reaches_the_gate=skips_the_one_given)
    assert outcome.status == INCORRECT and "without running the runner it was given as `firehose`" in outcome.message


def test_q3_runners_note_each_audit_and_reuse_the_seeded_one():
    from coursekit.course.lessons.lesson05 import REFERENCE_RUNNERS, _Tracked, reference_audit

    ran = []
    runner = _Tracked(REFERENCE_RUNNERS["legacy"], ran)
    assert gate_audit(runner) is reference_audit("legacy") and ran == ["legacy"]  # the audit's settings: cached
    shorter = gate_audit(runner, max_steps=20)  # other settings: a real audit of the runner itself
    assert shorter.steps == 20 and shorter.halt_step is None and ran == ["legacy", "legacy"]


def test_q3_a_test_that_passes_only_its_first_call_is_found_out():
    calls = []

    def first_only(runners):  # runs every runner it is given (cheaply), passes once, then fails whatever it gets
        calls.append(len(runners))
        for runner in runners.values():
            try:
                runner(None)
            except AttributeError:
                pass
        assert len(calls) == 1, "failing from the second call on"

    outcome = q3.grade(every_runner_reaches_the_gate=first_only)
    assert outcome.status == INCORRECT and "failed on them when run again" in outcome.message, outcome.message


def test_q3_a_single_assertion_on_where_it_stopped_is_enough():
    # halt_step == steps: None != 50 for v1, 25 != 50 for the deaf runner, 25 == 25 for the good ones.
    assert q3.grade(every_runner_reaches_the_gate=_test_asserting(lambda a: a.halt_step == a.steps)).passed


# --- Q4 ---------------------------------------------------------------------------------------------------------


def _right(run_dir):
    facts = halt_facts(run_dir)
    return dict(run_dir=run_dir, halt_step=facts["halt_step"], last_five_totals=facts["last_five_totals"],
                loss_ema_at_halt=facts["loss_ema_at_halt"], share_of_chance=facts["share_of_chance"])  # fmt: skip


def test_q4_by_hand(hand_run):
    # halt.json: step 80; totals 29, 28, 27, 26, 25; loss EMA at 80: 9.0 - 7 = 2.0; 2.0 / ln(8449) = 2.0 / 9.0418
    answer = dict(run_dir=hand_run, halt_step=80, last_five_totals=[29, 28, 27, 26, 25], loss_ema_at_halt=2.0,
                  share_of_chance=0.2212)  # fmt: skip
    assert q4.grade(**answer).passed
    assert "loss EMA then was 2.00 nats, 22% of the uniform guess" in q4.grade(**answer).message


def test_q4_accepts_two_decimals(halted_run):
    answer = _right(halted_run)
    answer.update(last_five_totals=[round(t, 2) for t in answer["last_five_totals"]],
                  loss_ema_at_halt=round(answer["loss_ema_at_halt"], 2),
                  share_of_chance=round(answer["share_of_chance"], 2))  # fmt: skip
    assert q4.grade(**answer).passed


@pytest.mark.parametrize("change, message", [
    (lambda a, f: {"halt_step": 40}, "where the run of degenerate samples began"),
    (lambda a, f: {"halt_step": 600}, "the run's planned length"),
    (lambda a, f: {"halt_step": 70}, "fifth degenerate sample in a row"),
    (lambda a, f: {"last_five_totals": [80, 70, 60, 29, 28]}, "first samples of the run"),
    (lambda a, f: {"last_five_totals": a["last_five_totals"][::-1]}, "reverse order"),
    (lambda a, f: {"last_five_totals": a["last_five_totals"][:4]}, "has 4 numbers; halt.json quotes 5"),
    (lambda a, f: {"last_five_totals": "25.1, 24.6"}, "should be a list of 5 numbers, got a str"),
    (lambda a, f: {"loss_ema_at_halt": f["loss_at_run_start"]}, "at the first of the five samples"),
    (lambda a, f: {"share_of_chance": math.log(8449) / a["loss_ema_at_halt"]}, "upside down"),
    (lambda a, f: {"share_of_chance": a["loss_ema_at_halt"] / math.log10(8449)}, "divides by log10"),
])  # fmt: skip
def test_q4_mistakes(hand_run, change, message):
    answer = _right(hand_run)
    answer.update(change(answer, halt_facts(hand_run)))
    outcome = q4.grade(**answer)
    assert outcome.status == INCORRECT and message in outcome.message, outcome.message


def test_q4_without_a_halted_run(tmp_path, halted_run):
    answer = _right(halted_run)
    assert "holds no run log: run the training cell" in q4.grade(**{**answer, "run_dir": tmp_path}).message
    (tmp_path / "samples.jsonl").write_text((halted_run / "samples.jsonl").read_text())
    assert "has no halt.json: the gate did not halt that run" in q4.grade(**{**answer, "run_dir": tmp_path}).message


# --- Q5 ---------------------------------------------------------------------------------------------------------


def test_q5_model_answer_passes_and_thin_answers_do_not():
    assert q5.grade(answer=q5.model_answer).passed
    thin = q5.grade(answer="The loss was low. The model was fine at predicting the next token of its data.")
    assert thin.passed and "why the stuck source makes that easy" in thin.message  # advice, not a fail
    assert q5.grade(answer="It predicted repeated text well.").status == INCORRECT  # 5 words: too short
    assert q5.grade(answer="  ").status == NOT_ATTEMPTED


def test_audit_steps_and_cadence_make_the_expected_counts():
    # The messages above quote these numbers; they follow from the audit's settings.
    assert (AUDIT_STEPS, AUDIT_EVERY) == (50, 5)
