"""The back-test explorer, driven without a browser: setting a slider is what dragging it does."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from coursekit.alarm.gate import CoherenceGate  # noqa: E402
from coursekit.backtest.datasets import v1_log_path  # noqa: E402
from coursekit.backtest.replay import BacktestResult, backtest  # noqa: E402
from coursekit.course.backtest_widget import (  # noqa: E402
    PATIENCE_RANGE,
    THRESHOLD_RANGE,
    TRIGGER_CLASS,
    backtest_explorer,
    timeline_figure,
    trigger_text,
)

HEALTHY = "The cat sat on the mat while the dog slept by the fire, and nobody said a word all evening."
LOOP = " ".join(["region"] * 64)  # 24.12: degenerate


@pytest.fixture(scope="module")
def explorer():
    return backtest_explorer()  # v1's log: scoring 825 samples and one render, about a second


def test_sliders_and_label_have_the_handles_a_browser_test_needs(explorer):
    assert explorer.threshold.description == "threshold" and explorer.patience.description == "patience"
    assert TRIGGER_CLASS in explorer.trigger._dom_classes
    assert (explorer.threshold.min, explorer.threshold.max) == THRESHOLD_RANGE[:2]
    assert (explorer.patience.min, explorer.patience.max) == PATIENCE_RANGE


def test_v2_gate_fires_at_132000_on_v1(explorer):
    # 165,000 - 132,000 = 33,000 steps; / 6 / 60 = 91.7 h
    assert explorer.trigger_step == 132_000
    assert explorer.trigger.value == (
        "gate fires at step 132,000: 33,000 steps (91.7 h at 6 steps/min) before the kill at 165,000"
    )
    assert bytes(explorer.image.value[:4]) == b"\x89PNG"


@pytest.mark.parametrize("threshold, patience", [(35.0, 5), (30.0, 2), (20.0, 10), (60.0, 1), (30.0, 5)])
def test_moving_the_sliders_shows_what_backtest_finds(explorer, threshold, patience):
    before = explorer.image.value
    moved = (explorer.threshold.value, explorer.patience.value) != (threshold, patience)
    explorer.threshold.value = threshold
    explorer.patience.value = patience
    want = backtest(v1_log_path(), CoherenceGate(threshold, patience))  # scored afresh, no cache
    assert explorer.trigger_step == want.trigger_step
    assert explorer.trigger.value == trigger_text(want)
    assert (explorer.result.threshold, explorer.result.patience) == (threshold, patience)
    assert (explorer.image.value != before) == moved  # the timeline is redrawn when a slider moves


@settings(max_examples=25)
@given(st.integers(int(THRESHOLD_RANGE[0]), int(THRESHOLD_RANGE[1])), st.integers(*PATIENCE_RANGE))
def test_replayed_scores_give_the_same_trigger_as_rescoring(explorer, threshold, patience):
    got = explorer.result_for(float(threshold), patience)
    want = backtest(explorer.records, CoherenceGate(threshold, patience))
    assert got.trigger_step == want.trigger_step and got.n_degenerate == want.n_degenerate


def test_a_small_log_of_records():
    # steps 100-200 healthy, then five loops: the counter reaches 5 at step 700
    records = [{"step": 100 * (i + 1), "source": "s", "text": t, "loss_ema": None}
               for i, t in enumerate([HEALTHY, HEALTHY] + [LOOP] * 5)]
    small = backtest_explorer(records, dpi=40)
    assert small.trigger_step == 700 and small.trigger.value == "gate fires at step 700, not before the run was stopped"
    small.patience.value = 6
    assert small.trigger_step is None
    assert small.trigger.value == "gate never fires on this log (threshold 30, patience 6)"


def test_trigger_text_by_hand():
    result = BacktestResult(threshold=30.0, patience=5, trigger_step=132_000, first_step=200, last_step=165_000)
    # 33,000 steps at 7.117 steps/min: 33,000 / 7.117 / 60 = 77.3 h
    assert trigger_text(result, steps_per_min=165_000 / (16.1 * 24 * 60)) == (
        "gate fires at step 132,000: 33,000 steps (77.3 h at 7.12 steps/min) before the kill at 165,000"
    )
    assert "not before the run was stopped" in trigger_text(result, kill_step=120_000)


def test_timeline_figure_has_the_score_and_loss_axes(explorer):
    fig = timeline_figure(explorer.result)
    assert len(fig.axes) == 2 and "threshold 30, patience 5" in fig.axes[0].get_title()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(records=[]), ValueError, "empty"),
        (dict(threshold=130.0), ValueError, "0-100"),
        (dict(patience=0), ValueError, "at least 1"),
        (dict(records=[{"step": 1}]), ValueError, "record #0"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        backtest_explorer(**kwargs)
