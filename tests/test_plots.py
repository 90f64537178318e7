"""The figures build, carry what a learner looks for, and save as PNG (rendered with Agg, no display)."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.plots import backtest_figure, sensitivity_figure
from coursekit.backtest.replay import backtest
from coursekit.backtest.sensitivity import sensitivity


@pytest.fixture(scope="module")
def result():
    return backtest(v1_log_path())


def _texts(fig: Figure) -> str:
    return " | ".join(t.get_text() for ax in fig.axes for t in ax.texts + [c for c in ax.get_children()
                      if hasattr(c, "get_text") and c.get_text()])


def test_backtest_figure_marks_trigger_kill_saving_and_threshold(result, tmp_path):
    fig = backtest_figure(result, highlight={80_000: "region x8"})
    assert len(fig.axes) == 3  # scores + loss twin on top, per-axis scores below
    text = _texts(fig)
    for label in ("gate fires\n132,000", "killed by hand\n165,000", "33,000 steps saved", "91.7 h", "threshold 30",
                  "loss EMA min 3.23 at 110,000", "region x8"):
        assert label in text, label
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert "degenerate (< 30)" in legend and "loss EMA (right axis)" in legend and "bigram (of 35)" in legend
    fig.savefig(tmp_path / "v1.png", dpi=40)
    assert (tmp_path / "v1.png").read_bytes()[:4] == b"\x89PNG"


def test_sensitivity_figure(result, tmp_path):
    fig = sensitivity_figure(sensitivity(result, thresholds=(20, 30), patiences=(5, 10)))
    assert "never" in _texts(fig) and "132.0" in _texts(fig)
    fig.savefig(tmp_path / "grid.png", dpi=40)


def test_plots_need_the_decisions(result):
    with pytest.raises(ValueError, match="keep_decisions=True"):
        backtest_figure(backtest(v1_log_path(), keep_decisions=False))
