"""Lesson 08's three trainers, each tiny and each trained on the same stuck shard under the same gate.

Lesson 05's audit (coursekit.train.gateaudit) trains a runner on a shard stuck on one token (" the" over and over),
where every sample must be degenerate, and reads from the run's files whether the alarm saw samples and stopped
the run at its halt. This module gives that audit two more kinds of trainer, so that one test covers all three:

- the course trainer (``run_course``): lesson 05's audit itself, with the gate named explicitly;
- a Hugging Face ``Trainer`` (``run_hf``): a random 1-layer GPT-2 whose tokenizer is the course's own BPE wrapped
  for ``transformers`` (nothing downloaded, nothing trained for it);
- a Lightning ``Trainer`` (``run_lightning``): the course's GPT inside a ``LightningModule``.

All three sample every ``EVERY`` steps under the gate ``GATE`` and write the course's run log and ``halt.json`` in
their folder, so ``folder_audit`` reads any of them into a ``GateAudit`` and ``gate_problem`` judges it.

Layer note: this module and the lesson's reference are the only course modules that import ``transformers`` and
``lightning`` (and coursekit's integrations for them); pyproject.toml's import contract names them as its two
exceptions. Nothing else in coursekit imports them, so ``import coursekit`` works without either installed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast, Trainer, TrainingArguments
from transformers.trainer_callback import PrinterCallback
from transformers.utils import logging as hf_logging

from coursekit.alarm.runlog import read_log
from coursekit.course.grader.codec import NOT_MINE, CodecError
from coursekit.integrations.hf import CoherenceCallback as HFAlarm
from coursekit.integrations.lightning import HALT_FILE
from coursekit.integrations.lightning import CoherenceCallback as LightningAlarm
from coursekit.train.gateaudit import AUDIT_EVERY, AUDIT_STEPS, GateAudit, audit_config, audit_data, read_audit
from coursekit.train.model import GPT, GPTConfig
from coursekit.train.samplepath import SAMPLES_FILE
from coursekit.train.tokenizer import EOT
from coursekit.train.trainer import main

__all__ = ["GATE", "EVERY", "MAX_STEPS", "PROMPT", "NEW_TOKENS", "HALT_FILE", "hf_tokenizer", "hf_model", "hf_args",
           "hf_alarm", "wire_hf", "StuckShard", "TinyLitGPT", "lit_sample", "lit_batches", "one_thread", "run_course",
           "run_hf", "run_lightning", "folder_audit", "STAND_INS", "PIECES", "carry_out", "carry_in"]  # fmt: skip

GATE = "v3"  # one gate for all three trainers, always named (a library's default may change)
EVERY = AUDIT_EVERY  # a sample every 5 optimizer steps: with 5 bad in a row the earliest halt is step 25
MAX_STEPS = AUDIT_STEPS  # a trainer that never halts trains 50 steps
BLOCK = 32  # tokens per training example
NEW_TOKENS = 24  # tokens per sample: 24 " the" tokens are 24 words, the unit the audit's course runs score
PROMPT = " the the the the"  # the shard's own token: a 1-layer model trained on nothing else knows no other (as the audit prompts)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """One torch thread for the block, as the course trainer's cpu profile runs: on a shared 2-core machine two
    threads spin against each other and these tiny runs go 3-6 times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def quiet_frameworks() -> Iterator[None]:
    """Lightning's and transformers' notices (accelerators found, tips, deprecations) kept out of the notebook for the
    block: the lesson reads the alarm's output. The alarm's own warnings (AlarmWarning) still show."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric", "transformers")]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.ERROR)
    bars = hf_logging.is_progress_bar_enabled()  # "Writing model shards" when the halted run is saved
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"(lightning|transformers)\.")
            yield
    finally:
        for log, level in zip(loggers, levels):
            log.setLevel(level)
        if bars:
            hf_logging.enable_progress_bar()


# --- Hugging Face -----------------------------------------------------------------------------------------------


@functools.cache
def hf_tokenizer() -> PreTrainedTokenizerFast:
    """The course's 8,449-token BPE (``coursekit.train.tokenizer``), wrapped for ``transformers``."""
    with tempfile.TemporaryDirectory(prefix="coursekit-hf-") as tmp:  # through its public file format
        audit_data()[0].save(Path(tmp) / "tokenizer.json")
        return PreTrainedTokenizerFast(tokenizer_file=str(Path(tmp) / "tokenizer.json"), eos_token=EOT, pad_token=EOT)


def hf_model(seed: int = 0) -> GPT2LMHeadModel:
    """A random 1-layer, 32-wide GPT-2 over the course vocabulary (about 0.3M parameters)."""
    torch.manual_seed(seed)
    eot = hf_tokenizer().eos_token_id
    config = GPT2Config(vocab_size=len(hf_tokenizer()), n_positions=64, n_embd=32, n_layer=1, n_head=2,
                        bos_token_id=eot, eos_token_id=eot, pad_token_id=eot)  # fmt: skip
    return GPT2LMHeadModel(config)


class StuckShard(torch.utils.data.Dataset):
    """``n`` examples of ``BLOCK`` tokens from the audit's stuck shard (" the" over and over)."""

    def __init__(self, n: int = 64) -> None:
        ids = audit_data()[1]["stuck_a"].tokens[:BLOCK]  # (BLOCK,): every window of the shard is the same
        self.items = [{"input_ids": ids.clone(), "labels": ids.clone()} for _ in range(n)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.items[i]


def hf_args(out_dir: str | Path, **overrides: Any) -> TrainingArguments:
    """Training arguments for the tiny run: CPU, constant learning rate, no checkpoint but the halt's own."""
    settings = dict(output_dir=str(out_dir), max_steps=MAX_STEPS, per_device_train_batch_size=4, learning_rate=1e-2,
                    lr_scheduler_type="constant", logging_steps=EVERY, save_strategy="no", report_to=[],
                    use_cpu=True, disable_tqdm=True, seed=0)  # fmt: skip
    return TrainingArguments(**{**settings, **overrides})


def hf_alarm() -> HFAlarm:
    """The HF callback as this lesson sets it: the lesson's gate and cadence, a clean prompt, 24 new tokens."""
    return HFAlarm(every=EVERY, gate=GATE, prompts=[PROMPT], new_tokens=NEW_TOKENS, words=NEW_TOKENS)


WireHF = Callable[[Any, Any, Any, Any], Any]  # (model, args, train_dataset, tokenizer) -> a Trainer


def wire_hf(model: Any, args: Any, train_dataset: Any, tokenizer: Any) -> Trainer:
    """A ``Trainer`` with the alarm: the callback in ``callbacks``, the tokenizer as ``processing_class``."""
    return Trainer(model=model, args=args, train_dataset=train_dataset, processing_class=tokenizer,
                   callbacks=[hf_alarm()])  # fmt: skip


# --- grading a learner's wiring outside their kernel (coursekit.course.grader.hosting.stand_in) --------------------

# The grader lends Q1's inputs as stand-ins: the kernel builds its own (never trained), the learner's function wires
# them, ``carry_out`` describes the Trainer it returned by what went where, and the grader rebuilds that Trainer
# from the description with its own pieces (``carry_in``) and trains it. So the run the check audits is the
# grader's, and what crossed is only the wiring: which piece went into which argument, and the alarm's settings.
STAND_INS: dict[str, Callable[[], Any]] = {
    "hf_model": hf_model,
    "hf_args": lambda: hf_args(tempfile.mkdtemp(prefix="coursekit-hf-")),
    "hf_dataset": StuckShard,
    "hf_tokenizer": hf_tokenizer,
}
PIECES = ("hf_model", "hf_args", "hf_dataset", "hf_tokenizer")  # wired_trainer's arguments, in order
# The grader trains what a description asks for, after the learner's call and outside its time limit: each alarm
# samples on its own (about 0.7 s per alarm in this run), so a description with thousands of them would keep the
# grader busy for hours. One is the answer; a few still get feedback.
MAX_ALARMS = 4
MAX_PROMPT_CHARS = 10_000  # all of an alarm's prompts together (the model has 64 positions)


def carry_out(value: Any, plain: Callable[[Any], Any]) -> Any:
    """In the kernel: a Trainer as its wiring (plain data; the stand-ins as the grader's handles), else NOT_MINE."""
    if not isinstance(value, Trainer):
        return NOT_MINE

    def piece(x: Any) -> Any:
        try:
            return plain(x)
        except CodecError:  # not one of the pieces it was given (a model of the learner's own, say)
            return {"$other": type(x).__name__}

    alarms = [cb for cb in value.callback_handler.callbacks if isinstance(cb, HFAlarm)]
    return {"model": piece(value.model), "args": piece(value.args), "train_dataset": piece(value.train_dataset),
            "processing_class": piece(value.processing_class),
            "alarms": [{"settings": piece(cb.settings), "tokenizer": piece(cb.tokenizer)} for cb in alarms]}  # fmt: skip


def carry_in(spec: Any, value_of: Callable[[Any], Any]) -> Trainer:
    """In the grader: the Trainer ``carry_out`` described, built from the grader's own pieces."""
    if not isinstance(spec, dict) or not isinstance(spec.get("alarms"), list):
        raise ValueError("a malformed Trainer description")

    def piece(key: str, data: Any) -> Any:
        if isinstance(data, dict) and "$other" in data:
            raise ValueError(f"the Trainer's {key} is a {str(data['$other'])[:60]} of its own, not the one it was given")
        return value_of(data)

    if len(spec["alarms"]) > MAX_ALARMS:
        raise ValueError(f"the Trainer has {len(spec['alarms'])} CoherenceCallbacks; one is enough (at most "
                         f"{MAX_ALARMS} are trained)")  # fmt: skip
    alarms = []
    for alarm in spec["alarms"]:
        settings = piece("alarm's settings", alarm.get("settings")) if isinstance(alarm, dict) else None
        if not isinstance(settings, dict):
            raise ValueError("a malformed alarm description")
        prompts = settings.get("prompts")
        if isinstance(prompts, list) and sum(len(p) for p in prompts if isinstance(p, str)) > MAX_PROMPT_CHARS:
            raise ValueError(f"the alarm's prompts are over {MAX_PROMPT_CHARS:,} characters long")
        alarms.append(HFAlarm(**settings, tokenizer=piece("alarm's tokenizer", alarm.get("tokenizer"))))
    with quiet_frameworks():
        return Trainer(model=piece("model", spec.get("model")), args=piece("args", spec.get("args")),
                       train_dataset=piece("train_dataset", spec.get("train_dataset")),
                       processing_class=piece("processing_class", spec.get("processing_class")), callbacks=alarms)  # fmt: skip


def run_hf(out_dir: str | Path, wire: WireHF = wire_hf) -> GateAudit:
    """Build the tiny GPT-2, wire it with ``wire``, train on the stuck shard into ``out_dir``; its audit."""
    with quiet_frameworks():
        trainer = wire(hf_model(), hf_args(out_dir), StuckShard(), hf_tokenizer())
    if not isinstance(trainer, Trainer):
        raise TypeError(f"the wiring should return a transformers.Trainer, got {type(trainer).__name__}")
    trainer.remove_callback(PrinterCallback)  # the loss printed every few steps: noise in a notebook
    with one_thread(), quiet_frameworks():
        trainer.train()
    return folder_audit("HF Trainer", out_dir, trainer.state.global_step)


# --- Lightning --------------------------------------------------------------------------------------------------


class TinyLitGPT(L.LightningModule):
    """The course's GPT (1 layer, 32 wide, the course vocabulary) as a ``LightningModule``."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.model = GPT(GPTConfig(vocab_size=audit_data()[0].vocab_size, block_size=BLOCK, n_layer=1, n_head=2,
                                   n_embd=32))  # fmt: skip

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        return self.model(x, y)[1]

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=3e-2)


def lit_sample(module: TinyLitGPT) -> str:
    """``NEW_TOKENS`` tokens after ``PROMPT``, decoded without it (the callback forks the random state)."""
    tokenizer = audit_data()[0]
    prompt = torch.tensor([tokenizer.encode(PROMPT)])  # (1, T0)
    out = module.model.generate(prompt, NEW_TOKENS, temperature=0.8)
    return tokenizer.decode(out[0, prompt.size(1) :].tolist())


def lit_batches(n: int = MAX_STEPS) -> torch.utils.data.DataLoader:
    source, g = audit_data()[1]["stuck_a"], torch.Generator().manual_seed(0)
    return torch.utils.data.DataLoader([source.get_batch(4, BLOCK, g) for _ in range(n)], batch_size=None)


def run_lightning(out_dir: str | Path, extra_callbacks: Sequence[Any] = (), **trainer_options: Any) -> GateAudit:
    """The tiny GPT under ``lightning.Trainer`` with the alarm (then ``extra_callbacks``) on the stuck shard; its audit."""
    alarm = LightningAlarm(lit_sample, every=EVERY, gate=GATE)
    options = dict(max_steps=MAX_STEPS, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                   enable_progress_bar=False, enable_model_summary=False, **trainer_options)  # fmt: skip
    with one_thread(), quiet_frameworks():
        trainer = L.Trainer(callbacks=[alarm, *extra_callbacks], default_root_dir=str(out_dir), **options)
        trainer.fit(TinyLitGPT(), lit_batches())
    return folder_audit("Lightning Trainer", out_dir, trainer.global_step)


# --- the course trainer, and the audit they share -----------------------------------------------------------------


def run_course(out_dir: str | Path, runner: str = "firehose") -> GateAudit:
    """Lesson 05's audit of a course runner, with ``GATE`` named in the config; the run stays in ``out_dir``."""
    cfg = audit_config(out_dir, runner)
    cfg = dataclasses.replace(cfg, alarm=dataclasses.replace(cfg.alarm, gate=GATE))
    tokenizer, sources = audit_data()
    return read_audit(f"course trainer ({runner})", main(cfg, tokenizer=tokenizer, sources=sources), out_dir)


def folder_audit(name: str, run_dir: str | Path, steps: int) -> GateAudit:
    """A ``GateAudit`` from a run folder's ``samples.jsonl`` and the steps the trainer ran, whatever the trainer.

    Every integration writes the same run log, so this is all the every-runner test needs. HF's and Lightning's
    trainers have no exit status: ``exit_status`` is 3 when the log holds a halting record (the status the course
    trainer gives a halted run), else 0, and ``status_from_log`` says so (the audit prints it that way).
    """
    log = Path(run_dir) / SAMPLES_FILE
    records = read_log(log)[0] if log.exists() else []
    halt = next((r["step"] for r in records if r.get("halt")), None)
    return GateAudit(runner=name, exit_status=0 if halt is None else 3, steps=steps, samples_gated=len(records),
                     halt_step=halt, samples_stored_elsewhere=0, last_text=records[-1]["text"] if records else "",
                     status_from_log=True)
