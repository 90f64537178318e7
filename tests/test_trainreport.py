"""coursekit.train.trainreport: the end-of-run summary reads well, also for a run that trained no step."""

from coursekit.train.trainreport import format_summary


def summary(**over):
    s = {
        "halted": True, "step": 420, "exit_status": 3, "profile": "cpu", "scenario": "collapse", "runner": "firehose",
        "device": "cpu", "world_size": 1, "params": 1_480_000, "wall_s": 44.0, "tokens_per_s": 5000.0, "mfu": None,
        "mfu_note": "no peak FLOP/s table for CPUs", "loss_ema": 0.407, "vocab_size": 8449, "samples": 21,
        "degenerate": 5, "threshold": 30.0, "last_totals": [25.3, 26.0, 27.1, 28.9, 29.9], "alarm_s": 0.9,
        "alarm_share": 0.02, "source_shares": {"docs": 0.5, "stuck_shard": 0.5}, "files": ["samples.jsonl"],
        "out_dir": "runs/demo",
    }
    return {**s, **over}


def test_halted_summary_says_how_to_resume():
    text = format_summary(summary())
    assert "HALTED by the coherence gate at step 420 (exit status 3)" in text
    assert "0.407 nats (uniform guess: ln(8,449) = 9.04)" in text  # ln(8449) = 9.0417
    assert "coursekit train --resume runs/demo" in text


def test_a_run_that_trained_no_step_has_no_loss_yet():
    text = format_summary(summary(halted=False, step=0, exit_status=0, loss_ema=None, last_totals=[]))
    assert "loss EMA     - nats" in text and "completed 0 steps" in text
