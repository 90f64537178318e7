"""Tests for coursekit.train.trainer: configs and profiles, halting, checkpoints, resume after a kill, DDP."""

import json
import math
import socket
import time

import pytest
import torch
import torch.multiprocessing as mp
from tinyrun import (
    Killed,
    clean_source,
    ddp_worker,
    kill_at,
    run,
    tiny_config,
)

from coursekit.alarm.runlog import read_log
from coursekit.train.checkpoint import load_checkpoint
from coursekit.train.trainer import EXIT_COMPLETED, EXIT_HALTED, main


# --- set-up errors ----------------------------------------------------------------------------------------------


def test_bad_runner_and_mismatched_vocab(tmp_path):
    with pytest.raises(ValueError, match="unknown runner 'v0'; registered: firehose, legacy"):
        run(tiny_config(tmp_path, runner="v0"))
    with pytest.raises(ValueError, match="tokenizer has 33 tokens but model.vocab_size is 40"):
        run(tiny_config(tmp_path, model={"vocab_size": 40}))
    with pytest.raises(TypeError, match="expects a TrainConfig, got dict"):
        main({})


# --- halting and completing -----------------------------------------------------------------------------------


def test_halt_writes_checkpoint_and_report_and_exits_3(tmp_path):
    assert run(tiny_config(tmp_path, seed=2)) == EXIT_HALTED
    report = json.loads((tmp_path / "halt.json").read_text())
    assert report["step"] == 90 and report["exit_status"] == 3 and report["consecutive"] == 5
    assert "5 consecutive samples scored below 30" in report["reason"]
    assert [s["step"] for s in report["samples"]] == [70, 75, 80, 85, 90]
    assert all(s["total"] < 30 and s["text"].startswith("region region") for s in report["samples"])
    state = load_checkpoint(tmp_path / "ckpt.pt")
    assert state["step"] == 90
    assert state["alarm"]["gate"]["consecutive"] == 5
    assert {"model", "optimizer", "curriculum", "data_rng", "rng"} <= state.keys()
    assert state["curriculum"]["current"] == "stuck"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["halted"] and summary["samples"] == 18 and summary["loss_ema"] < math.log(33)  # uniform guess


def test_a_healthy_run_completes_with_exit_0(tmp_path):
    cfg = tiny_config(tmp_path, max_steps=60)
    assert run(cfg, sources={"clean": clean_source(), "prose": clean_source("prose", seed=1)}) == EXIT_COMPLETED
    assert not (tmp_path / "halt.json").exists()
    records, _ = read_log(tmp_path / "samples.jsonl")
    assert [r["step"] for r in records] == list(range(5, 61, 5))
    assert all(r["total"] > 80 for r in records)
    assert load_checkpoint(tmp_path / "ckpt.pt")["step"] == 60


def test_a_fresh_run_will_not_overwrite_another(tmp_path):
    run(tiny_config(tmp_path, max_steps=5))
    with pytest.raises(FileExistsError, match="already holds a run"):
        run(tiny_config(tmp_path, max_steps=5))


def test_grad_accum_averages_micro_batches(tmp_path):
    # One step on 2 micro-batches of 2 sequences = one step on a batch of 4 (the same windows: the data
    # generator draws them in the same order), up to float rounding.
    src = {"clean": clean_source()}
    run(tiny_config(tmp_path / "a", max_steps=1, batch_size=4), sources=src)
    run(tiny_config(tmp_path / "b", max_steps=1, batch_size=2, grad_accum=2), sources=src)
    a, b = (load_checkpoint(tmp_path / d / "ckpt.pt")["model"] for d in "ab")
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["tokens_per_s"] > 0


# --- resuming -------------------------------------------------------------------------------------------------


def test_resume_after_a_kill_repeats_and_loses_nothing(tmp_path):
    whole = tmp_path / "whole"
    assert run(tiny_config(whole, seed=2)) == EXIT_HALTED
    expected = read_log(whole / "samples.jsonl")[0]

    part = tmp_path / "part"
    with pytest.raises(Killed):  # killed at step 47: checkpoint at 40, samples 45 logged after it
        run(tiny_config(part, seed=2), on_step=kill_at(47))
    assert read_log(part / "samples.jsonl")[0][-1]["step"] == 45
    assert load_checkpoint(part / "ckpt.pt")["step"] == 40
    assert run(tiny_config(part, seed=2), resume=True) == EXIT_HALTED
    got = read_log(part / "samples.jsonl")[0]  # raises on any repeated step
    strip = lambda recs: [{k: v for k, v in r.items() if k not in ("tokens_per_s", "mfu")} for r in recs]  # noqa: E731
    assert strip(got) == strip(expected)  # same steps, texts, scores and counters: the same halt step, 90
    assert json.loads((part / "halt.json").read_text())["step"] == 90


def test_resume_before_the_first_periodic_checkpoint_starts_from_step_0(tmp_path):
    with pytest.raises(Killed):
        run(tiny_config(tmp_path, seed=2), on_step=kill_at(12))
    assert load_checkpoint(tmp_path / "ckpt.pt")["step"] == 0  # written before the first sample
    assert run(tiny_config(tmp_path, seed=2), resume=True) == EXIT_HALTED
    assert [r["step"] for r in read_log(tmp_path / "samples.jsonl")[0]] == list(range(5, 91, 5))


def test_resume_a_halted_run_keeps_its_counter(tmp_path):
    run(tiny_config(tmp_path, seed=2))
    # The gate's counter is 5 and the model still loops: the very next sample halts it again.
    assert run(tiny_config(tmp_path, seed=2, max_steps=200), resume=True, continue_after_halt=True) == EXIT_HALTED
    assert json.loads((tmp_path / "halt.json").read_text())["step"] == 95
    assert json.loads((tmp_path / "halt-step90.json").read_text())["consecutive"] == 5
    assert read_log(tmp_path / "samples.jsonl")[0][-1]["consecutive"] == 6


def test_resume_a_run_saved_before_a_config_field_existed(tmp_path):
    # A run saved by an older coursekit has no alarm.cuda_graph in its config: it resumes with the default.
    from coursekit.train.checkpoint import save_checkpoint

    run(tiny_config(tmp_path, max_steps=10))
    state = load_checkpoint(tmp_path / "ckpt.pt")
    del state["config"]["alarm"]["cuda_graph"]
    save_checkpoint(tmp_path / "ckpt.pt", state)
    assert run(tiny_config(tmp_path, max_steps=20), resume=True) == EXIT_COMPLETED


def test_resume_refuses_another_config(tmp_path):
    run(tiny_config(tmp_path, max_steps=10))
    with pytest.raises(ValueError, match="cannot resume .* with a different lr, seed"):
        run(tiny_config(tmp_path, max_steps=10, lr=0.5, seed=9), resume=True)


# --- DDP ------------------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_gloo_processes_halt_together(tmp_path):
    runners = ["firehose", "legacy"]
    ctx = mp.spawn(ddp_worker, args=(2, [free_port(), free_port()], str(tmp_path), runners), nprocs=2, join=False)
    deadline = time.monotonic() + 240
    try:
        while not ctx.join(timeout=5):  # True once every process has exited (join raises if one failed)
            if time.monotonic() > deadline:  # a rank left waiting in a collective would hang here
                pytest.fail("the DDP job did not finish in 240 s: a rank is stuck in a collective")
    finally:
        for p in ctx.processes:
            if p.is_alive():
                p.kill()
    for runner in runners:
        ranks = [json.loads((tmp_path / runner / f"rank{r}.json").read_text()) for r in (0, 1)]
        assert [r["status"] for r in ranks] == [EXIT_HALTED] * 2
        assert ranks[0]["last_step"] == ranks[1]["last_step"]  # both stopped at the halt step
        records = read_log(tmp_path / runner / "samples.jsonl")[0]  # rank 0 alone logs: no step twice
        assert records[-1]["step"] == ranks[0]["last_step"] and records[-1]["halt"]
        assert len(load_checkpoint(tmp_path / runner / "ckpt.pt")["data_rng"]) == 2  # each rank's data position
