"""Tests for coursekit.course.collapserun: the lesson's run config, its folder, the runner choice, and the halt's facts."""

import json
import math

import pytest

from coursekit.course.collapserun import (
    LESSON_SAMPLE_EVERY,
    collapse_config,
    fresh_run_dir,
    halt_facts,
    profile_changes,
    runner_for_the_collapse,
)
from coursekit.incident.v1firehose import firehose_ignoring_halt
from coursekit.train.gateaudit import audit_run
from coursekit.train.runners import RUNNERS, register_runner
from coursekit.train.trainer import profile_config


@pytest.fixture(scope="module")
def halted_run(tmp_path_factory):
    """A tiny run that the gate halted: coursekit's firehose on the audit's stuck shard (samples at 5, ..., 25)."""
    run_dir = tmp_path_factory.mktemp("halted")
    assert audit_run("firehose", run_dir) == 3
    return run_dir


def test_collapse_config_is_the_classroom_profile_and_says_what_differs_from_cpu():
    cfg = collapse_config("runs/x", runner="firehose_v2")
    assert (cfg.profile, cfg.scenario, cfg.alarm.every, cfg.max_steps) == ("classroom", "collapse", LESSON_SAMPLE_EVERY, 600)
    assert profile_changes(cfg) == ["out_dir: 'runs/train' -> 'runs/x'", "runner: 'firehose' -> 'firehose_v2'"]
    # Against cpu: the folder and runner, then the classroom profile's four knobs (trainconfig.PROFILES).
    assert profile_changes(cfg, base="cpu") == [
        "out_dir: 'runs/train' -> 'runs/x'", "runner: 'firehose' -> 'firehose_v2'", "batch_size: 8 -> 4",
        "alarm.every: 20 -> 10", "bandit.min_stint: 7 -> 5", "bandit.max_stint: 42 -> 30",
        "bandit.temperature: 0.5 -> 0.25"]  # fmt: skip
    assert (cfg.model, cfg.lr, cfg.threads) == (profile_config("cpu").model, profile_config("cpu").lr, 1)
    assert profile_changes(profile_config("cpu")) == []
    assert profile_changes(profile_config("rtx4090", max_steps=10)) == ["max_steps: 200000 -> 10"]


def test_fresh_run_dir(tmp_path):
    run = tmp_path / "a" / "run"
    assert fresh_run_dir(run).is_dir()
    (run / "samples.jsonl").write_text("old")
    (run / "halt-step40.json").write_text("{}")
    for name in (".lock", "resumes.json", "halt-untrusted.json", ".tmp-abc123-ckpt.pt"):  # also a run's
        (run / name).write_text("")
    assert list(fresh_run_dir(run).iterdir()) == []  # an earlier run's files are gone
    (run / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"holds files that no run writes \(notes.txt\)"):
        fresh_run_dir(run)
    assert (run / "notes.txt").read_text() == "mine"  # refused, and nothing deleted
    with pytest.raises(ValueError, match="is a file"):
        fresh_run_dir(run / "notes.txt")


def test_runner_for_the_collapse(capsys):
    assert runner_for_the_collapse("not_registered") == "firehose"
    assert "not_registered is not wired yet (it is not registered)" in capsys.readouterr().out
    register_runner("collapserun_test_wired")(RUNNERS["firehose"])
    register_runner("collapserun_test_deaf")(firehose_ignoring_halt)
    try:
        assert runner_for_the_collapse("collapserun_test_wired") == "collapserun_test_wired"
        assert runner_for_the_collapse("collapserun_test_deaf") == "firehose"
        assert "went on to step 50" in capsys.readouterr().out
    finally:
        del RUNNERS["collapserun_test_wired"], RUNNERS["collapserun_test_deaf"]


def test_halt_facts(halted_run):
    facts = halt_facts(halted_run)
    # Five degenerate samples at 5, 10, 15, 20, 25: the run of five starts at 5 and the gate halts at 25.
    assert (facts["halt_step"], facts["run_start"], facts["patience"], facts["vocab_size"]) == (25, 5, 5, 8449)
    assert len(facts["last_five_totals"]) == 5 and all(t < 30 for t in facts["last_five_totals"])
    assert facts["first_totals"] == facts["last_five_totals"]  # this run has exactly five samples
    assert facts["share_of_chance"] == pytest.approx(facts["loss_ema_at_halt"] / math.log(8449))


def test_halt_facts_refuses_a_report_that_disagrees_with_the_log(tmp_path, halted_run):
    for name in ("samples.jsonl", "config.json"):
        (tmp_path / name).write_text((halted_run / name).read_text())
    report = json.loads((halted_run / "halt.json").read_text())
    (tmp_path / "halt.json").write_text(json.dumps({**report, "step": 20}))
    with pytest.raises(ValueError, match="halt.json says step 20, samples.jsonl first halts at 25"):
        halt_facts(tmp_path)
