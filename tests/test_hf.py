"""Tests for coursekit.integrations.hf with the real transformers.Trainer: a tiny random GPT-2 on the CPU."""

import json
import warnings

import pytest

transformers = pytest.importorskip("transformers")  # the course's pinned environment installs it

from hftiny import TextDataset, tiny_model, tiny_tokenizer  # noqa: E402
from transformers import Trainer, TrainerCallback, TrainingArguments  # noqa: E402

from coursekit.alarm.runlog import read_log  # noqa: E402
from coursekit.alarm.v3gate import V3Config  # noqa: E402
from coursekit.integrations.core import AlarmWarning  # noqa: E402
from coursekit.integrations.hf import CoherenceCallback, halted, sample_text  # noqa: E402


def train(out, stuck=True, max_steps=60, resume=None, extra=(), **kw):
    args = TrainingArguments(output_dir=str(out), max_steps=max_steps, per_device_train_batch_size=4,
                             learning_rate=1e-2, lr_scheduler_type="constant", logging_steps=5, save_steps=10,
                             report_to=[], use_cpu=True, disable_tqdm=True, seed=0, **kw)  # fmt: skip
    # v3: the tiny model's loops start with a word or two of the prompt's kind ("with region region ..."), and
    # at 16 words such a loop scores 33-40 under v2's sum, above its threshold; v3's bigram floor calls it bad.
    alarm = CoherenceCallback(every=5, gate="v3", prompts=["the cat", "a big red"], new_tokens=32, words=16)
    trainer = Trainer(model=tiny_model(), args=args, train_dataset=TextDataset(stuck),
                      processing_class=tiny_tokenizer(), callbacks=[alarm, *extra])  # fmt: skip
    return trainer, alarm, trainer.train(resume_from_checkpoint=resume)


class StopAt(TrainerCallback):
    """Stands in for a kill right after a checkpoint: stop (and save) at ``step``."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kw):
        if state.global_step == self.step:
            control.should_training_stop = control.should_save = True


@pytest.fixture(scope="module")
def collapsed(tmp_path_factory):
    out = tmp_path_factory.mktemp("collapse")
    return out, *train(out)


def test_a_collapsing_run_halts_and_says_so(collapsed):
    out, trainer, alarm, result = collapsed
    records = read_log(out / "samples.jsonl")[0]
    halt = json.loads((out / "halt.json").read_text())
    assert alarm.halted and halted(trainer) and result.metrics["coherence_halted"]
    assert result.global_step == alarm.halt_step == halt["step"] == records[-1]["step"] < 60
    assert [r["step"] for r in records] == list(range(5, alarm.halt_step + 1, 5))
    assert records[-1]["halt"] and "region region" in records[-1]["text"]
    assert sum(r["bigram"] < V3Config().min_bigram for r in records[-10:]) >= 5  # 5 bad of the last 10
    assert all(len(r["text"].split()) == r["words"] <= 16 for r in records)
    assert (out / f"checkpoint-{alarm.halt_step}").is_dir()  # should_save: the halted step is checkpointed


def test_a_healthy_run_completes(tmp_path):
    trainer, alarm, result = train(tmp_path, stuck=False, max_steps=20)
    assert not alarm.halted and result.metrics["coherence_halted"] is False and result.global_step == 20
    assert [r["step"] for r in read_log(tmp_path / "samples.jsonl")[0]] == [5, 10, 15, 20]


def test_resume_halts_at_the_same_step_and_touches_no_other_run(tmp_path, collapsed):
    first = tmp_path / "first"
    train(first, extra=[StopAt(10)])  # two samples seen (steps 5, 10), checkpoint-10 written
    before = (first / "samples.jsonl").read_text()
    second = tmp_path / "second"  # a new run folder, resumed from the first run's checkpoint
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlarmWarning)  # the state is found: no "resuming without" warning
        _, alarm, result = train(second, resume=str(first / "checkpoint-10"))
    assert alarm.halt_step == collapsed[2].halt_step  # the counter came back: the same halt as uninterrupted
    assert (first / "samples.jsonl").read_text() == before  # the first run's files are untouched
    records = read_log(second / "samples.jsonl")[0]
    assert records[0]["step"] == 15 and records[-1]["halt"]


def test_a_resume_without_the_alarm_state_warns(tmp_path):
    trainer_args = dict(extra=[StopAt(10)])
    train(tmp_path / "a", **trainer_args)
    state_file = tmp_path / "a" / "checkpoint-10" / "trainer_state.json"
    state = json.loads(state_file.read_text())
    del state["stateful_callbacks"]["CoherenceCallback"]
    state_file.write_text(json.dumps(state))
    with pytest.warns(AlarmWarning, match="RESUMING WITHOUT THE ALARM'S STATE"):
        train(tmp_path / "b", max_steps=15, resume=str(tmp_path / "a" / "checkpoint-10"))


def test_gradient_accumulation_samples_once_per_optimizer_step(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlarmWarning)
        _, alarm, _ = train(tmp_path, stuck=False, max_steps=10, gradient_accumulation_steps=2)
    assert [r["step"] for r in read_log(tmp_path / "samples.jsonl")[0]] == [5, 10]


def test_sample_text_is_fixed_length_isolated_and_leaves_train_mode():
    import torch

    model, tok = tiny_model(), tiny_tokenizer()
    model.train()
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    text = sample_text(model, tok, "the cat", new_tokens=12, seed=7)
    assert torch.equal(torch.rand(3), expected) and model.training  # RNG and mode as they were
    assert text == sample_text(model, tok, "the cat", new_tokens=12, seed=7)  # seeded: the same text
    assert not text.startswith("the cat")  # the continuation only
    assert CoherenceCallback().settings["log_file"] == "samples.jsonl"
    with pytest.raises(ValueError, match="file name inside args.output_dir, not a path"):
        CoherenceCallback(log_file="../other_run/samples.jsonl")



def ddp_worker(rank, port, out):
    """One of two gloo ranks of a Trainer run on the CPU, with the environment torchrun would give it."""
    import os

    import torch
    from ddprun import rank_report

    torch.set_num_threads(1)  # two processes on a 2-core machine: one thread each, or they spin against each other

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2",
                      LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE="2")  # fmt: skip
    trainer, alarm, result = train(out, ddp_backend="gloo")  # each rank trains on its share of the data
    rank_report(rank, out, alarm, result.global_step, trainer.args.world_size,
                metric=result.metrics.get("coherence_halted"))  # fmt: skip


def test_two_gloo_ranks_halt_together_and_rank_0_alone_writes(tmp_path):
    from ddprun import check_halted_together, run_two_ranks

    ranks = run_two_ranks(ddp_worker, tmp_path)
    check_halted_together(ranks, tmp_path, "v3", max_steps=60)  # train() uses v3 and 60 steps
    assert [r["metric"] for r in ranks] == [True, True]  # each rank's train() result says it halted
