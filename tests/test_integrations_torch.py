"""Tests for coursekit.integrations.torch: the alarm in a hand-written loop, alone and under 2-process gloo DDP."""

import json
import socket
import time

import pytest
import torch
import torch.multiprocessing as mp

from coursekit.alarm.runlog import read_log
from coursekit.integrations.core import AlarmWarning
from coursekit.integrations.torch import Alarm

LOOP = " ".join(["region"] * 24)  # degenerate: 26.11
PROSE = "the cat sat on a mat and the dog ran to the old house by the river in the bright sun"


def noisy_sampler(model):
    """Draws from the global RNG, as model.generate does, and then writes a loop."""
    torch.rand(100)
    return LOOP, {"draws": 100}


def test_a_loop_halts_at_the_fifth_sample_and_sampling_leaves_training_random_state_alone(tmp_path):
    alarm = Alarm("v2", every=10, sample_fn=noisy_sampler, log_file=tmp_path / "samples.jsonl")
    torch.manual_seed(0)
    halts, draws = [], []
    for step in range(1, 61):
        halts.append(alarm.step(step, None, loss_ema=1.0))
        draws.append(torch.rand(1).item())  # "training" draws one number a step
    torch.manual_seed(0)
    assert draws == [torch.rand(1).item() for _ in range(60)]  # the sampler's draws did not shift training's
    assert halts.index(True) == 49 and alarm.halted  # steps 10, ..., 50: the fifth loop in a row
    records = read_log(tmp_path / "samples.jsonl")[0]
    assert [r["step"] for r in records] == [10, 20, 30, 40, 50, 60] and records[0]["draws"] == 100
    assert alarm.report()["step"] == 60 and alarm.seconds > 0


def test_a_failing_sampler_is_a_warning_and_the_loop_goes_on(tmp_path):
    calls = []

    def flaky(model):
        calls.append(model)
        if len(calls) == 1:
            raise ValueError("the tokenizer fell over")
        return PROSE

    alarm = Alarm("v3", every=1, sample_fn=flaky, log_file=tmp_path / "s.jsonl")
    with pytest.warns(AlarmWarning, match="ValueError: the tokenizer fell over"):
        assert alarm.step(1, "model") is False
    assert alarm.step(2, "model") is False
    assert alarm.watch.failures == 1 and calls == ["model", "model"]
    with pytest.raises(TypeError, match="needs a sample_fn"):
        Alarm("v2", every=1, log_file=None).step(1)


def test_with_all_ranks_generating_every_rank_draws_the_same_tokens(tmp_path):
    # Two "ranks" in one process: rank 1 starts from a different global random state, as a real rank would.
    texts = {}

    def sampler(model):
        return " ".join(str(int(x)) for x in torch.randint(0, 1000, (8,)))

    for rank, (together, start) in enumerate([(True, 0), (True, 1), (False, 0), (False, 1)]):
        torch.manual_seed(start)
        alarm = Alarm("v2", every=5, sample_fn=sampler, log_file=tmp_path / f"{rank}.jsonl", is_main=True,
                      all_ranks_generate=together, share=None, seed=7)  # fmt: skip
        before = torch.get_rng_state()
        alarm.step(5)
        assert torch.equal(torch.get_rng_state(), before)  # sampling left the run's own random stream alone
        texts[rank] = read_log(tmp_path / f"{rank}.jsonl")[0][0]["text"]
    assert texts[0] == texts[1]  # seeded from seed + step on each rank: the same draws
    assert texts[2] != texts[3]  # one rank sampling (DDP): its own stream, no seeding needed


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ddp_worker(rank, port, out, all_ranks_generate):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    calls = []

    def sample(model):
        calls.append(dist.get_rank())
        if all_ranks_generate:
            dist.barrier()  # stands in for FSDP's collectives inside generation: every rank must be here
        return LOOP

    try:
        alarm = Alarm("v2", every=5, sample_fn=sample, log_file=f"{out}/samples.jsonl",
                      all_ranks_generate=all_ranks_generate)  # fmt: skip
        last = 0
        for step in range(1, 101):
            last = step
            if alarm.step(step, None):
                break
        with open(f"{out}/rank{rank}.json", "w") as fh:
            json.dump({"last": last, "calls": len(calls), "halted": alarm.halted}, fh)
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("all_ranks_generate", [False, True])
def test_two_gloo_ranks_halt_together(tmp_path, all_ranks_generate):
    ctx = mp.spawn(ddp_worker, args=(free_port(), str(tmp_path), all_ranks_generate), nprocs=2, join=False)
    deadline = time.monotonic() + 120
    try:
        while not ctx.join(timeout=2):
            if time.monotonic() > deadline:
                pytest.fail("the 2-process job did not finish in 120 s: a rank is stuck in a collective")
    finally:
        for p in ctx.processes:
            if p.is_alive():
                p.kill()
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["last"] for r in ranks] == [25, 25] and all(r["halted"] for r in ranks)  # 5 samples, 5 .. 25
    # Rank 0 alone samples, unless every rank must join generation (FSDP / ZeRO-3); rank 0 alone logs.
    assert [r["calls"] for r in ranks] == ([5, 5] if all_ranks_generate else [5, 0])
    assert [r["step"] for r in read_log(tmp_path / "samples.jsonl")[0]] == [5, 10, 15, 20, 25]
