"""Tests for coursekit.train.live: the live picture driven without a browser, and its static twin from a run folder."""

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.alarm.runlog import LogWriter
from coursekit.train.gateaudit import AUDIT_SOURCES, audit_config, audit_data, audit_run
from coursekit.train.live import LivePlot, run_figure
from coursekit.train.trainer import main


def fake_run(step, loss, last, max_steps=100):
    """What LivePlot reads from a coursekit.train.trainer.Run."""
    cfg = SimpleNamespace(alarm=SimpleNamespace(threshold=30.0, patience=5), model=SimpleNamespace(vocab_size=8449),
                          max_steps=max_steps)  # fmt: skip
    return SimpleNamespace(step=step, loss_ema=loss, cfg=cfg, alarm=SimpleNamespace(last=last))


def record(step, total, consecutive, halt=False, source="s"):
    return {"step": step, "source": source, "text": "x", "loss_ema": 1.0, "total": total, "consecutive": consecutive,
            "halt": halt}  # fmt: skip


def test_each_sample_is_kept_once_and_each_step_s_loss():
    live = LivePlot(min_interval=0)
    first, second = record(10, 80.0, 0), record(20, 12.0, 1)
    # Steps 1-10 before any sample; the sample taken at step 10 is seen from step 11 on (on_step runs first).
    for step in range(1, 25):
        last = None if step <= 10 else first if step <= 20 else second
        live(fake_run(step, 9.0 - step / 10, last))
    assert live.loss_steps == list(range(1, 25))
    assert live.losses[0] == pytest.approx(8.9) and live.losses[-1] == pytest.approx(6.6)
    assert live.samples == [first, second]
    assert live.redraws == 2  # once per new sample (min_interval 0)
    fig = live.figure()
    assert len(fig.axes) == 3
    assert fig._suptitle.get_text() == "step 24/100 · loss EMA 6.60 · last sample 12.0 (s) · counter 1/5"


def test_min_interval_limits_redraws():
    live = LivePlot(min_interval=3600)
    for step in range(1, 40):
        live(fake_run(step, 1.0, record(step - 1, 50.0, 0)))  # a new sample every step
    assert len(live.samples) == 39 and live.redraws == 1  # only the first is drawn within the hour


@given(st.lists(st.integers(1, 5), min_size=1, max_size=30))
def test_samples_stay_in_step_order_whatever_the_sampling_rhythm(gaps):
    # A sample record stays on run.alarm.last until the next one: the plot keeps each one once, in order.
    live, step, last = LivePlot(min_interval=3600), 0, None
    for gap in gaps:
        for _ in range(gap):
            step += 1
            live(fake_run(step, 1.0, last, max_steps=10_000))
        last = record(step, 20.0, 1)
    steps = [r["step"] for r in live.samples]
    assert steps == sorted(set(steps)) and len(steps) == len(gaps) - 1


def test_finish_reads_the_last_sample_from_the_log(tmp_path):
    live = LivePlot(min_interval=0)
    live(fake_run(6, 2.0, record(5, 20.0, 1)))
    with LogWriter(tmp_path / "samples.jsonl") as log:
        for i, step in enumerate((5, 10)):
            log.append(record(step, 20.0, i + 1, halt=step == 10))
    live.finish(tmp_path)
    assert [r["step"] for r in live.samples] == [5, 10]
    assert live.figure()._suptitle.get_text().startswith("HALTED at step 10 ·")


def test_live_during_a_real_run_then_the_static_picture(tmp_path):
    # The audit's tiny run halts at step 25 (samples at 5, 10, ..., 25): live sees the first four while training.
    live = LivePlot(min_interval=0)
    tokenizer, sources = audit_data()
    assert main(audit_config(tmp_path, "firehose"), tokenizer=tokenizer, sources=sources, on_step=live) == 3
    assert live.loss_steps == list(range(1, 26)) and [r["step"] for r in live.samples] == [5, 10, 15, 20]
    live.finish(tmp_path)
    assert [r["step"] for r in live.samples] == [5, 10, 15, 20, 25] and live.samples[-1]["halt"]
    fig = run_figure(tmp_path)
    top, scores, counter = fig.axes[:3]
    assert fig._suptitle.get_text().startswith(f"{tmp_path.name}: HALTED at step 25 · loss EMA")
    assert list(counter.lines[0].get_ydata()) == [1, 2, 3, 4, 5]
    assert any(list(line.get_xdata()) == [25, 25] for line in top.lines)  # the halt line
    assert "not trained: 25 of 50 steps" in [t.get_text().strip() for t in top.texts]


def test_with_the_sample_hook_live_shows_each_sample_as_it_is_gated(tmp_path):
    # Both hooks: the sample at step 25 (the one that halts the run) is on the picture without reading the log,
    # and each sample is kept once although on_step sees it again on the next step.
    live, seen = LivePlot(min_interval=0), []

    def on_sample(run, rec):
        seen.append((run.step, rec["step"], rec["halt"]))
        live.on_sample(run, rec)

    tokenizer, sources = audit_data()
    status = main(audit_config(tmp_path, "firehose"), tokenizer=tokenizer, sources=sources, on_step=live,
                  on_sample=on_sample)  # fmt: skip
    assert status == 3
    assert seen == [(s, s, s == 25) for s in (5, 10, 15, 20, 25)]
    assert [r["step"] for r in live.samples] == [5, 10, 15, 20, 25] and live.redraws == 5
    assert live.figure()._suptitle.get_text().startswith("HALTED at step 25 ·")


def test_run_figure_of_a_folder_without_a_log(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no samples.jsonl"):
        run_figure(tmp_path)


def test_run_figure_of_a_run_that_never_halted(tmp_path):
    assert audit_run(lambda run: [run.train_step(AUDIT_SOURCES[0]) for _ in range(3)], tmp_path, max_steps=3) == 0
    with LogWriter(tmp_path / "samples.jsonl") as log:  # that runner samples nothing: give it one healthy sample
        log.append(record(3, 80.0, 0))
    fig = run_figure(tmp_path)
    assert "HALTED" not in fig._suptitle.get_text() and "step 3/3" in fig._suptitle.get_text()
