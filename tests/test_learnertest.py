"""Judging a test the learner wrote (coursekit.course.learnertest)."""

import pytest

from coursekit.course.exercise import Incorrect
from coursekit.course.learnertest import broken_in_unknown_order, run_learner_test


def test_run_learner_test_passes_fails_with_the_message_and_turns_a_crash_into_incorrect():
    def at_least_two(runners):  # raises by hand: pytest would rewrite an `assert` here and lengthen its message
        if len(runners) < 2:
            raise AssertionError(f"only {len(runners)}")

    assert run_learner_test(at_least_two, [1, 2]) is None
    assert run_learner_test(at_least_two, [1]) == "only 1"  # the learner's own message, to quote back
    with pytest.raises(Incorrect, match=r"your test raised KeyError: 'x'\. Look up by key\."):
        run_learner_test(lambda runners: runners["x"], {}, lambda e: " Look up by key.")


def test_broken_inputs_come_once_each_among_the_reruns_and_a_failing_rerun_is_incorrect():
    reruns = []
    # 2 broken inputs and 3 reruns: all five rounds run, the broken ones each yielded once, in some order.
    got = list(broken_in_unknown_order(["a", "b"], 3, lambda: reruns.append(1), "the good ones", "inputs"))
    assert sorted(got) == ["a", "b"] and len(reruns) == 3
    orders = {tuple(broken_in_unknown_order("abc", 0, lambda: None, "x", "y")) for _ in range(200)}
    assert len(orders) == 6  # every order of three shows up: the order is not fixed

    with pytest.raises(Incorrect, match=r"passed the good ones once and failed on them when run again \(it said: no\)"
                                        r": a test must give the same answer on the same inputs\."):
        list(broken_in_unknown_order([], 1, lambda: "no", "the good ones", "inputs"))
