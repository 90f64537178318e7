"""Lesson 07's checks: the reference passes, and each usual mistake or shortcut fails with a message that helps.

The generic self-test (tests/test_exercise.py) runs every solution and stub; these are the lesson's own cases.
"""

import math
import zlib

import pytest

from coursekit.alarm import signals
from coursekit.alarm.metrics import eval_chat_quality
from coursekit.alarm.v3gate import V3Config, verdict
from coursekit.alarm.v4gate import judge
from coursekit.course.exercise import CORRECT, INCORRECT, NOT_ATTEMPTED
from coursekit.course.lessons.lesson07 import q1, q2, q3, q4, q5
from coursekit.course.lessons.lesson07_reference import (
    CATCH_GOAL,
    FLAG_LIMIT,
    caught_shares,
    dev,
    probes,
    rates,
    v2_bad,
    v3_bad,
    v4_bad,
)
from coursekit.course.lessons.lesson07_reference import (
    test as held_out_split,  # named "test": bound to another name so pytest does not collect it
)


def test_the_splits_are_disjoint_and_each_holds_both_labels():
    assert {r["id"] for r in dev()}.isdisjoint({r["id"] for r in held_out_split()})
    for split in (dev(), held_out_split()):
        assert {r["label"] for r in split} == {"degenerate", "healthy"}


def test_catch_rates_are_shares_of_the_dev_degenerate_samples():
    degenerate = [r for r in dev() if r["label"] == "degenerate"]
    want = caught_shares()
    assert want["v2_caught"] == sum(v2_bad(r["text"]) for r in degenerate) / len(degenerate)
    assert want["v3_caught"] == sum(v3_bad(r["text"]) for r in degenerate) / len(degenerate)
    assert 0 <= want["v2_caught"] < want["v3_caught"] <= 1  # v3 adds floors to v2's total: it never catches less
    assert q1.grade(v2_caught=round(want["v2_caught"], 3), v3_caught=round(want["v3_caught"], 3)).status == CORRECT
    percent = q1.grade(v2_caught=100 * want["v2_caught"], v3_caught=want["v3_caught"])
    assert percent.status == INCORRECT and "percentage" in percent.message
    # all samples instead of the degenerate ones: a different share
    wrong = sum(v2_bad(r["text"]) for r in dev()) / len(dev())
    assert q1.grade(v2_caught=wrong, v3_caught=want["v3_caught"]).status == INCORRECT


def test_compression_ratio_at_another_level_or_on_characters_fails():
    def level9(text):
        data = text.encode("utf-8")
        return len(data) / len(zlib.compress(data, 9)) if data else 0.0

    def on_characters(text):  # len(str) instead of len(bytes): differs on non-ASCII text
        data = text.encode("utf-8")
        return len(text) / len(zlib.compress(data)) if data else 0.0

    for wrong in (level9, on_characters):
        outcome = q2.grade(compression_ratio=wrong)
        assert outcome.status == INCORRECT, wrong.__name__
    assert q2.grade(compression_ratio=signals.compression_ratio).status == INCORRECT  # the reference, imported


def test_coverage_must_count_words_and_honour_n():
    def counts_ngrams(text, n=3):  # seq-rep-n: repeated n-grams / n-grams, not covered words / words
        words = text.lower().split()
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        return 1 - len(set(grams)) / len(grams) if grams else 0.0

    def ignores_n(text, n=3):
        return signals.repeated_ngram_coverage(text, 3)

    for wrong in (counts_ngrams, ignores_n):
        assert q3.grade(repeated_ngram_coverage=wrong).status == INCORRECT, wrong.__name__


def test_coverage_worked_example():
    # "a b c a b c": trigrams abc, bca, cab, abc; the 4th (words 3..5) was seen, so words 3, 4, 5 are covered:
    # 3 of 6 words = 0.5. With n=2: bigrams ab, bc, ca, ab, bc; ab (words 3, 4) and bc (words 4, 5) repeat:
    # words 3, 4, 5 covered, 0.5 again. With n=1 every word after its first occurrence: 3 of 6.
    for n in (1, 2, 3):
        assert signals.repeated_ngram_coverage("a b c a b c", n) == 0.5


def test_a_rule_that_calls_v4_or_memorises_dev_is_refused():
    def wraps_v4(text):
        return judge(text).bad

    outcome = q4.grade(is_bad=wraps_v4)
    assert outcome.status == INCORRECT and "v4's reference" in outcome.message

    bad_texts = {r["text"] for r in dev() if r["label"] == "degenerate"}

    def memorised(text):
        return text in bad_texts

    outcome = q4.grade(is_bad=memorised)
    assert outcome.status == INCORRECT and "no split" in outcome.message


def test_v3_alone_catches_too_little_and_a_trigger_happy_rule_flags_too_much():
    outcome = q4.grade(is_bad=lambda t: bool(verdict(eval_chat_quality(t), V3Config())))
    assert outcome.status == INCORRECT  # v3 misses the probes' stutter or soup, or dev's
    probe_bad = {text for _, text, bad in probes() if bad}

    def cries_wolf(text):  # right on the probes, but flags healthy text that repeats a little
        return text in probe_bad or v4_bad(text) or signals.repeated_ngram_coverage(text, 1) > 0.4

    assert rates(dev(), cries_wolf)[1] > FLAG_LIMIT
    outcome = q4.grade(is_bad=cries_wolf)
    assert outcome.status == INCORRECT and "flags" in outcome.message


def test_the_goals_are_within_reach_of_v4():
    caught, flagged = rates(dev(), v4_bad)
    assert caught >= CATCH_GOAL and flagged <= FLAG_LIMIT
    for what, text, bad in probes():
        assert v4_bad(text) == bad, what


@pytest.mark.parametrize(
    "wrong, slip",
    [
        (lambda p, k, n: sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1)), "1,000"),
        (lambda p, k, n: 1000 * math.comb(n, k) * p**k * (1 - p) ** (n - k), "exactly k"),
    ],
)
def test_false_alarm_slips_are_named(wrong, slip):
    outcome = q5.grade(false_alarms_per_1000=wrong)
    assert outcome.status == INCORRECT and slip in outcome.message


def test_not_a_function_is_incorrect_and_a_stub_is_not_attempted():
    assert q5.grade(false_alarms_per_1000=3.0).status == INCORRECT
    assert q5.grade(false_alarms_per_1000=lambda p, k, n: ...).status == NOT_ATTEMPTED
