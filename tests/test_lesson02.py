"""Lesson 02: hand-scoring region x 8 and x 64; the checks accept two decimals and name the usual slips."""

import pytest

from coursekit.course.exercise import INCORRECT
from coursekit.course.lessons.lesson02 import (
    REGION_8,
    REGION_64,
    q1,
    q2,
    q3,
    q4,
    q5,
    q6,
    region_loop,
)
from coursekit.course.lessons.lesson02_reference import shortest_degenerate_loop


def test_region_loops():
    assert REGION_8 == "region region region region region region region region"
    assert REGION_64.split() == ["region"] * 64 and region_loop(2, "ab") == "ab ab"


def test_q1_hand_values():
    # 8 words -> 7 bigrams, 1 distinct: 35/7 = 5.0; 6 trigrams, 1 distinct: 35/6 = 5.8333
    assert q1.grade(bigram_8=5.0, trigram_8=5.83).passed
    assert q1.grade(bigram_8=5.0, trigram_8=5.8).status == INCORRECT  # one decimal is not enough here
    assert "how many fit in 8 words" in q1.grade(bigram_8=35 / 8, trigram_8=5.83).message  # n, not n - 1
    assert "different" in q1.grade(bigram_8=35, trigram_8=5.83).message  # every window counted as distinct
    assert "scales" in q1.grade(bigram_8=1 / 7, trigram_8=5.83).message  # the ratio without the 35


def test_q2_hand_values():
    # "region" is English: 20 x 8/8 = 20; 6 distinct letters: 10 x min(1, 6/20) = 3.0
    assert q2.grade(english_8=20, chars_8=3).passed
    assert "lexicon" in q2.grade(english_8=0, chars_8=3).message
    assert "whitespace" in q2.grade(english_8=20, chars_8=3.5).message  # the space counted: 7 distinct
    assert "once" in q2.grade(english_8=20, chars_8=10).message  # 48 characters, capped at 10


def test_q3_verdict():
    # 5.0 + 5.8333 + 20 + 3 = 33.83, not below 30, and one sample cannot halt a gate with patience 5
    assert q3.grade(total_8=33.83, degenerate_8=False, halts_8=False).passed
    assert "patience" in q3.grade(total_8=33.83, degenerate_8=False, halts_8=True).message
    assert "threshold" in q3.grade(total_8=33.83, degenerate_8=True, halts_8=False).message
    assert "True or False" in q3.grade(total_8=33.83, degenerate_8="no", halts_8=False).message
    import numpy as np  # a comparison of numpy scalars gives numpy's bool: it counts as a bool

    assert q3.grade(total_8=np.float64(33.83), degenerate_8=np.float64(33.83) < 30, halts_8=np.bool_(False)).passed


def test_q4_full_length():
    # 35/63 + 35/62 + 20 + 3 = 0.5556 + 0.5645 + 23 = 24.12: degenerate
    assert q4.grade(total_64=24.12, degenerate_64=True).passed
    assert "8-word" in q4.grade(total_64=33.83, degenerate_64=True).message
    assert q4.grade(total_64=24.12, degenerate_64=False).status == INCORRECT


def test_q5_shortest_degenerate_loop():
    # n = 11: 35/10 + 35/9 + 23 = 30.39 (passes); n = 12: 35/11 + 35/10 + 23 = 29.68 (degenerate)
    assert shortest_degenerate_loop() == 12
    assert q5.grade(shortest_degenerate=12).passed
    assert "still passes" in q5.grade(shortest_degenerate=11).message
    assert "already degenerate" in q5.grade(shortest_degenerate=13).message
    assert "whole number" in q5.grade(shortest_degenerate=1).message  # below the question's range


def test_shortest_degenerate_loop_bad_input():
    with pytest.raises(ValueError, match="never scores below"):
        shortest_degenerate_loop("region", start=3, limit=5)


def test_q6_self_check():
    assert q6.grade(answer="It got longer. Longer is worse.").status == INCORRECT  # 6 words: too short
    assert q6.grade(answer=q6.model_answer).passed


def test_answers_are_not_one_import_away():
    from coursekit.course.lessons import lesson02 as lesson

    for name in ('shortest_degenerate_loop',):
        assert not hasattr(lesson, name), name
