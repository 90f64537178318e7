"""Lesson 08's checks: the reference passes, and each usual mistake fails with a message that helps.

Every check trains tiny models (a few seconds each on a CPU); the generic self-test (tests/test_exercise.py) runs
every solution and stub too. These are the lesson's own cases.
"""

import tempfile

import pytest

pytest.importorskip("transformers")  # the course's pinned environment installs both frameworks
pytest.importorskip("lightning")

from transformers import Trainer  # noqa: E402

from coursekit.course.exercise import CORRECT, INCORRECT, NOT_ATTEMPTED  # noqa: E402
from coursekit.course.lessons.lesson08 import (  # noqa: E402
    BROKEN_TRAINERS,
    GLUE,
    POSES_AS,
    REFERENCE_TRAINERS,
    glue_snippets,
    q1,
    q2,
    q3,
    reference_audit,
)
from coursekit.course.lessons.lesson08_trainers import (  # noqa: E402
    EVERY,
    GATE,
    MAX_STEPS,
    NEW_TOKENS,
    PROMPT,
    folder_audit,
)
from coursekit.integrations.hf import CoherenceCallback  # noqa: E402
from coursekit.train.gateaudit import gate_problem  # noqa: E402


def wired(every=EVERY, tokenizer=True):
    """A learner's wiring of the HF Trainer, right by default, with one setting or the tokenizer changed."""

    def wired_trainer(model, args, train_dataset, tok):
        alarm = CoherenceCallback(every=every, gate=GATE, prompts=[PROMPT], new_tokens=NEW_TOKENS, words=NEW_TOKENS)
        return Trainer(model=model, args=args, train_dataset=train_dataset, callbacks=[alarm],
                       **({"processing_class": tok} if tokenizer else {}))  # fmt: skip

    return wired_trainer


def test_the_three_trainers_reach_the_gate_and_the_two_broken_ones_do_not():
    for name in REFERENCE_TRAINERS:
        audit = reference_audit(name)
        assert gate_problem(audit) is None and audit.halt_step < MAX_STEPS, name
    no_tokenizer, keeps_going = (reference_audit(name) for name in BROKEN_TRAINERS)
    # Every sample lost (no tokenizer to sample with): the run trains all its steps and the gate sees nothing.
    assert (no_tokenizer.samples_gated, no_tokenizer.steps) == (0, MAX_STEPS)
    # The gate said halt; another callback cleared the stop, so training went on to the end (exit status still 3).
    assert keeps_going.halt_step < keeps_going.steps == MAX_STEPS and keeps_going.exit_status == 3


def test_a_folder_without_a_log_is_an_audit_of_no_sample():
    with tempfile.TemporaryDirectory() as out:
        audit = folder_audit("nothing", out, 50)
    assert (audit.samples_gated, audit.halt_step, audit.exit_status) == (0, None, 0)
    assert gate_problem(audit) == "no sample ever reached the gate"


def test_q1_passes_the_wiring_and_names_what_is_missing():
    assert q1.grade(wired_trainer=wired()).status == CORRECT
    no_tok = q1.grade(wired_trainer=wired(tokenizer=False))
    assert no_tok.status == INCORRECT and "no sample reached the gate" in no_tok.message
    assert "no tokenizer" in no_tok.message  # the alarm's own warning is quoted
    slow = q1.grade(wired_trainer=wired(every=10))  # a sample every 10 steps: the halt comes later
    want = reference_audit("HF Trainer").halt_step
    assert slow.status == INCORRECT and f"halts at step {want}" in slow.message
    bare = q1.grade(wired_trainer=lambda model, args, data, tok: Trainer(model=model, args=args, train_dataset=data))
    assert bare.status == INCORRECT and "no CoherenceCallback" in bare.message
    assert q1.grade(wired_trainer=lambda *pieces: "a trainer").status == INCORRECT
    assert q1.grade(wired_trainer=lambda *pieces: ...).status == NOT_ATTEMPTED


def test_q2_fails_a_test_that_only_counts_samples_or_reads_the_exit_status():
    def reference(trainers):
        for name, run in trainers.items():
            with tempfile.TemporaryDirectory() as out:
                audit = run(out)
            assert gate_problem(audit) is None, f"{name}: {gate_problem(audit)}"

    def only_counts_samples(trainers):  # passes the run whose stop was cleared
        for name, run in trainers.items():
            with tempfile.TemporaryDirectory() as out:
                assert run(out).samples_gated > 0, name

    def exit_status(trainers):  # a halt is recorded even when training went on
        for name, run in trainers.items():
            with tempfile.TemporaryDirectory() as out:
                assert run(out).exit_status == 3, name

    def runs_nothing(trainers):
        return None

    assert q2.grade(every_trainer_reaches_the_alarm=reference).status == CORRECT
    for wrong in (only_counts_samples, exit_status):
        outcome = q2.grade(every_trainer_reaches_the_alarm=wrong)
        assert outcome.status == INCORRECT and "clears should_stop" in outcome.message, wrong.__name__
    assert q2.grade(every_trainer_reaches_the_alarm=runs_nothing).status == NOT_ATTEMPTED


def test_q2_wants_a_fresh_folder_per_trainer_and_the_trainer_named_in_the_failure():
    def one_folder(trainers):  # every trainer into the same folder: a stale log could pass an unwired trainer
        out = tempfile.mkdtemp()
        for name, run in trainers.items():
            assert gate_problem(run(out)) is None, name

    def no_name(trainers):  # raises by hand: pytest's rewritten assert would print the audit, which names it
        for name, run in trainers.items():
            with tempfile.TemporaryDirectory() as out:
                if gate_problem(run(out)) is not None:
                    raise AssertionError("a trainer missed the gate")

    shared = q2.grade(every_trainer_reaches_the_alarm=one_folder)
    assert shared.status == INCORRECT and "fresh, empty folder of its own" in shared.message
    unnamed = q2.grade(every_trainer_reaches_the_alarm=no_name)
    assert unnamed.status == INCORRECT and "does not name the trainer" in unnamed.message


def test_q3_takes_letters_and_says_what_the_wrong_snippet_does():
    right = {failure: letter for letter, (failure, _, _) in GLUE.items()}
    assert q3.grade(**right).status == CORRECT
    assert q3.grade(**{k: v.lower() for k, v in right.items()}).status == CORRECT
    swapped = {**right, "hangs_under_fsdp": right["counts_a_step_twice"]}
    outcome = q3.grade(**swapped)
    # It says which answer is wrong, not what the snippet does: that would settle the other two answers.
    assert outcome.status == INCORRECT and "is not snippet" in outcome.message
    assert all(why not in outcome.message for _, _, why in GLUE.values())
    assert q3.grade(**{**right, "hangs_under_fsdp": "D"}).status == INCORRECT
    assert set(glue_snippets()) == set(GLUE) and all("hang" not in s for s in glue_snippets().values())


def test_q2_broken_trainers_pose_as_the_wired_ones_so_names_tell_nothing():
    assert set(POSES_AS) == set(BROKEN_TRAINERS) and set(POSES_AS.values()) <= set(REFERENCE_TRAINERS)

    def by_name(trainers):  # fails only on names it was told are broken: runs every trainer, judges none
        for name, run in trainers.items():
            with tempfile.TemporaryDirectory() as out:
                run(out)
            assert "without" not in name and "clears" not in name, name

    outcome = q2.grade(every_trainer_reaches_the_alarm=by_name)
    assert outcome.status == INCORRECT and "passes a registry that holds the " in outcome.message, outcome.message


def test_q2_a_test_that_passes_only_its_first_call_is_found_out():
    calls = []

    def first_only(trainers):  # runs every trainer it is given, passes once, then fails naming every trainer
        calls.append(len(trainers))
        for name, run in trainers.items():
            with tempfile.TemporaryDirectory() as out:
                run(out)
        assert len(calls) == 1, " / ".join(trainers)

    outcome = q2.grade(every_trainer_reaches_the_alarm=first_only)
    assert outcome.status == INCORRECT and "failed on them when run again" in outcome.message, outcome.message
