"""Every runner must reach the gate: the v1 wiring bug (docs/specification.md §2, fact 7) as a test.

``runners_that_skip_the_gate`` audits every registered runner with ``coursekit.train.gateaudit``: a short real run on
a shard stuck on one token. Whatever its curriculum, a runner on that data produces degenerate samples, so a
runner wired to the sample path is halted by the gate on its fifth sample and stops there; one that never calls
the sample path, or ignores its verdict, trains on and is reported with what went wrong.
"""

import pytest

from coursekit.incident.v1firehose import firehose_ignoring_halt, v1_firehose
from coursekit.train.gateaudit import gate_audit, gate_problem
from coursekit.train.runners import RUNNERS, register_runner


def runners_that_skip_the_gate() -> dict[str, str]:
    """{name: what went wrong} for every registered runner whose audit finds it missing the gate."""
    return {name: problem for name in RUNNERS if (problem := gate_problem(gate_audit(name))) is not None}


def test_every_registered_runner_reaches_the_gate():
    assert set(RUNNERS) >= {"firehose", "legacy"}
    assert runners_that_skip_the_gate() == {}


@pytest.mark.parametrize(
    "buggy, problem",
    [
        (v1_firehose, "no sample ever reached the gate"),  # v1's bug: its samples went to a file of their own
        (firehose_ignoring_halt, "the gate said halt at step 25, the runner went on to step 50"),
    ],
)
def test_the_check_catches_a_runner_that_skips_the_gate(buggy, problem):
    register_runner("v1_bug")(buggy)
    try:
        failures = runners_that_skip_the_gate()
    finally:
        del RUNNERS["v1_bug"]
    assert failures == {"v1_bug": problem}


def test_register_runner_refuses_a_taken_name():
    with pytest.raises(ValueError, match="'firehose' is already registered"):
        register_runner("firehose")(v1_firehose)
