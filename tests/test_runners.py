"""Every runner must reach the gate: the v1 wiring bug (docs/specification.md §2, fact 7) as a test.

``runners_that_skip_the_gate`` audits every registered runner with ``coursekit.train.gateaudit``: a short real run on
a shard stuck on one token. Whatever its curriculum, a runner on that data produces degenerate samples, so a
runner wired to the sample path is halted by the gate on its fifth sample and stops there; one that never calls
the sample path, or ignores its verdict, trains on and is reported with what went wrong.
"""

import pytest

from coursekit.incident.v1firehose import firehose_ignoring_halt, v1_firehose
from coursekit.train.curriculum import FirehoseBandit
from coursekit.train.gateaudit import curriculum_problem, gate_audit, gate_problem
from coursekit.train.runners import RUNNERS, register_runner


def runners_that_skip_the_gate() -> dict[str, str]:
    """{name: what went wrong} for every registered runner whose audit finds it missing the gate."""
    found = {}
    for name in RUNNERS:
        audit = gate_audit(name)
        problem = gate_problem(audit) or curriculum_problem(audit)
        if problem is not None:
            found[name] = problem
    return found


def test_every_registered_runner_reaches_the_gate():
    assert set(RUNNERS) >= {"firehose", "legacy"}
    assert runners_that_skip_the_gate() == {}


def test_register_runner_refuses_a_taken_name():
    with pytest.raises(ValueError, match="'firehose' is already registered"):
        register_runner("firehose")(v1_firehose)


def _ignores_the_bandit(run):  # asks the bandit, then trains the first source anyway
    bandit = run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))
    while run.next_step():
        bandit.next_source()
        name = run.source_names[0]
        bandit.record(run.train_step(name))
        if run.sample(name):
            return


def _never_records(run):  # the bandit never hears a loss, so it never learns anything
    bandit = run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))
    while run.next_step():
        name = bandit.next_source()
        run.train_step(name)
        if run.sample(name):
            return


@pytest.mark.parametrize(
    "buggy, says",
    [
        (v1_firehose, "no sample ever reached the gate"),  # v1's bug: its samples went to a file of their own
        (firehose_ignoring_halt, "the gate said halt at step 25, the runner went on to step 50"),
        # the audit trains on three sources (the same stuck shard): both loops below reach the gate, and are caught
        (_ignores_the_bandit, "train the source the curriculum names"),
        (_never_records, "told its FirehoseBandit about 0"),
    ],
)
def test_the_check_catches_a_runner_that_skips_the_gate_or_its_curriculum(buggy, says):
    register_runner("v1_bug")(buggy)
    try:
        failures = runners_that_skip_the_gate()
    finally:
        del RUNNERS["v1_bug"]
    assert list(failures) == ["v1_bug"] and says in failures["v1_bug"]
