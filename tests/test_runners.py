"""Every runner must reach the gate: the v1 wiring bug (COURSE.md §2, fact 7) as a test.

``runners_that_skip_the_gate`` trains every registered runner on a degenerate source only, a stuck shard
that repeats "region". Whatever its curriculum, a runner on that data produces samples that score 26.1, so a
runner wired to the sample path is halted by the gate (exit status 3, halt.json, a sample log, and no step
trained after the halt); one that never calls it, or ignores its verdict, trains on and is reported.
"""

import json

import pytest
from tinyrun import WordTokenizer, stuck_source, tiny_config

from coursekit.curriculum import FirehoseBandit
from coursekit.runlog import read_log
from coursekit.runners import RUNNERS, register_runner
from coursekit.trainer import EXIT_HALTED, main


def runners_that_skip_the_gate(tmp_path) -> dict[str, str]:
    """Run every registered runner on a degenerate source; {name: what went wrong} for those never gated."""
    failures = {}
    for name in RUNNERS:
        out = tmp_path / name
        status = main(tiny_config(out, runner=name), tokenizer=WordTokenizer(), sources={"stuck": stuck_source()})
        log = out / "samples.jsonl"
        records = read_log(log)[0] if log.exists() else []
        if not records:
            failures[name] = f"exit status {status}, no sample ever reached the gate"
        elif status != EXIT_HALTED or not (out / "halt.json").exists():
            failures[name] = f"exit status {status} on a degenerate source: the gate's halt was not acted on"
        else:
            halted_at = next(r["step"] for r in records if r["halt"])  # the first time the gate said halt
            stopped_at = json.loads((out / "summary.json").read_text())["step"]
            if stopped_at != halted_at:
                failures[name] = f"the gate said halt at step {halted_at}, the runner went on to {stopped_at}"
    return failures


def test_every_registered_runner_reaches_the_gate(tmp_path):
    assert set(RUNNERS) >= {"firehose", "legacy"}
    assert runners_that_skip_the_gate(tmp_path) == {}
    report = json.loads((tmp_path / "firehose" / "halt.json").read_text())
    assert report["step"] == 30  # samples at 5 (still learning), 10, 15, 20, 25, 30: five degenerate in a row


def v1_firehose(run):
    """v1's firehose, bug included: it trains and samples nothing (no run.sample call)."""
    bandit = run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))
    while run.next_step():
        name = bandit.next_source()
        bandit.record(run.train_step(name))


def v1_ignores_halt(run):
    """Calls the sample path but ignores its verdict: as bad as not calling it."""
    while run.next_step():
        run.train_step("stuck")
        run.sample("stuck")


@pytest.mark.parametrize("buggy", [v1_firehose, v1_ignores_halt])
def test_the_check_catches_a_runner_that_skips_the_gate(tmp_path, buggy):
    register_runner("v1_bug")(buggy)
    try:
        failures = runners_that_skip_the_gate(tmp_path)
    finally:
        del RUNNERS["v1_bug"]
    assert list(failures) == ["v1_bug"]
    assert ("no sample ever reached the gate" if buggy is v1_firehose else "went on to 150") in failures["v1_bug"]


def test_register_runner_refuses_a_taken_name():
    with pytest.raises(ValueError, match="'firehose' is already registered"):
        register_runner("firehose")(v1_firehose)
