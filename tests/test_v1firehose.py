"""Tests for coursekit.incident.v1firehose: v1's runner stores samples the gate never sees; the other one ignores the halt."""

from coursekit.alarm.runlog import read_log
from coursekit.incident.v1firehose import V1_LOG, firehose_ignoring_halt, v1_firehose
from coursekit.train.gateaudit import AUDIT_EVERY, AUDIT_SOURCES, AUDIT_STEPS, audit_run
from coursekit.train.runners import RUNNERS


def test_v1_stores_run_log_records_and_the_gate_sees_none(tmp_path):
    assert audit_run(v1_firehose, tmp_path) == 0  # trained to the end: nothing stopped it
    records, bad = read_log(tmp_path / V1_LOG)
    # One record every AUDIT_EVERY steps: 5, 10, ..., 50 (the run-log format, without scores).
    assert bad == [] and [r["step"] for r in records] == list(range(AUDIT_EVERY, AUDIT_STEPS + 1, AUDIT_EVERY))
    assert {r["source"] for r in records} <= set(AUDIT_SOURCES) and all(r["loss_ema"] is not None for r in records)
    assert "total" not in records[0] and not (tmp_path / "samples.jsonl").exists()
    assert "v1_firehose" not in RUNNERS


def test_ignoring_the_halt_trains_to_the_end_and_still_exits_3(tmp_path):
    assert audit_run(firehose_ignoring_halt, tmp_path) == 3
    records = read_log(tmp_path / "samples.jsonl")[0]
    # The gate says halt at 25 and keeps saying it (counter 5, 6, ..., 10) while training goes on to 50.
    assert [r["consecutive"] for r in records] == list(range(1, 11))
    assert [r["step"] for r in records if r["halt"]] == [25, 30, 35, 40, 45, 50]
