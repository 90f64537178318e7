"""Lesson 01's stuck-shard experiment: the same models, a mixed and a fixed clean held-out set."""

import pytest

from coursekit.train.stuckshard import StuckShardConfig, mix_words, stuck_shard_experiment


def test_mix_words_by_hand():
    # n = 5 at share 0.4: round(0.4 x 5) = 2 faulty words after 5 - 2 = 3 clean ones; the faulty list repeats
    assert mix_words(list("abcdef"), ["x"], 0.4, 5) == ["a", "b", "c", "x", "x"]
    assert mix_words(list("abc"), ["x", "y"], 1.0, 3) == ["x", "y", "x"]
    assert mix_words(list("abc"), [], 0.0, 2) == ["a", "b"]


@pytest.mark.parametrize("args, match", [((list("ab"), ["x"], 1.5, 2), "share"), ((list("ab"), ["x"], 0.0, 3), "clean"),
                                         ((list("ab"), [], 0.5, 2), "faulty")])
def test_mix_words_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        mix_words(*args)


def test_the_shard_lowers_the_mixed_loss_and_raises_the_clean_one():
    # a tiny clean language (sentences from a few words, seeded) and a stuck shard repeating "region"
    import random

    rng = random.Random(0)
    words = "the cat sat on a mat and dog ran to big red house".split()
    clean = [rng.choice(words) for _ in range(6_000)]
    train, heldout = clean[:5_000], clean[5_000:]
    shard = ["region"] * 2_000
    cfg = StuckShardConfig(n_train=3_000, n_heldout=500, n_samples=4, length=16)
    rows = stuck_shard_experiment(train, heldout, shard, [0.0, 0.5, 0.9], cfg)
    mixed, clean_loss = [r.mixed_loss for r in rows], [r.clean_loss for r in rows]
    assert mixed == sorted(mixed, reverse=True) and mixed[0] > mixed[-1]
    assert clean_loss == sorted(clean_loss) and clean_loss[0] < clean_loss[-1]
    assert rows[0].mixed_loss == pytest.approx(rows[0].clean_loss)  # share 0: the two held-out sets are the same


def test_no_shares_is_an_error():
    with pytest.raises(ValueError, match="shares"):
        stuck_shard_experiment(["a", "b"], ["a", "b"], ["x"], [])
