"""Word-level unigram and bigram language models: the smallest models whose loss beats chance while they loop.

Lesson 01 uses them to take the mystery out of "the loss looked fine": a model is trained to put probability on
the word that actually comes next, and cross-entropy (in nats) is the average of -ln of that probability::

    loss = mean_i  -ln p(w_i | w_{i-1})          uniform guessing over V words gives exactly ln(V)

A unigram model ignores context and already beats ln(V) by a wide margin, just by knowing that "the" is common;
its most likely next word is therefore always "the", so greedy decoding prints "the the the ...". A bigram model
does better still and loops through a short cycle instead. Low loss and degenerate output are not in conflict.

Words are ``text.lower().split()``, the metrics' own rule (coursekit.alarm.metrics), so the samples these models write
can be scored by ``eval_chat_quality`` as they are. Probabilities use add-k smoothing, so that a word pair never
seen in training costs a large but finite loss. Everything is numpy counting: fitting on the course corpus
(~200k words) takes well under a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "SMOOTHING",
    "Vocab",
    "NgramModel",
    "UnigramModel",
    "BigramModel",
    "cross_entropy",
    "entropy",
    "course_words",
    "stuck_shard_words",
    "split_heldout",
    "greedy_cycle",
]

SMOOTHING = 0.01  # add-k pseudo-count per word: small, so that the fitted counts, not the prior, decide


def cross_entropy(p_actual: Sequence[float] | np.ndarray) -> float:
    """Mean of -ln p over the probabilities a model gave the tokens that actually came next (nats)."""
    p = np.asarray(p_actual, dtype=np.float64)  # (N,)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"cross_entropy() expects a non-empty 1-D array of probabilities, got shape {p.shape}")
    if np.any(p <= 0) or np.any(p > 1):
        raise ValueError("probabilities must lie in (0, 1]; a probability of 0 would make the loss infinite")
    return float(-np.log(p).mean())


def entropy(counts: Sequence[float] | np.ndarray) -> float:
    """Entropy (nats) of the distribution ``counts / counts.sum()``: the loss of the best context-free guesser."""
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1 or c.sum() <= 0 or np.any(c < 0):
        raise ValueError("entropy() expects a 1-D array of non-negative counts with a positive sum")
    p = c[c > 0] / c.sum()
    return float(-(p * np.log(p)).sum())


@dataclass(frozen=True)
class Vocab:
    """Words <-> integer ids, most frequent word first (id 0), ties broken alphabetically."""

    words: tuple[str, ...]

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Vocab:
        counts = Counter(words)
        return cls(tuple(sorted(counts, key=lambda w: (-counts[w], w))))

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, words: Iterable[str]) -> np.ndarray:
        index = {w: i for i, w in enumerate(self.words)}
        try:
            return np.fromiter((index[w] for w in words), dtype=np.int64)
        except KeyError as e:
            raise KeyError(f"word {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.words[i] for i in ids]


class NgramModel:
    """What both orders share: the loss and decoding, defined by ``next_row`` and ``prob_next``."""

    vocab_size: int

    def next_row(self, prev: int) -> np.ndarray:
        """The distribution (V,) of the word after ``prev``."""
        raise NotImplementedError

    def prob_next(self, ids: np.ndarray) -> np.ndarray:
        """The probability (N-1,) the model gives each actual next word ``ids[1:]``."""
        raise NotImplementedError

    def loss(self, ids: np.ndarray) -> float:
        """Cross-entropy (nats) of the model on the word sequence ``ids``."""
        return cross_entropy(self.prob_next(np.asarray(ids)))

    def next_word(self, prev: int, temperature: float, rng: np.random.Generator | None) -> int:
        """One decoding step: the argmax at temperature 0 (ties to the lower id), else a draw from p^(1/T)."""
        row = self.next_row(prev)
        if temperature == 0:
            return int(np.argmax(row))
        cdf = np.cumsum(row ** (1.0 / temperature))  # (V,) unnormalised: the draw scales into it
        return min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), self.vocab_size - 1)

    def generate(
        self, start: int, n: int, temperature: float = 0.0, rng: np.random.Generator | None = None
    ) -> list[int]:
        """``n`` word ids after ``start``: greedy (the argmax) at temperature 0, else sampled from p^(1/T)."""
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if temperature > 0 and not isinstance(rng, np.random.Generator):
            raise ValueError("sampling (temperature > 0) needs an explicit numpy Generator, for reproducibility")
        out, prev = [], start
        for _ in range(n):
            prev = self.next_word(prev, temperature, rng)
            out.append(prev)
        return out


def _check_fit_args(ids: np.ndarray, vocab_size: int, k: float) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size < 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"expected a 1-D array of at least 2 word ids, got {ids.dtype} array of shape {ids.shape}")
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"word ids must lie in [0, {vocab_size}), got {ids.min()}..{ids.max()}")
    if not k > 0:
        raise ValueError(f"the smoothing pseudo-count k must be positive (else unseen words cost infinitely), got {k}")
    return ids.astype(np.int64)


class UnigramModel(NgramModel):
    """p(w) = (count(w) + k) / (N + kV), whatever came before."""

    def __init__(self, ids: np.ndarray, vocab_size: int, k: float = SMOOTHING) -> None:
        ids = _check_fit_args(ids, vocab_size, k)
        self.vocab_size = vocab_size
        counts = np.bincount(ids, minlength=vocab_size).astype(np.float64)  # (V,)
        self.probs = (counts + k) / (counts.sum() + k * vocab_size)  # (V,)

    def next_row(self, prev: int) -> np.ndarray:
        return self.probs

    def prob_next(self, ids: np.ndarray) -> np.ndarray:
        return self.probs[ids[1:]]


class BigramModel(NgramModel):
    """p(w | v) = (count(v, w) + k) / (count(v, .) + kV), with the pair counts stored sparsely.

    A dense V x V table would need V^2 floats (about 6 GB for the course corpus), so the observed pairs are kept
    as sorted codes v*V + w with their counts, and a row is rebuilt when decoding asks for it.
    """

    def __init__(self, ids: np.ndarray, vocab_size: int, k: float = SMOOTHING) -> None:
        ids = _check_fit_args(ids, vocab_size, k)
        self.vocab_size, self.k = vocab_size, k
        codes = ids[:-1] * vocab_size + ids[1:]  # (N-1,)
        self.codes, self.counts = np.unique(codes, return_counts=True)  # (P,), (P,) sorted by (v, w)
        prev = self.codes // vocab_size
        self.row_start = np.searchsorted(prev, np.arange(vocab_size + 1))  # (V+1,) row v is [start[v], start[v+1])
        self.row_total = np.bincount(prev, weights=self.counts, minlength=vocab_size)  # (V,)

    def _pair_counts(self, codes: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
        return np.where(self.codes[pos] == codes, self.counts[pos], 0)

    def next_row(self, prev: int) -> np.ndarray:
        a, b = self.row_start[prev], self.row_start[prev + 1]
        row = np.full(self.vocab_size, self.k)
        row[self.codes[a:b] % self.vocab_size] += self.counts[a:b]
        return row / row.sum()

    def next_word(self, prev: int, temperature: float, rng: np.random.Generator | None) -> int:
        # Only the words seen after `prev` have probabilities of their own; every other word has the same smoothed
        # one. So a step costs O(words seen after prev) rather than O(V): lesson 01 draws thousands of samples.
        a, b = self.row_start[prev], self.row_start[prev + 1]
        seen = self.codes[a:b] % self.vocab_size  # (S,) ascending word ids
        if temperature == 0:  # a seen word beats every unseen one (count + k > k); ties go to the lower id
            return int(seen[np.argmax(self.counts[a:b])]) if len(seen) else 0
        weights = (self.counts[a:b] + self.k) ** (1.0 / temperature)  # (S,)
        n_unseen = self.vocab_size - len(seen)
        u = rng.random() * (weights.sum() + n_unseen * self.k ** (1.0 / temperature))
        if u < weights.sum() or n_unseen == 0:
            return int(seen[min(int(np.searchsorted(np.cumsum(weights), u, side="right")), len(seen) - 1)])
        # The r-th unseen word, uniformly: r plus the number of seen ids that come before it.
        r = min(int((u - weights.sum()) / self.k ** (1.0 / temperature)), n_unseen - 1)
        return r + int(np.searchsorted(seen - np.arange(len(seen)), r, side="right"))

    def prob_next(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        c = self._pair_counts(ids[:-1] * self.vocab_size + ids[1:])
        return (c + self.k) / (self.row_total[ids[:-1]] + self.k * self.vocab_size)


def greedy_cycle(model: NgramModel, start: int) -> list[int]:
    """The loop that greedy decoding from ``start`` falls into (greedy is a function of the last word, so it
    must repeat within V steps), in the order it is first generated."""
    seen: dict[int, int] = {}
    seq = [start]
    while seq[-1] not in seen:
        seen[seq[-1]] = len(seq) - 1
        seq.append(int(np.argmax(model.next_row(seq[-1]))))
    return seq[seen[seq[-1]] : -1]


def course_words() -> list[str]:
    """The course corpus (coursekit.train.corpus.corpus_text: Python's docs, docstrings and code) as words."""
    from .corpus import corpus_text

    return corpus_text().lower().split()


def stuck_shard_words() -> list[str]:
    """The words of the course's stuck shard: the faulty source that repeats "region" (coursekit.train.corpus)."""
    from .corpus import SourceSpec, source_text

    return source_text(SourceSpec("stuck_shard", "stuck_shard", faulty=True)).lower().split()


def split_heldout(words: Sequence[str], every: int = 10, block: int = 1000) -> tuple[list[str], list[str]]:
    """Hold out every ``every``-th block of ``block`` words, so both parts sample the whole corpus."""
    train: list[str] = []
    heldout: list[str] = []
    for i in range(0, len(words), block):
        (heldout if (i // block) % every == every - 1 else train).extend(words[i : i + block])
    return train, heldout

