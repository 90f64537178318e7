"""Tests for coursekit.integrations.lightning with the real lightning.Trainer: the course's tiny GPT on the CPU."""

import json
import warnings

import pytest

L = pytest.importorskip("lightning")  # the course's pinned environment installs it

import torch  # noqa: E402
from tinyrun import STUCK, WordTokenizer, clean_source, stuck_source  # noqa: E402

from coursekit.alarm.runlog import read_log  # noqa: E402
from coursekit.integrations.core import AlarmWarning  # noqa: E402
from coursekit.integrations.lightning import CoherenceCallback  # noqa: E402
from coursekit.train.model import GPT, GPTConfig  # noqa: E402


class TinyGPT(L.LightningModule):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.model = GPT(GPTConfig(vocab_size=33, block_size=32, n_layer=1, n_head=2, n_embd=32))

    def training_step(self, batch, batch_idx):
        x, y = batch
        return self.model(x, y)[1]

    def configure_optimizers(self):
        return torch.optim.AdamW(self.model.parameters(), lr=1e-2)


def batches(stuck, n=120):
    source, g = (stuck_source() if stuck else clean_source()), torch.Generator().manual_seed(0)
    return torch.utils.data.DataLoader([source.get_batch(4, 32, g) for _ in range(n)], batch_size=None)


def sample(module):
    """24 words after a fixed prompt (the global RNG is forked and restored by the alarm).

    The prompt is the stuck shard's word: a 1-layer model trained on nothing else has never seen another token,
    so only this prompt shows what it learnt (a wiring test; the course trainer prompts with clean text).
    """
    out = module.model.generate(torch.tensor([[STUCK] * 4]), 24, temperature=0.8)
    return WordTokenizer().decode(out[0, 4:].tolist())


def fit(root, stuck=True, max_steps=60, ckpt_path=None, gate="v2", devices=1, **kw):
    alarm = CoherenceCallback(sample, every=5, gate=gate)
    trainer = L.Trainer(max_steps=max_steps, accelerator="cpu", devices=devices, callbacks=[alarm], default_root_dir=str(root),
                        logger=False, enable_progress_bar=False, enable_model_summary=False, **kw)  # fmt: skip
    trainer.fit(TinyGPT(), batches(stuck), ckpt_path=ckpt_path)
    return trainer, alarm


@pytest.fixture(scope="module")
def collapsed(tmp_path_factory):
    root = tmp_path_factory.mktemp("collapse")
    return root, *fit(root)


def test_a_collapsing_run_halts(collapsed):
    root, trainer, alarm = collapsed
    records = read_log(root / "samples.jsonl")[0]
    assert alarm.halted and trainer.should_stop and trainer.global_step == alarm.halt_step < 60
    assert json.loads((root / "halt.json").read_text())["step"] == alarm.halt_step == records[-1]["step"]
    assert [r["step"] for r in records] == list(range(5, alarm.halt_step + 1, 5))
    assert all(r["total"] < 30 for r in records[-5:])


def test_a_healthy_run_completes(tmp_path):
    trainer, alarm = fit(tmp_path, stuck=False, max_steps=20)
    assert not alarm.halted and trainer.global_step == 20
    assert [r["step"] for r in read_log(tmp_path / "samples.jsonl")[0]] == [5, 10, 15, 20]


def test_gradient_accumulation_samples_each_optimizer_step_once(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlarmWarning)  # a step seen twice would warn
        trainer, _ = fit(tmp_path, stuck=False, max_steps=10, accumulate_grad_batches=2)
    assert trainer.global_step == 10
    assert [r["step"] for r in read_log(tmp_path / "samples.jsonl")[0]] == [5, 10]


def test_resume_halts_at_the_same_step_and_touches_no_other_run(tmp_path, collapsed):
    first = tmp_path / "first"
    fit(first, max_steps=10)  # two loops seen (steps 5 and 10); the final checkpoint holds the counter
    ckpt = next((first / "checkpoints").glob("*.ckpt"))
    before = (first / "samples.jsonl").read_text()
    _, alarm = fit(tmp_path / "second", ckpt_path=str(ckpt))
    assert alarm.halt_step == collapsed[2].halt_step  # the counter came back with the checkpoint
    assert (first / "samples.jsonl").read_text() == before
    assert read_log(tmp_path / "second" / "samples.jsonl")[0][0]["step"] == 15



def ddp_worker(rank, port, out):
    """One of two gloo ranks of a Lightning DDP run on the CPU, started as torchrun would start it.

    LOCAL_RANK in the environment tells Lightning the processes were created outside it, so it launches nothing.
    """
    import os

    from ddprun import rank_report

    torch.set_num_threads(1)  # two processes on a 2-core machine: one thread each, or they spin against each other
    from lightning.pytorch.strategies import DDPStrategy

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), NODE_RANK="0", LOCAL_RANK=str(rank),
                      RANK=str(rank), WORLD_SIZE="2")  # fmt: skip
    trainer, alarm = fit(out, devices=2, strategy=DDPStrategy(process_group_backend="gloo"))
    rank_report(rank, out, alarm, trainer.global_step, trainer.world_size, stop=trainer.should_stop,
                backend=trainer.strategy._process_group_backend)  # fmt: skip


def test_two_gloo_ranks_halt_together_and_rank_0_alone_writes(tmp_path):
    from ddprun import check_halted_together, run_two_ranks

    ranks = run_two_ranks(ddp_worker, tmp_path)
    check_halted_together(ranks, tmp_path, "v2", max_steps=60)  # fit() uses v2 and 60 steps
    assert [(r["backend"], r["stop"]) for r in ranks] == [("gloo", True), ("gloo", True)]  # should_stop on each rank
