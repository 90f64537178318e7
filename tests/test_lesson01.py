"""Lesson 01: the checks' feedback on the usual slips, against coursekit.train.ngram's reference models."""

import math

import numpy as np
import pytest

from coursekit.course.exercise import INCORRECT, NOT_ATTEMPTED
from coursekit.course.lessons.lesson01 import (
    V1_VOCAB_SIZE,
    fit_course_models,
    q1,
    q2,
    q3,
    q4,
    q5,
)
from coursekit.train import ngram


def test_q1_uniform_loss_and_its_slips():
    # ln(8449) = 9.0418 nats (docs/specification.md §2: "9.04"); two decimals, as the account quotes it, pass
    assert math.log(V1_VOCAB_SIZE) == pytest.approx(9.0418, abs=1e-4)
    assert q1.grade(uniform_loss=9.04).passed
    assert "bits" in q1.grade(uniform_loss=math.log2(V1_VOCAB_SIZE)).message
    assert "base-10" in q1.grade(uniform_loss=math.log10(V1_VOCAB_SIZE)).message
    assert "sign" in q1.grade(uniform_loss=-math.log(V1_VOCAB_SIZE)).message
    assert "probability" in q1.grade(uniform_loss=1 / V1_VOCAB_SIZE).message
    assert q1.grade(uniform_loss=9.5).status == INCORRECT


@pytest.mark.parametrize(
    "wrong, says",
    [
        (lambda p: float(-np.log(p).sum()), "sum"),
        (lambda p: float(np.log(p).mean()), "sign"),
        (lambda p: -np.log(p), "array"),
        (lambda p: float(-np.log2(p).mean()), "bits"),
        (lambda p: 1 / 0, "ZeroDivisionError"),
        (ngram.cross_entropy, "coursekit's own"),
        ("not a function", "function"),
    ],
)
def test_q2_cross_entropy_slips(wrong, says):
    outcome = q2.grade(cross_entropy=wrong)
    assert outcome.status == INCORRECT and says in outcome.message


def test_q2_stub_function_is_not_attempted():
    def cross_entropy(p_actual):
        return ...

    assert q2.grade(cross_entropy=cross_entropy).status == NOT_ATTEMPTED


def test_q2_hand_example():
    # p = [0.5, 0.5]: mean(-ln 0.5) = ln 2 = 0.6931
    assert q2.grade(cross_entropy=lambda p: float(-np.log(p).mean())).passed
    assert ngram.cross_entropy([0.5, 0.5]) == pytest.approx(math.log(2))


def test_q3_entropy_slips():
    models = fit_course_models()
    p = models.counts / models.counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = float(-(p * np.log(p)).sum())  # zeros included: 0 * -inf = nan
    assert "NaN" in q3.grade(unigram_entropy=naive).message
    h = ngram.entropy(models.counts)
    assert q3.grade(unigram_entropy=h).passed
    assert "bits" in q3.grade(unigram_entropy=h / math.log(2)).message
    assert "uniform" in q3.grade(unigram_entropy=math.log(len(models.vocab))).message


def test_q4_loop_feedback():
    models = fit_course_models()
    the = int(models.vocab.encode(["the"])[0])
    loop = models.vocab.decode(ngram.greedy_cycle(models.bigram, the))
    assert len(loop) >= 2  # the bigram loops through several words, not one
    assert q4.grade(bigram_cycle=loop[1:] + loop[:1]).passed  # any rotation is the same loop
    assert q4.grade(bigram_cycle=[w.upper() for w in loop]).passed  # case does not matter
    assert "unigram" in q4.grade(bigram_cycle=["the"]).message
    assert "order" in q4.grade(bigram_cycle=loop[::-1]).message
    assert "twice" in q4.grade(bigram_cycle=loop + loop[:1]).message
    assert "list" in q4.grade(bigram_cycle=" ".join(loop)).message


def test_q5_self_check():
    assert q5.grade(answer="The loss is low. The output repeats.").status == INCORRECT  # 7 words: too short
    # teacher forcing is a right answer in other words: it passes, and the advice names what it does not mention
    teacher = q5.grade(answer="Training uses teacher forcing: the model only ever predicts the next token of real "
                              "text, never of its own output. At generation time its own tokens come back as input.")
    assert teacher.passed and "Advice, not a grade" in teacher.message


def test_fit_course_models_is_cached_and_consistent():
    models = fit_course_models()
    assert fit_course_models() is models
    assert models.counts.sum() == len(models.train) and len(models.counts) == len(models.vocab)
