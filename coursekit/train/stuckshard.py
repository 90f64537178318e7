"""Lesson 01's stuck-shard experiment: mix a growing share of a faulty shard into the training words, then measure.

For each share the experiment fits a bigram model (coursekit.train.ngram) on ``n_train`` words of the mix and
reports three things side by side:

- the loss on held-out text **of the same mix** (what a trainer that holds out part of its own data stream sees);
- the loss on a **fixed, clean** held-out set, the same words at every share (what a validation set kept apart
  from the data pipeline sees);
- the score of samples the model writes (``eval_chat_quality``), and the share of them that are degenerate.

The first falls as the shard takes over (`region` after `region` is easy to predict); the second rises, because
the model spends its probability on the shard; the samples collapse. A fixed clean validation set is therefore the
first alarm to set up; sample scoring adds what no validation loss can see, the model's own generations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coursekit.alarm.metrics import eval_chat_quality

from .ngram import BigramModel, Vocab

__all__ = ["StuckShardConfig", "StuckShardRow", "mix_words", "stuck_shard_experiment"]


def mix_words(clean: Sequence[str], faulty: Sequence[str], share: float, n: int) -> list[str]:
    """``n`` words: the first ``(1 - share) * n`` clean words, then ``share * n`` faulty ones (repeated if short)."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must lie in [0, 1], got {share!r}")
    if n < 0 or not faulty and share > 0:
        raise ValueError(f"need n >= 0 and some faulty words to mix in, got n={n!r}, {len(faulty)} faulty words")
    k = round(share * n)
    if n - k > len(clean):
        raise ValueError(f"{n - k} clean words asked for, only {len(clean)} given")
    repeated = list(faulty) * (k // len(faulty) + 1) if k else []
    return list(clean[: n - k]) + repeated[:k]


@dataclass(frozen=True)
class StuckShardConfig:
    """The experiment's sizes and sampling settings (lesson 01's defaults)."""

    n_train: int = 100_000  # training words per mix
    n_heldout: int = 10_000  # held-out words per mix, and in the clean set
    n_samples: int = 32  # samples scored per mix
    length: int = 64  # words per sample
    temperature: float = 0.5
    seed: int = 0  # the same seed at every share: the differences come from the data, not the dice
    start_word: str = "the"


@dataclass(frozen=True)
class StuckShardRow:
    share: float  # share of the stuck shard in the training mix
    mixed_loss: float  # nats, on held-out words of the same mix
    clean_loss: float  # nats, on the fixed clean held-out words
    mean_score: float  # mean composite of the samples
    degenerate: float  # share of the samples scoring below 30
    example: str  # the first sample


def stuck_shard_experiment(train_words: Sequence[str], heldout_words: Sequence[str], shard: Sequence[str],
                           shares: Sequence[float], cfg: StuckShardConfig = StuckShardConfig()) -> list[StuckShardRow]:
    """One row per share; see the module docstring. ``shard`` is split 90/10 into training and held-out parts."""
    if not shares:
        raise ValueError("shares is empty: give at least one share of the stuck shard to try")
    cut = len(shard) * 9 // 10
    shard_train, shard_heldout = list(shard[:cut]), list(shard[cut:])
    vocab = Vocab.from_words(list(train_words) + list(heldout_words) + list(shard))
    start = int(vocab.encode([cfg.start_word])[0])
    clean = vocab.encode(heldout_words[: cfg.n_heldout])  # (n_heldout,) the fixed clean validation set
    rows = []
    for share in shares:
        model = BigramModel(vocab.encode(mix_words(train_words, shard_train, share, cfg.n_train)), len(vocab))
        mixed = vocab.encode(mix_words(heldout_words, shard_heldout, share, cfg.n_heldout))
        rng = np.random.default_rng(cfg.seed)
        texts = [" ".join(vocab.decode(model.generate(start, cfg.length, cfg.temperature, rng)))
                 for _ in range(cfg.n_samples)]
        scores = [eval_chat_quality(t).total for t in texts]
        rows.append(StuckShardRow(float(share), model.loss(mixed), model.loss(clean), float(np.mean(scores)),
                                  float(np.mean([s < 30 for s in scores])), texts[0]))
    return rows
