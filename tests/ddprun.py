"""Two-process gloo runs of a trainer with the alarm, for the integration tests (HF, Lightning) on the CPU.

``run_two_ranks(worker, out)`` starts ``worker(rank, port, out)`` in two processes, as torchrun would (each worker
sets the environment it needs), and returns what each wrote to ``out/rankN.json``; ``check_halted_together`` asserts
what every integration promises under DDP: both ranks stop at the same step, the one the gate decides on the log,
and rank 0 alone scores and writes ``samples.jsonl`` and ``halt.json``.
"""

from __future__ import annotations

import json
import time

import pytest
import torch.multiprocessing as mp
from test_integrations_torch import free_port

from coursekit.alarm.gates import make_gate
from coursekit.alarm.runlog import read_log


def run_two_ranks(worker, out, seconds=240):
    ctx = mp.spawn(worker, args=(free_port(), out), nprocs=2, join=False)
    deadline = time.monotonic() + seconds
    try:
        while not ctx.join(timeout=2):
            if time.monotonic() > deadline:
                pytest.fail(f"the 2-process run did not finish in {seconds} s: a rank is stuck in a collective")
    finally:
        for p in ctx.processes:
            if p.is_alive():
                p.kill()
    return [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]


def rank_report(rank, out, alarm, last, world, **more):
    """What a worker writes: its last step, the callback's halt, and whether this rank scored or opened the log."""
    watch = alarm.alarm.watch
    report = {"last": last, "halted": alarm.halted, "halt_step": alarm.halt_step, "world": world,
              "scored": watch.last is not None, "log_open": watch._writer is not None, **more}  # fmt: skip
    (out / f"rank{rank}.json").write_text(json.dumps(report))


def check_halted_together(ranks, out, gate, max_steps):
    assert [r["world"] for r in ranks] == [2, 2]  # one 2-process job, not two single runs
    assert all(r["halted"] for r in ranks)  # the verdict reached each rank...
    assert ranks[0]["last"] == ranks[1]["last"] == ranks[0]["halt_step"] == ranks[1]["halt_step"] < max_steps  # ...at once
    assert [(r["scored"], r["log_open"]) for r in ranks] == [(True, True), (False, False)]  # rank 0 alone scores
    records = read_log(out / "samples.jsonl")[0]
    every = records[0]["step"]
    assert [r["step"] for r in records] == list(range(every, ranks[0]["last"] + 1, every))  # each step once: one writer
    replay = make_gate(gate)  # the callback's gate, replayed on the log: it decides the halt step
    assert next(r["step"] for r in records if replay.observe(r["step"], r["text"]).halt) == ranks[0]["last"]
    assert json.loads((out / "halt.json").read_text())["step"] == ranks[0]["last"]
