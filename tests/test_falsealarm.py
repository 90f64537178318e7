"""coursekit.falsealarm: the k-of-n false-alarm budget, worked by hand, and its invariants."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.alarm.falsealarm import (
    WindowChoice,
    choose_window,
    false_alarms_per,
    rate_upper_bound,
    tail_probability,
)


def test_tail_probability_worked():
    # both of 2 bad at p = 0.1: 0.1^2 = 0.01
    assert tail_probability(0.1, 2, 2) == pytest.approx(0.01)
    # at least 1 of 2 at p = 0.5: 1 - 0.5^2 = 0.75
    assert tail_probability(0.5, 1, 2) == pytest.approx(0.75)
    # at least 2 of 3 at p = 0.1: 3 x 0.1^2 x 0.9 + 0.1^3 = 0.027 + 0.001 = 0.028
    assert tail_probability(0.1, 2, 3) == pytest.approx(0.028)
    assert tail_probability(0.0, 1, 5) == 0.0 and tail_probability(1.0, 5, 5) == 1.0


def test_false_alarms_per_thousand_worked():
    # 1,000 samples x 0.01 = 10 expected samples with a full window: v2-like "2 in a row" at p = 0.1 is useless
    assert false_alarms_per(0.1, 2, 2) == pytest.approx(10.0)
    # v3's 5 of 10 at p = 0.01: 1000 x (C(10,5) 0.01^5 0.99^5 + ...) = 1000 x 2.4e-8 ~ 2.4e-5
    assert false_alarms_per(0.01, 5, 10) == pytest.approx(1000 * sum(
        math.comb(10, j) * 0.01**j * 0.99 ** (10 - j) for j in range(5, 11)))  # fmt: skip


def test_choose_window_worked():
    # p = 0.1, q = 0.5, budget 1 per 1,000, n <= 3, detection >= 0.1:
    #   k=2: n=2 -> 1000 x 0.01 = 10 > 1; n=3 -> 1000 x 0.028 = 28 > 1: no window
    #   k=3: n=3 -> 1000 x 0.001 = 1.0 <= 1, detection 0.5^3 = 0.125 >= 0.1: chosen
    got = choose_window(0.1, q=0.5, budget=1.0, samples=1000, max_n=3, min_detection=0.1)
    assert (got.k, got.n) == (3, 3)
    assert got.false_alarms == pytest.approx(1.0) and got.detection == pytest.approx(0.125)


def test_choose_window_with_no_fit_raises():
    with pytest.raises(ValueError, match="no window"):
        choose_window(0.5, q=0.6, budget=1e-6, max_n=4)


def test_rate_upper_bound_worked():
    # 0 of 80 seen: Wilson upper bound with z = 1.645 is z^2/N / (1 + z^2/N) = 0.03383/1.03383 = 0.0327
    z2n = 1.645**2 / 80
    assert rate_upper_bound(0, 80) == pytest.approx(z2n / (1 + z2n))
    assert rate_upper_bound(80, 80) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        rate_upper_bound(3, 2)


@pytest.mark.parametrize("bad", [(-0.1, 1, 1), (0.5, 0, 1), (0.5, 3, 2), (float("nan"), 1, 1), (True, 1, 1)])
def test_bad_arguments_raise(bad):
    with pytest.raises(ValueError):
        tail_probability(*bad)


@given(st.floats(0, 1), st.integers(1, 15), st.integers(0, 15))
def test_more_needed_means_fewer_false_alarms(p, n, extra):
    k = min(n, 1 + extra % n)
    assert 0.0 <= tail_probability(p, k, n) <= 1.0
    if k < n:
        assert tail_probability(p, k + 1, n) <= tail_probability(p, k, n) + 1e-12
    assert tail_probability(p, k, n) <= tail_probability(p, k, n + 1) + 1e-12  # a longer window fills sooner


@given(st.floats(0.0, 0.2), st.floats(0.5, 1.0))
def test_a_chosen_window_keeps_its_budget(p, q):
    try:
        got = choose_window(p, q=q, budget=0.01)
    except ValueError:
        return
    assert isinstance(got, WindowChoice) and got.k >= 2 and got.k <= got.n <= 20
    assert got.false_alarms <= 0.01 * (1 + 1e-9) and got.detection >= 0.95
