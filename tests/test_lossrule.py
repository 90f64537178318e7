"""The loss-EMA rule: fires when the loss EMA is more than a margin above its running minimum."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.backtest.gatereport import v1_records
from coursekit.backtest.lossrule import loss_rule_sweep, loss_rule_trigger


def log(*losses):
    return [{"step": 100 * (i + 1), "source": "web", "text": "", "loss_ema": x} for i, x in enumerate(losses)]


def test_hand_worked_log():
    # minimum 3.0 at step 300; 3.05 is 0.05 above it (quiet), 3.15 is 0.15 above it (> 0.1): fires at step 500
    assert loss_rule_trigger(log(3.4, 3.2, 3.0, 3.05, 3.15, 3.5), margin=0.1) == 500
    # exactly the margin above the minimum is not "more than": 3.0 + 0.25 = 3.25 stays quiet
    assert loss_rule_trigger(log(3.0, 3.25), margin=0.25) is None


def test_a_falling_loss_never_fires():
    assert loss_rule_trigger(log(5.0, 4.0, 3.0, 2.0, 1.0), margin=0.0) is None


def test_records_without_a_loss_are_skipped():
    records = log(3.0, None, 3.2)
    assert loss_rule_trigger(records, margin=0.1) == 300


def test_v1_reconstruction_fires_before_v2():
    # the course's v1 log: minimum 3.23 at 110,000; the EMA first exceeds 3.33 at 120,000 (v2's gate: 132,000)
    assert loss_rule_trigger(v1_records(), margin=0.1) == 120_000


def test_sweep_a_wider_margin_never_fires_earlier():
    steps = loss_rule_sweep(v1_records(), [0.05, 0.1, 0.2, 0.5, 1.0])
    fired = [s for s in steps.values() if s is not None]
    assert fired == sorted(fired) and steps[0.1] == 120_000


@given(st.lists(st.floats(0.0, 10.0), max_size=40), st.floats(0.0, 2.0), st.floats(0.0, 2.0))
def test_monotone_in_the_margin(losses, a, b):
    small, large = sorted((a, b))
    first, second = loss_rule_trigger(log(*losses), small), loss_rule_trigger(log(*losses), large)
    assert second is None or (first is not None and first <= second)


@pytest.mark.parametrize("margin", [-0.1, float("nan"), "0.1", True])
def test_bad_margin_is_named(margin):
    with pytest.raises(ValueError, match="margin"):
        loss_rule_trigger(log(1.0), margin)


def test_bad_loss_is_named():
    with pytest.raises(TypeError, match="loss_ema"):
        loss_rule_trigger(log("3.0"), 0.1)
