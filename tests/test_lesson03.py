"""Lesson 03: the axis checks name the failing case; the matrix and the claims follow the battery."""

import numpy as np
import pytest

from coursekit.alarm.metrics import english_lexicon, eval_chat_quality
from coursekit.course.battery import MODES
from coursekit.course.exercise import INCORRECT, NOT_ATTEMPTED
from coursekit.course.lessons import lesson03
from coursekit.course.lessons.lesson03 import (
    AXES,
    CLAIM_TEXTS,
    axis_flags,
    q1,
    q2,
    q3,
    q4,
    q5,
    q6,
    q7,
)
from coursekit.course.lessons.lesson03_reference import CLAIMS, claim_verdicts, failure_matrix, flag_shares


def test_axis_flags_by_hand():
    # region x 8: bigram 5.0 < 17.5, trigram 5.83 < 17.5, english 20 >= 10, chars 3.0 < 5
    assert axis_flags(eval_chat_quality(" ".join(["region"] * 8))) == {"bigram", "trigram", "chars"}
    assert axis_flags(eval_chat_quality("")) == set(AXES)


def test_matrix_and_shares_cover_every_mode():
    shares, matrix = flag_shares(), failure_matrix()
    assert list(shares) == list(MODES) == list(matrix)
    assert all(0 <= v <= 1 for row in shares.values() for v in row.values())
    assert matrix["healthy"] == set() and matrix["empty"] == set(AXES)  # "" scores 0 on every axis


@pytest.mark.parametrize(
    "rows, verdicts",
    [
        # (mode, origin, flags) rows made by hand, and what each of the account's claims says about them
        ([("single_token_loop", "hand", frozenset({"bigram"}))], {"A": True}),
        ([("single_token_loop", "hand", frozenset({"bigram", "chars"}))], {"A": False}),  # region: 6 characters
        ([("punctuation_noise", "hand", frozenset({"chars"}))], {"B": True}),
        ([("punctuation_noise", "gen", frozenset({"chars", "bigram"}))], {"B": False}),  # no sample passes bigrams
        ([("non_english", "hand", frozenset({"english"}))], {"C": True}),
        ([("non_english", "hand", frozenset({"english"})), ("non_english", "hand", frozenset())], {"C": False}),
        ([("non_english", "hand", frozenset({"english", "bigram", "trigram"}))], {"C": False}),  # no spaces: 1 word
        ([("non_english", "gen", frozenset()), ("non_english", "hand", frozenset({"english"}))], {"C": True}),
        ([("ab_loop", "hand", frozenset({"trigram"}))], {"D": True}),
        ([("ab_loop", "hand", frozenset({"bigram", "trigram"}))], {"D": False}),
    ],
)
def test_each_claim_tests_what_it_says(rows, verdicts):
    for key, want in verdicts.items():
        assert CLAIMS[key].test(rows) is want, key


def test_the_account_claims_on_the_battery():
    # A: region x 8 keeps 3.0 of 10 character points (6 distinct letters); C: Japanese without spaces is one word;
    # D: "yes no" x 4 scores bigram 35 x 2/7 = 10.0 < trigram 35 x 2/6 = 11.67, so trigram never flags alone
    assert claim_verdicts() == {"A": False, "B": True, "C": False, "D": False}


def test_answers_are_not_one_import_away():
    for name in ("CLAIMS", "claim_verdicts", "failure_matrix", "flag_shares"):
        assert not hasattr(lesson03, name), name
    assert set(CLAIM_TEXTS) == set(CLAIMS)


def test_claim_verdicts_are_booleans_for_every_claim():
    verdicts = claim_verdicts()
    assert list(verdicts) == list(CLAIMS) and all(isinstance(v, bool) for v in verdicts.values())


def _no_lowercase(text):
    words = text.split()
    return 0.0 if len(words) < 2 else 35 * len(set(zip(words, words[1:]))) / (len(words) - 1)


def _no_guard(text):
    words = text.lower().split()
    return 35 * len(set(zip(words, words[1:]))) / (len(words) - 1)


@pytest.mark.parametrize(
    "problem, wrong, says",
    [
        (q1, _no_lowercase, "'mixed case'"),
        (q1, _no_guard, "ZeroDivisionError"),
        (q2, lambda t: q1.reference(t), "battery sample"),  # bigrams where trigrams are asked for
        (q3, lambda t: 20 * sum(w in english_lexicon() for w in t.lower().split()) / max(1, len(t.split())),
         "battery sample"),  # no core stripping: "days," is not "days"
        (q4, lambda t: 10 * min(1, len(set(t)) / 20), "battery sample"),  # whitespace counted
        (q4, lambda t: 10 * min(1, len(set(t.lower()) - set(" \t\n")) / 20), "battery sample"),  # lowercased
        (q4, eval_chat_quality, "number"),  # a SampleScore, not a float
        (q5, lambda t: eval_chat_quality(t).total - eval_chat_quality(t).chars, "battery sample"),
        (q5, lambda t: ... + 1, "still returns `...`"),  # the composite calls a stub
    ],
)
def test_wrong_functions_fail_and_name_the_case(problem, wrong, says):
    outcome = problem.grade(**{problem.names[0]: wrong})
    assert outcome.status == INCORRECT and says in outcome.message, outcome


def test_the_reference_itself_is_refused_and_a_stub_is_not_attempted():
    assert "coursekit's own" in q4.grade(character_diversity=q4.reference).message

    def bigram_diversity(text):
        return ...

    assert q1.grade(bigram_diversity=bigram_diversity).status == NOT_ATTEMPTED


def test_q6_matrix_feedback():
    right = {mode: set(axes) for mode, axes in failure_matrix().items()}
    assert q6.grade(matrix=right).passed
    wrong = dict(right, healthy={"bigram"})
    outcome = q6.grade(matrix=wrong)
    assert outcome.status == INCORRECT and "1 cell" in outcome.message and "healthy" in outcome.message
    assert "missing" in q6.grade(matrix={"healthy": set()}).message
    assert "axis names" in q6.grade(matrix=dict(right, healthy={"grammar"})).message
    assert "set of axis names" in q6.grade(matrix=dict(right, healthy="bigram")).message


def test_q7_claims_feedback_counts_without_naming():
    right = claim_verdicts()
    assert q7.grade(claims=right).passed
    flipped = dict(right, A=not right["A"], B=not right["B"])
    outcome = q7.grade(claims=flipped)
    assert outcome.status == INCORRECT and "2 verdicts" in outcome.message and "A" not in outcome.message.split()
    assert "no verdict for D" in q7.grade(claims={k: v for k, v in right.items() if k != "D"}).message
    assert "True or False" in q7.grade(claims=dict(right, A="yes")).message
    assert q7.grade(claims={k: np.bool_(v) for k, v in right.items()}).passed  # numpy booleans count
