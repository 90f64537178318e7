"""Tiny, seeded training runs for the trainer's tests: a word-level stand-in tokenizer and hand-made sources.

The course's real data (an 8,449-token BPE over several MB of text) takes seconds to load; these runs use a
33-word vocabulary and a one-layer GPT, so a whole run to a gate halt takes well under a second of training.
A sample of 24 "region" tokens decodes to "region region ..." and scores 26.1 (degenerate); random words
from the vocabulary score about 90.
"""

from __future__ import annotations

import torch

from coursekit.train.corpus import TokenSource
from coursekit.train.trainer import TrainConfig, profile_config

WORDS = (
    "region the cat sat on a mat and dog ran to house big red sun in sky with green tree old man water city "
    "river bright small child book read write song quiet"
).split()
STUCK = 0  # "region": the token a stuck shard repeats


class WordTokenizer:
    """Stand-in for coursekit.train.tokenizer.Tokenizer: one token per word of WORDS, decoded with spaces."""

    vocab_size = len(WORDS)

    def encode(self, text: str) -> list[int]:
        return [WORDS.index(w) for w in text.split()]

    def decode(self, ids) -> str:
        return " ".join(WORDS[i] for i in ids)


def clean_source(name: str = "clean", n: int = 4000, seed: int = 0) -> TokenSource:
    """Random words (never "region"): high-entropy text whose samples score well above the threshold."""
    g = torch.Generator().manual_seed(seed)
    return TokenSource(name, torch.randint(1, len(WORDS), (n,), generator=g), faulty=False)


def stuck_source(name: str = "stuck", n: int = 2000) -> TokenSource:
    """A stuck shard: "region" over and over. Its loss drops to ~0 at once, and so its samples degenerate."""
    return TokenSource(name, torch.full((n,), STUCK, dtype=torch.long), faulty=True)


def tiny_config(out_dir, **overrides) -> TrainConfig:
    """The CPU profile shrunk to a 1-layer, 32-wide GPT over WORDS, sampling every 5 steps."""
    base = dict(
        out_dir=str(out_dir), progress=False, device="cpu", max_steps=150, ckpt_every=20, batch_size=4,
        warmup_steps=1, lr=1e-2, model=dict(vocab_size=len(WORDS), block_size=32, n_layer=1, n_head=2, n_embd=32),
        # The trainer's mechanics, on the pre-issue-12 sample path: prompts from the current source, 24 tokens
        # (= 24 words here). tests/test_samplepath.py and test_trainer.py's fixed-prompt test cover the defaults.
        alarm=dict(every=5, prompt_tokens=4, new_tokens=24, prompts="source", words=None),
    )  # fmt: skip
    for key, value in overrides.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return profile_config("cpu", **base)


def collapse_sources() -> dict[str, TokenSource]:
    return {"clean": clean_source("clean"), "prose": clean_source("prose", seed=1), "stuck": stuck_source()}


def run(cfg: TrainConfig, sources: dict[str, TokenSource] | None = None, **kw) -> int:
    """Train ``cfg`` on WORDS with the collapse sources (or ``sources``); the trainer's exit status."""
    from coursekit.train.trainer import main

    return main(cfg, tokenizer=WordTokenizer(), sources=sources or collapse_sources(), **kw)


class Killed(Exception):
    """Stands in for SIGKILL in-process: raised from inside the loop, so nothing after it (no final checkpoint) runs;
    cheaper than a real kill where the process's own death is not what is tested (tests/faults.py does that)."""


def kill_at(step: int):
    """An ``on_step`` hook that raises ``Killed`` at ``step``."""

    def on_step(r) -> None:
        if r.step == step:
            raise Killed(step)

    return on_step


def ddp_worker(rank: int, world: int, ports: list[int], out_root: str, runners: list[str]) -> None:
    """One process of a gloo DDP job, as torchrun would start it; writes what it saw to out_root/RUNNER/rankN.json."""
    import json
    import os
    from pathlib import Path

    from coursekit.train.trainer import main

    for runner, port in zip(runners, ports):
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                          LOCAL_RANK=str(rank))  # fmt: skip
        steps = []
        out = Path(out_root, runner)
        # The legacy run also accumulates gradients, so DDP's no_sync path is exercised.
        cfg = tiny_config(out, seed=2, runner=runner, grad_accum=2 if runner == "legacy" else 1)
        status = main(cfg, tokenizer=WordTokenizer(),
                      sources={"stuck": stuck_source()} if runner == "legacy" else collapse_sources(),
                      on_step=lambda run: steps.append(run.step))  # fmt: skip
        (out / f"rank{rank}.json").write_text(json.dumps({"status": status, "last_step": steps[-1]}))
