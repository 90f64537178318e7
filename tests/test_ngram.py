"""Word-level n-gram models: hand-worked probabilities and losses, sampling that matches the dense rows."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.train.ngram import (
    BigramModel,
    NgramModel,
    UnigramModel,
    Vocab,
    cross_entropy,
    entropy,
    greedy_cycle,
    split_heldout,
    stuck_shard_words,
)


def test_cross_entropy_by_hand():
    # mean(-ln 0.5, -ln 0.25) = (0.6931 + 1.3863) / 2 = 1.0397
    assert cross_entropy([0.5, 0.25]) == pytest.approx((math.log(2) + math.log(4)) / 2)
    assert cross_entropy(np.full(8449, 1 / 8449)) == pytest.approx(math.log(8449))  # the uniform baseline
    assert cross_entropy([1.0]) == 0.0


@pytest.mark.parametrize("bad", [[], [0.0, 0.5], [1.5], [[0.5]]])
def test_cross_entropy_rejects_bad_probabilities(bad):
    with pytest.raises(ValueError):
        cross_entropy(bad)


def test_entropy_by_hand():
    # counts [2, 1, 1, 0]: p = [1/2, 1/4, 1/4]; H = 0.5 ln 2 + 2 * 0.25 ln 4 = 1.5 ln 2 = 1.0397
    assert entropy([2, 1, 1, 0]) == pytest.approx(1.5 * math.log(2))
    with pytest.raises(ValueError):
        entropy([0, 0])


@given(st.integers(1, 5000))
def test_entropy_of_a_uniform_count_is_ln_v(v):
    assert entropy(np.ones(v)) == pytest.approx(math.log(v))


def test_vocab_orders_by_frequency_then_alphabet():
    vocab = Vocab.from_words("b a c a b a".split())
    assert vocab.words == ("a", "b", "c") and len(vocab) == 3
    assert list(vocab.encode(["c", "a"])) == [2, 0] and vocab.decode([1, 2]) == ["b", "c"]
    with pytest.raises(KeyError, match="'zebra' is not in the vocabulary"):
        vocab.encode(["zebra"])


def test_unigram_by_hand():
    # ids [0, 0, 1], V = 3, k = 1: counts [2, 1, 0] -> (c + 1) / (3 + 3) = [3/6, 2/6, 1/6]
    model = UnigramModel(np.array([0, 0, 1]), 3, k=1.0)
    assert model.probs == pytest.approx([0.5, 1 / 3, 1 / 6])
    # the loss of [0, 0, 1] predicts 0 then 1: mean(-ln 0.5, -ln 1/3)
    assert model.loss(np.array([0, 0, 1])) == pytest.approx((math.log(2) + math.log(3)) / 2)
    assert model.generate(2, 4) == [0, 0, 0, 0]  # greedy: always the most frequent word


def test_bigram_by_hand():
    # ids [0, 1, 0, 1, 2], V = 3, k = 1: after 0 come {1: 2}; after 1 come {0: 1, 2: 1}
    model = BigramModel(np.array([0, 1, 0, 1, 2]), 3, k=1.0)
    assert model.next_row(0) == pytest.approx([1 / 5, 3 / 5, 1 / 5])  # (c + 1) / (2 + 3)
    assert model.next_row(1) == pytest.approx([2 / 5, 1 / 5, 2 / 5])
    assert model.next_row(2) == pytest.approx([1 / 3] * 3)  # never seen: uniform
    assert model.prob_next(np.array([0, 1, 2])) == pytest.approx([3 / 5, 2 / 5])
    assert model.generate(0, 4) == [1, 0, 1, 0]  # 1 after 0; 0 and 2 tie after 1: the lower id wins
    assert greedy_cycle(model, 0) == [0, 1]


@pytest.mark.parametrize("ids, v, k, match", [
    (np.array([0]), 3, 1.0, "at least 2"),
    (np.array([0, 3]), 3, 1.0, r"\[0, 3\)"),
    (np.array([0.5, 1.0]), 3, 1.0, "word ids"),
    (np.array([0, 1]), 3, 0.0, "positive"),
])  # fmt: skip
def test_fitting_rejects_bad_input(ids, v, k, match):
    for cls in (UnigramModel, BigramModel):
        with pytest.raises(ValueError, match=match):
            cls(ids, v, k)


@settings(max_examples=40)
@given(st.lists(st.integers(0, 6), min_size=2, max_size=60), st.integers(0, 7))
def test_bigram_rows_are_distributions_and_match_prob_next(ids, prev):
    model = BigramModel(np.array(ids), 8)
    row = model.next_row(prev)
    assert row.sum() == pytest.approx(1.0) and (row > 0).all()
    pairs = np.array(ids)
    assert model.prob_next(pairs) == pytest.approx([model.next_row(a)[b] for a, b in zip(ids, ids[1:])])
    # the sparse greedy step agrees with the argmax of the dense row
    assert model.next_word(prev, 0, None) == NgramModel.next_word(model, prev, 0, None)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_sparse_bigram_sampling_matches_the_dense_distribution(temperature):
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 6, size=200)  # words 6 and 7 never occur: only smoothing reaches them
    model = BigramModel(ids, 8, k=0.5)
    for prev in (0, 3, 7):
        p = model.next_row(prev) ** (1 / temperature)
        p /= p.sum()
        draws = np.random.default_rng(0)
        freq = np.bincount([model.next_word(prev, temperature, draws) for _ in range(20_000)], minlength=8) / 20_000
        assert np.abs(freq - p).max() < 0.015  # 20,000 draws: the standard error is below 0.004


def test_generate_is_reproducible_and_needs_a_generator():
    model = BigramModel(np.array([0, 1, 2, 0, 2, 1, 0]), 3)
    a = model.generate(0, 20, 1.0, np.random.default_rng(5))
    assert a == model.generate(0, 20, 1.0, np.random.default_rng(5))
    with pytest.raises(ValueError, match="Generator"):
        model.generate(0, 5, 1.0)
    with pytest.raises(ValueError, match=">= 0"):
        model.generate(0, 5, -1.0)


@given(st.integers(0, 5000), st.integers(1, 12), st.integers(1, 50))
def test_split_heldout_is_a_partition_in_order(n, every, block):
    words = [str(i) for i in range(n)]
    train, held = split_heldout(words, every, block)
    assert sorted(train + held, key=int) == words
    assert train == sorted(train, key=int) and held == sorted(held, key=int)


def test_stuck_shard_is_mostly_region():
    words = stuck_shard_words()
    assert words.count("region") / len(words) > 0.95
