"""Tests for coursekit.train.gateaudit: a short real run on a stuck shard, and what the gate saw in it."""

import dataclasses
import json

import pytest

from coursekit.alarm.runlog import LogWriter
from coursekit.incident.v1firehose import V1_LOG, firehose_ignoring_halt, v1_firehose
from coursekit.train.gateaudit import (
    AUDIT_SOURCES,
    curriculum_problem,
    AUDIT_EVERY,
    AUDIT_STEPS,
    STUCK_TEXT,
    GateAudit,
    audit_config,
    audit_data,
    audit_run,
    gate_audit,
    gate_problem,
    read_audit,
)
from coursekit.train.runners import RUNNERS


def test_a_wired_runner_is_halted_on_its_fifth_sample():
    # Samples at steps 5, 10, 15, 20, 25, each "the the ..." (degenerate): the fifth in a row halts, at 25.
    for name in ("firehose", "legacy"):
        audit = gate_audit(name)
        assert (audit.runner, audit.exit_status, audit.steps) == (name, 3, 5 * AUDIT_EVERY)
        assert (audit.samples_gated, audit.halt_step, audit.samples_stored_elsewhere) == (5, 25, 0)
        assert audit.last_text.split() == ["the"] * len(audit.last_text.split())


def test_a_runner_that_stores_its_own_samples_is_seen_through():
    before = dict(RUNNERS)
    audit = gate_audit(v1_firehose)  # not registered: registered for the run, then removed
    assert RUNNERS == before
    # 50 steps, a stored sample every 5: 10 stored, none gated; nothing halts it, so it completes (status 0).
    assert dataclasses.astuple(audit)[:7] == ("v1_firehose", 0, AUDIT_STEPS, 0, None, AUDIT_STEPS // AUDIT_EVERY,
                                              audit.last_text)
    assert "the the the" in audit.last_text
    assert "the gate saw no sample; 10 samples stored elsewhere, never scored" in str(audit)


def test_gate_problem_names_each_way_to_miss_the_gate():
    assert gate_problem(gate_audit("firehose")) is None
    assert gate_problem(gate_audit(v1_firehose)) == "no sample ever reached the gate"
    # It samples to step 50 (10 samples) and still exits 3: the halt was recorded, then ignored.
    deaf = gate_audit(firehose_ignoring_halt)
    assert (deaf.exit_status, deaf.samples_gated) == (3, 10)
    assert gate_problem(deaf) == "the gate said halt at step 25, the runner went on to step 50"
    never = GateAudit("r", 0, 50, 10, None, 0, "")  # a gate with a patience longer than the run
    assert gate_problem(never) == "the gate saw 10 degenerate samples and never said halt"


def test_a_crashing_runner_raises_and_leaves_the_registry_as_it_was():
    def broken(run):
        run.train_step("no such source")

    before = dict(RUNNERS)
    with pytest.raises(KeyError, match="unknown source 'no such source'"):
        gate_audit(broken)
    assert RUNNERS == before


def test_a_runner_that_trains_nothing():
    audit = gate_audit(lambda run: None)
    assert (audit.steps, audit.samples_gated, audit.halt_step, audit.last_text) == (0, 0, None, "")
    assert str(audit).startswith("<lambda>: trained 0 steps, exit status 0; the gate saw no sample")


def test_bad_runners_are_named():
    with pytest.raises(ValueError, match="unknown runner 'nope'; registered: firehose, legacy"):
        gate_audit("nope")
    with pytest.raises(TypeError, match="got int"):
        gate_audit(42)


def test_audit_config_and_data():
    cfg = audit_config("somewhere", "legacy", max_steps=7, seed=3)
    assert (cfg.runner, cfg.max_steps, cfg.seed, cfg.progress, cfg.device) == ("legacy", 7, 3, False, "cpu")
    assert cfg.alarm.every == AUDIT_EVERY and cfg.alarm.new_tokens < cfg.model.block_size
    tokenizer, sources = audit_data()
    assert cfg.model.vocab_size == tokenizer.vocab_size
    assert tuple(sources) == AUDIT_SOURCES and len(AUDIT_SOURCES) == 3
    for source in sources.values():
        assert source.faulty and set(source.tokens.tolist()) == set(tokenizer.encode(STUCK_TEXT))


def test_audit_run_leaves_the_files(tmp_path):
    assert audit_run("firehose", tmp_path) == 3
    files = {p.name for p in tmp_path.iterdir()}
    assert {"samples.jsonl", "halt.json", "summary.json", "config.json", "ckpt.pt"} <= files


def test_read_audit_by_hand(tmp_path):
    # Two gated samples, the second halting; one sample stored by another path, later than both.
    with LogWriter(tmp_path / "samples.jsonl") as log:
        log.append({"step": 5, "source": "s", "text": "a b", "loss_ema": 1.0, "halt": False})
        log.append({"step": 10, "source": "s", "text": "c d", "loss_ema": 0.5, "halt": True})
    with LogWriter(tmp_path / V1_LOG) as log:
        log.append({"step": 12, "source": "s", "text": "e f", "loss_ema": 0.4})
    (tmp_path / "summary.json").write_text(json.dumps({"step": 12}))
    assert read_audit("r", 3, tmp_path) == GateAudit("r", 3, 12, 2, 10, 1, "e f")
    assert "said halt at step 10; 1 samples stored elsewhere" in str(read_audit("r", 3, tmp_path))


def test_the_audit_counts_what_each_runner_trained_and_told_its_curriculum():
    # stints of 2-4 steps over three sources: by the halt at step 25 the bandit has tried all three
    audit = gate_audit("firehose")
    assert sum(n for _, n in audit.trained) == 25 and len(audit.trained) == 3
    assert audit.curriculum == "FirehoseBandit" and audit.curriculum_told == 25
    assert audit.curriculum_chose == audit.trained and curriculum_problem(audit) is None
    legacy = gate_audit("legacy")
    assert legacy.curriculum == "LegacySchedule" and legacy.curriculum_told == 25 and curriculum_problem(legacy) is None


def test_curriculum_problem_by_hand():
    base = GateAudit("r", 3, 10, 2, 10, 0, "", trained=(("a", 6), ("b", 4)), curriculum="FirehoseBandit",
                     curriculum_told=10, curriculum_chose=(("a", 6), ("b", 4), ("c", 0)))
    assert curriculum_problem(base) is None
    assert "attached no curriculum" in curriculum_problem(dataclasses.replace(base, curriculum=None))
    assert "about 7" in curriculum_problem(dataclasses.replace(base, curriculum_told=7))
    assert "chose" in curriculum_problem(dataclasses.replace(base, curriculum_chose=(("a", 10),)))
    assert curriculum_problem(dataclasses.replace(base, trained=())) is None  # an audit read from files only


def test_a_runner_that_audits_itself_is_asked_to():
    # The grader lends a learner's test its runners as stand-ins that audit themselves in the grader's process
    # (coursekit.course.grader.hosting): gate_audit hands the settings over and returns that audit untouched.
    class SelfAuditing:
        def __call__(self, run):
            raise AssertionError("never trained here")

        def __gate_audit__(self, **settings):
            return ("audited elsewhere", settings)

    assert gate_audit(SelfAuditing(), max_steps=7) == ("audited elsewhere", {"max_steps": 7, "seed": 0})
