"""Tests for coursekit.integrations.core: cadence, each step once, a gate that never kills a run, log, state."""

import json
import warnings

import pytest

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.runlog import read_log
from coursekit.alarm.v3gate import V3Gate
from coursekit.integrations.core import AlarmWarning, SampleWatch, first_words, resolve_gate

LOOP = " ".join(["region"] * 24)  # 24 x "region": total 26.11 (35/23 + 35/22 + 20 + 3), degenerate
PROSE = "the cat sat on a mat and the dog ran to the old house by the river in the bright sun"


def watch(tmp_path, gate="v2", every=10):
    return SampleWatch(gate, every, tmp_path / "samples.jsonl")


def observe(w, step, text=LOOP, **kw):
    assert w.due(step)
    return w.observe(step, lambda: (text, {"prompt": "p"}), source="train", **kw)


def test_cadence_and_the_record(tmp_path):
    w = watch(tmp_path)
    assert [w.due(s) for s in (1, 5, 9)] == [False] * 3
    rec = observe(w, 10, loss_ema=2.5)
    assert rec == read_log(tmp_path / "samples.jsonl")[0][0]
    assert (rec["step"], rec["source"], rec["loss_ema"], rec["consecutive"], rec["halt"], rec["prompt"]) == (
        10, "train", 2.5, 1, False, "p")  # fmt: skip
    assert rec["total"] == pytest.approx(35 / 23 + 35 / 22 + 20 + 3)


def test_a_repeated_or_backwards_step_is_skipped_with_a_warning(tmp_path):
    w = watch(tmp_path)
    observe(w, 10)
    for step in (10, 0):  # gradient accumulation calls twice per step; a loop restarted without resuming
        with pytest.warns(AlarmWarning, match=f"skipped step {step}: it already saw step 10"):
            assert w.due(step) is False
    observe(w, 20)
    assert [r["step"] for r in read_log(tmp_path / "samples.jsonl")[0]] == [10, 20]
    assert w.gate.consecutive == 2  # counted once each


def test_the_gate_never_kills_a_run(tmp_path):
    w = watch(tmp_path)

    def broken():
        raise RuntimeError("CUDA out of memory")

    assert w.due(10)
    with pytest.warns(AlarmWarning, match=r"lost the sample of step 10: sampling or scoring failed \(RuntimeError: "
                                          r"CUDA out of memory\); counted as no sample \(1 so far\)"):
        assert w.observe(10, broken, source="train") is None
    assert w.due(20)
    with pytest.warns(AlarmWarning, match="TypeError"):  # a sampler returning bytes: the gate refuses them
        assert w.observe(20, lambda: (b"bytes", {}), source="train") is None
    assert w.failures == 2 and w.gate.last_step is None and w.last is None
    observe(w, 30)  # and the next sample goes through
    assert [r["step"] for r in read_log(tmp_path / "samples.jsonl")[0]] == [30]


def test_a_log_that_cannot_be_written_loses_the_line_not_the_run(tmp_path):
    (tmp_path / "samples.jsonl").mkdir()  # a folder where the log should be: open() fails
    w = watch(tmp_path, every=1)
    for step in range(1, 6):
        with pytest.warns(AlarmWarning, match="writing samples.jsonl failed"):
            observe(w, step)
    assert w.halted and w.failures == 5  # the gate still saw every sample


def test_report_names_the_rule(tmp_path):
    v2, v3 = watch(tmp_path / "a", every=1), watch(tmp_path / "b", gate="v3", every=1)
    for step in range(1, 6):
        observe(v2, step), observe(v3, step)
    assert v2.report()["reason"] == ("5 consecutive samples scored below 30 (patience 5); "
                                     f"the last one scored {v2.last['total']:.2f}")  # fmt: skip
    assert v3.report()["reason"].startswith("the gate's rule: halt when 5 of the last 10 samples are bad")
    with pytest.raises(RuntimeError, match="has not halted"):
        watch(tmp_path / "c").report()


def test_state_holds_no_path_and_resume_rewinds_the_log(tmp_path):
    w = watch(tmp_path)
    for step in (10, 20):
        observe(w, step)
    state = w.state_dict()
    assert str(tmp_path) not in json.dumps(state)  # a checkpoint never carries this run's folder elsewhere
    observe(w, 30, PROSE)
    w.close()

    again = watch(tmp_path)
    assert again.load_state_dict(json.loads(json.dumps(state)), 20) == 1  # the sample at 30 is dropped
    assert (again.gate.consecutive, again.last_step, again.last["step"]) == (2, 20, 20)
    with pytest.warns(AlarmWarning):
        assert not again.due(20)
    observe(again, 30)
    assert [r["consecutive"] for r in read_log(tmp_path / "samples.jsonl")[0]] == [1, 2, 3]
    with pytest.raises(RuntimeError, match="before the first sample"):
        again.load_state_dict(state, 20)


def test_non_main_ranks_track_steps_and_write_nothing(tmp_path):
    w = SampleWatch("v2", 10, tmp_path / "samples.jsonl", is_main=False)
    assert w.due(10) and not w.due(15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert w.load_state_dict(None, 0) == 0
    assert not (tmp_path / "samples.jsonl").exists()


def test_resolve_gate():
    assert type(resolve_gate("v3")) is V3Gate
    gate = CoherenceGate()
    assert resolve_gate(gate) is gate
    with pytest.raises(TypeError, match="registered name or an object with observe"):
        resolve_gate(42)
    with pytest.raises(ValueError, match="every must be a positive int, got 0"):
        SampleWatch("v2", 0, None)


def test_first_words():
    assert first_words(" a b  c d", 3) == (" a b  c", True)
    assert first_words(" a b c", 3) == (" a b c", False)  # "c" may go on in the next token
