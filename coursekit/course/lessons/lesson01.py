"""Lesson 01, loss vs coherence: the exercises, checked against coursekit.train.ngram's reference models.

    from coursekit.course.lessons.lesson01 import q1, q2, q3, q4, q5
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from coursekit.course.exercise import Incorrect, Problem, call_learner, expect_number
from coursekit.course.freetext import FreeTextProblem, KeyIdea
from coursekit.train import ngram
from coursekit.train.ngram import (
    BigramModel,
    UnigramModel,
    Vocab,
    course_words,
    entropy,
    greedy_cycle,
    split_heldout,
)

__all__ = ["V1_VOCAB_SIZE", "CourseModels", "fit_course_models", "q1", "q2", "q3", "q4", "q5"]

V1_VOCAB_SIZE = 8449  # ANDREA-120M v1's tokenizer vocabulary (docs/specification.md §2, fact 2)
GREEDY_START = "the"  # q4's prompt word: the corpus's most frequent word


@dataclass(frozen=True)
class CourseModels:
    """The lesson's corpus split and the two models fitted on its training part."""

    vocab: Vocab
    train: np.ndarray  # (N_train,) word ids
    heldout: np.ndarray  # (N_heldout,) word ids
    counts: np.ndarray  # (V,) training word counts
    unigram: UnigramModel
    bigram: BigramModel


@functools.cache
def fit_course_models() -> CourseModels:
    """Fit the unigram and bigram models on the course corpus exactly as the notebook does (cached)."""
    words = course_words()
    train_words, heldout_words = split_heldout(words)
    vocab = Vocab.from_words(words)
    train, heldout = vocab.encode(train_words), vocab.encode(heldout_words)
    counts = np.bincount(train, minlength=len(vocab))
    return CourseModels(vocab, train, heldout, counts, UnigramModel(train, len(vocab)), BigramModel(train, len(vocab)))


def _log_slips(want: float, name: str) -> list[tuple[float, str]]:
    """The usual slips in computing a loss in nats, as ``expect_number`` slips."""
    return [
        (-want, f"`{name}` has the wrong sign: a loss is -ln(p), and ln of a probability is negative."),
        (want / math.log(2), f"`{name}` looks like it is in bits (log base 2); the course uses nats (natural log)."),
        (want / math.log(10), f"`{name}` looks like a base-10 log; the course uses nats (natural log, `np.log`)."),
    ]


class UniformLoss(Problem):
    label = "Lesson 01 · Q1"
    names = ("uniform_loss",)
    hints = (
        "A uniform guess gives every one of the V tokens the same probability. What is that probability?",
        "The loss of one prediction is -ln(p). With p = 1/V, simplify -ln(1/V).",
    )
    solution_code = "uniform_loss = math.log(V1_VOCAB_SIZE)"

    def evaluate(self, uniform_loss: Any) -> str:
        want = math.log(V1_VOCAB_SIZE)
        slips = _log_slips(want, "uniform_loss") + [
            (1 / V1_VOCAB_SIZE, "that is the probability of each token; the loss is -ln of it."),
        ]
        not_quite = f"not quite: the uniform guess spreads probability over all {V1_VOCAB_SIZE:,} tokens."
        expect_number(uniform_loss, "uniform_loss", want, not_quite, slips, tol=1e-3)  # 9.04 will do
        return (
            f"uniform guessing costs ln({V1_VOCAB_SIZE:,}) = {want:.2f} nats per token: the 'random chance' line "
            "of every loss plot in this course."
        )


class CrossEntropy(Problem):
    label = "Lesson 01 · Q2"
    names = ("cross_entropy",)
    hints = (
        "For each prediction, the loss is -ln of the probability the model gave the token that really came next.",
        "The loss of a whole sequence is the mean of those per-token losses, not their sum.",
        "With numpy: `-np.log(p_actual).mean()`.",
    )
    solution_code = """
def cross_entropy(p_actual):
    return float(-np.log(p_actual).mean())
"""

    def evaluate(self, cross_entropy: Any) -> str:  # noqa: A002 - the learner's function has the lesson's name
        if not callable(cross_entropy):
            raise Incorrect(f"`cross_entropy` should be a function, but it is a {type(cross_entropy).__name__}.")
        if cross_entropy is ngram.cross_entropy:
            raise Incorrect("that is coursekit's own `cross_entropy`, imported; write yours from scratch.")
        rng = np.random.default_rng(0)
        cases = {
            "two tokens at p = 0.5": np.array([0.5, 0.5]),
            "a sure prediction, p = [1.0]": np.array([1.0]),
            f"{V1_VOCAB_SIZE} uniform guesses": np.full(V1_VOCAB_SIZE, 1 / V1_VOCAB_SIZE),
            "100 random probabilities (seed 0)": rng.uniform(0.01, 1.0, size=100),
        }
        for case, p in cases.items():
            got = call_learner(cross_entropy, p.copy(), case=case)
            if isinstance(got, np.ndarray) and got.size != 1:
                raise Incorrect(f"on {case}, your function returned an array of shape {got.shape}; return one number.")
            got = float(got) if isinstance(got, np.ndarray) else got
            want = ngram.cross_entropy(p)
            slips = _log_slips(want, f"cross_entropy({case})") + [
                (want * len(p), f"on {case}, you returned the sum of the per-token losses; the loss is their mean."),
            ]
            not_quite = f"on {case}, your function returned {got!r:.12}; work that case out by hand and compare."
            expect_number(got, f"cross_entropy({case})", want, not_quite, slips)
        return "that is the whole of the training loss: it only asks how likely the true next token was."


class UnigramEntropy(Problem):
    label = "Lesson 01 · Q3"
    names = ("unigram_entropy",)
    hints = (
        "`p` holds each word's probability. Entropy is the sum over words of p * (-ln p).",
        "Words with p = 0 contribute 0, but `np.log(0)` is -inf and 0 * -inf is NaN: leave them out.",
        "`-(p[p > 0] * np.log(p[p > 0])).sum()`",
    )
    context_code = "counts = fit_course_models().counts\np = counts / counts.sum()"
    solution_code = "unigram_entropy = float(-(p[p > 0] * np.log(p[p > 0])).sum())"

    def evaluate(self, unigram_entropy: Any) -> str:
        models = fit_course_models()
        want, uniform = entropy(models.counts), math.log(len(models.vocab))
        slips = _log_slips(want, "unigram_entropy") + [
            (uniform, "that is the uniform baseline ln(V); weight each word by how often it occurs."),
        ]
        not_quite = "not quite: compute -sum(p * ln p) over the words of the training counts."
        expect_number(unigram_entropy, "unigram_entropy", want, not_quite, slips, tol=1e-4)
        return f"{want:.2f} nats, {uniform - want:.2f} below the uniform baseline, without looking at any context."


class BigramCycle(Problem):
    label = "Lesson 01 · Q4"
    names = ("bigram_cycle",)
    hints = (
        f"Print `vocab.decode(bigram.generate(the_id, 30))` with the id of {GREEDY_START!r} and read it.",
        "Greedy decoding depends only on the previous word, so once a word comes back, everything after repeats.",
        "Give one turn of the loop as a list of strings, each word once, in the order the model writes them.",
    )
    context_code = """
models = fit_course_models()
vocab, bigram = models.vocab, models.bigram
the_id = int(vocab.encode([GREEDY_START])[0])
"""
    solution_code = "bigram_cycle = vocab.decode(greedy_cycle(bigram, the_id))"

    def evaluate(self, bigram_cycle: Any) -> str:
        if isinstance(bigram_cycle, str) or not isinstance(bigram_cycle, (list, tuple)):
            raise Incorrect(f"`bigram_cycle` should be a list of words (strings), got a {type(bigram_cycle).__name__}.")
        got = [w.lower() if isinstance(w, str) else w for w in bigram_cycle]
        models = fit_course_models()
        the_id = int(models.vocab.encode([GREEDY_START])[0])
        want = models.vocab.decode(greedy_cycle(models.bigram, the_id))
        if got == models.vocab.decode(greedy_cycle(models.unigram, the_id)) and got != want:
            raise Incorrect("that is the unigram model's loop; this question is about the bigram model.")
        if len(set(got)) < len(got):
            raise Incorrect("a word appears twice in your list: give exactly one turn of the loop.")
        rotations = [want[i:] + want[:i] for i in range(len(want))]
        if got in rotations:
            return f"a {len(want)}-word loop: every word in it is a likely next word, and the text goes nowhere."
        if sorted(got) == sorted(want):
            raise Incorrect("the right words, in the wrong order: keep the order the model writes them in.")
        raise Incorrect(f"greedy decoding from {GREEDY_START!r} does not end in that loop; print more words and look.")


class Mechanism(FreeTextProblem):
    label = "Lesson 01 · Q5"
    min_sentences, max_sentences = 2, 3
    ideas = (
        KeyIdea("what the loss measures (the probability given to the token that actually comes next)", (
            r"probabilit", r"likelihood", r"log", r"\bln\b",
        )),
        KeyIdea("why frequent, predictable tokens push the average loss down", (
            r"frequent", r"common", r"often", r"predictab", r"average", r"mean\b",
        )),
        KeyIdea("why the generated text repeats", (
            r"greedy", r"argmax", r"most likely", r"highest", r"repeat", r"loop", r"same (?:word|token)",
        )),
    )
    model_answer = (
        "Cross-entropy only measures the probability the model gives to the token that actually comes next, "
        "averaged over all tokens, so a model that has learned which tokens are frequent (\"the\", or \"region\" "
        "in a stuck shard) already scores far below the uniform ln(8449) = 9.04 nats. "
        "Nothing in that number looks at what the model writes: decoding picks the most likely next token again "
        "and again, and when the most likely successor of a token is itself, or a short cycle, the output "
        "repeats forever while the loss stays low."
    )


q1 = UniformLoss()
q2 = CrossEntropy()
q3 = UnigramEntropy()
q4 = BigramCycle()
q5 = Mechanism()
