"""v1's firehose runner, rebuilt on the course's trainer with its bug, and a second way to miss the gate.

ANDREA-120M v1 had a working scorer that only the legacy runner called; the firehose runner had sample code of its
own that stored a sample every 200 steps and never scored one (docs/specification.md §2, facts 3 and 7). ``v1_firehose`` is
that runner: the same bandit as coursekit's firehose, the same training step, and ``v1_store_sample`` instead of the
one sample path, writing to ``v1_samples.jsonl`` beside the run. Lesson 05 audits it (coursekit.train.gateaudit) and has
the learner wire it.

``firehose_ignoring_halt`` is the other way to miss the gate: it calls the sample path and drops the verdict, so
the gate says halt and training goes on. Its exit status is 3 all the same (the halt was recorded), which is why a
test that a runner reaches the gate must check where the run stopped, not only how it ended.

These are runners for teaching and testing; they are not registered in ``coursekit.train.runners.RUNNERS``.
"""

from __future__ import annotations

from typing import Any

import torch

from coursekit.alarm.runlog import LogWriter
from coursekit.train.curriculum import FirehoseBandit

__all__ = ["V1_LOG", "v1_store_sample", "v1_firehose", "firehose_ignoring_halt"]

V1_LOG = "v1_samples.jsonl"  # where v1's loop stores its samples: beside the run, read by nobody during it


def v1_store_sample(run: Any, name: str) -> dict[str, Any]:
    """v1's own sample code: continue a prompt from source ``name`` and return the record to store. No score."""
    alarm = run.cfg.alarm
    prompt = run.sources[name].prompt(alarm.prompt_tokens, torch.Generator().manual_seed(run.step))  # (T0,)
    out = run.raw_model.generate(prompt.view(1, -1).to(run.device), alarm.new_tokens, temperature=alarm.temperature,
                                 top_k=alarm.top_k)  # (1, T0 + new_tokens); fmt: skip
    text = run.tokenizer.decode(out[0, prompt.numel() :].tolist())
    return {"step": run.step, "source": name, "text": text, "loss_ema": run.loss_ema}


def v1_firehose(run: Any) -> None:
    """v1's firehose runner, reconstructed with its bug: it samples and stores, and never reaches the gate."""
    bandit = run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))
    with LogWriter(run.out / V1_LOG) as stored:
        while run.next_step():
            name = bandit.next_source()
            bandit.record(run.train_step(name))
            if run.step % run.cfg.alarm.every == 0:  # a sample every N steps (v1: every 200)...
                stored.append(v1_store_sample(run, name))  # ...stored in a file that nobody read during the run


def firehose_ignoring_halt(run: Any) -> None:
    """A firehose that calls the one sample path but drops its verdict: the gate says halt and training goes on."""
    bandit = run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))
    while run.next_step():
        name = bandit.next_source()
        bandit.record(run.train_step(name))
        run.sample(name)  # asked, and not listened to: as bad as not asking
