"""The threshold x patience grid: each cell is the gate's own verdict on the scored samples."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.alarm.gate import CoherenceGate
from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.replay import backtest
from coursekit.backtest.sensitivity import sensitivity

GOOD = "The river rises in the hills north of the town and flows south to join the sea."  # 99.0
BAD = " ".join(["region"] * 64)  # 24.12
MID = " ".join(["region"] * 8)  # 33.83: degenerate only for thresholds above 33.83


def recs(pattern: str) -> list[dict]:
    text = {"G": GOOD, "B": BAD, "M": MID}
    return [{"step": 100 * (i + 1), "source": "s", "text": text[c]} for i, c in enumerate(pattern)]


def test_hand_worked_grid():
    # B M B M B: below 30 only the B's count (never 2 in a row); below 35 all five are degenerate.
    grid = sensitivity(backtest(recs("BMBMB")), thresholds=(30, 35), patiences=(1, 2, 5))
    assert grid.triggers == ((100, None, None), (100, 200, 500))
    assert grid.trigger(35.0, 2) == 200
    with pytest.raises(KeyError, match=r"\(40, 2\) is not on the grid"):
        grid.trigger(40, 2)


def test_v1_grid_contains_v2s_trigger_and_marks_it():
    grid = sensitivity(backtest(v1_log_path()))
    assert grid.trigger(30.0, 5) == 132_000
    table = grid.table()
    assert "[132.0]" in table and table.splitlines()[0].startswith("trigger step (thousands)")


@settings(max_examples=40, deadline=None)
@given(pattern=st.text(alphabet="GBM", max_size=30))
def test_stricter_gates_fire_no_earlier(pattern):
    grid = sensitivity(backtest(recs(pattern)), thresholds=(30, 35, 50), patiences=(1, 2, 3, 5))
    never = float("inf")
    for i, row in enumerate(grid.triggers):
        as_num = [never if s is None else s for s in row]
        assert as_num == sorted(as_num)  # more patience: fires no earlier
        if i:
            above = [never if s is None else s for s in grid.triggers[i - 1]]
            assert all(a <= b for a, b in zip(as_num, above))  # higher threshold: fires no later


def test_grid_agrees_with_a_full_backtest_per_cell():
    records = recs("GBBGBBBMBBBBBG")
    grid = sensitivity(backtest(records), thresholds=(30, 35), patiences=(2, 4))
    for th in (30.0, 35.0):
        for p in (2, 4):
            assert grid.trigger(th, p) == backtest(records, CoherenceGate(th, p)).trigger_step


def test_needs_the_decisions():
    with pytest.raises(ValueError, match="keep_decisions=True"):
        sensitivity(backtest(recs("BB"), keep_decisions=False))
