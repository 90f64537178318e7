"""The back-test explorer (lesson 04): drag a threshold and a patience slider, watch where the gate fires.

    explorer = backtest_explorer()         # v1's reconstructed log; show it by making it a cell's last line
    explorer.threshold.value = 35          # what dragging the slider does: the timeline and the label follow
    explorer.trigger_step                  # 98200 on v1 (None: that gate never fires)
    explorer.trigger.value                 # "gate fires at step 98,200: 66,800 steps (185.6 h at 6 steps/min) ..."

The samples are scored once, when the explorer is built; each slider move replays the stored scores through a
fresh ``CoherenceGate`` via ``coursekit.backtest.replay.backtest`` (the gate's own counter, not a copy), so the label
always equals what ``backtest(log, CoherenceGate(threshold, patience))`` finds. The timeline is
``coursekit.backtest.plots.plot_scores_and_loss`` rendered to a PNG in an ``ipywidgets.Image``, which needs no kernel-side
matplotlib display and so also works when driven from tests.

For browser tests, the parts carry stable handles: the sliders' descriptions are ``threshold`` and ``patience``
and the trigger label has the CSS class ``coursekit-trigger``. A widget shows nothing on GitHub or in CI; the
notebook draws ``coursekit.backtest.plots.sensitivity_figure`` beside it as the static fallback.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from typing import Any

from matplotlib.figure import Figure

from coursekit.alarm.gate import DEFAULT_PATIENCE, CoherenceGate
from coursekit.alarm.metrics import DEFAULT_THRESHOLD
from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.plots import plot_scores_and_loss
from coursekit.backtest.replay import (
    GPU_WATTS,
    STATED_STEPS_PER_MIN,
    BacktestResult,
    backtest,
    compute_saved,
)

__all__ = ["TRIGGER_CLASS", "THRESHOLD_RANGE", "PATIENCE_RANGE", "trigger_text", "timeline_figure",
           "BacktestExplorer", "backtest_explorer"]  # fmt: skip

TRIGGER_CLASS = "coursekit-trigger"  # CSS class of the trigger label: the browser test finds it by this
THRESHOLD_RANGE = (10.0, 60.0, 1.0)  # slider min, max, step: v1's loops and noise score between ~5 and ~70
PATIENCE_RANGE = (1, 12)  # slider min, max: 12 samples is 2,400 steps of v1's log


def trigger_text(
    result: BacktestResult,
    kill_step: int | None = None,
    steps_per_min: float = STATED_STEPS_PER_MIN,
) -> str:
    """One line saying where the gate fires and what it would have saved (the explorer's label)."""
    kill = result.last_step if kill_step is None else kill_step
    trig = result.trigger_step
    if trig is None:
        return f"gate never fires on this log (threshold {result.threshold:g}, patience {result.patience})"
    if kill is None or kill <= trig:
        return f"gate fires at step {trig:,}, not before the run was stopped"
    saved = compute_saved(kill - trig, steps_per_min)
    return (
        f"gate fires at step {trig:,}: {saved.steps:,} steps ({saved.hours:.1f} h at {steps_per_min:.3g} steps/min) "
        f"before the kill at {kill:,}"
    )


def timeline_figure(
    result: BacktestResult,
    kill_step: int | None = None,
    steps_per_min: float = STATED_STEPS_PER_MIN,
    watts: float = GPU_WATTS,
    highlight: Mapping[int, str] | None = None,
) -> Figure:
    """The back-test timeline alone (scores, loss EMA, trigger, kill, saving): one panel, widget-sized."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.subplots()
    plot_scores_and_loss(ax, result, kill_step, steps_per_min, watts, highlight)
    ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}k")
    ax.set_title(f"threshold {result.threshold:g}, patience {result.patience}: {trigger_text(result, kill_step)}",
                 fontsize=10)
    return fig


class BacktestExplorer:
    """Threshold and patience sliders, a trigger label and the timeline of one run log, kept in step.

    Drive it without a browser by setting ``threshold.value`` / ``patience.value``; read ``trigger_step``,
    ``trigger.value``, ``result`` (the ``BacktestResult`` on show) and ``image.value`` (the PNG's bytes).
    """

    def __init__(
        self,
        records: str | os.PathLike | Iterable[Mapping[str, Any]] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        patience: int = DEFAULT_PATIENCE,
        kill_step: int | None = None,
        steps_per_min: float = STATED_STEPS_PER_MIN,
        watts: float = GPU_WATTS,
        highlight: Mapping[int, str] | None = None,
        dpi: int = 72,
    ) -> None:
        import ipywidgets as w

        CoherenceGate(threshold, patience)  # the gate's own checks: a clear error before any widget exists
        base = backtest(v1_log_path() if records is None else records)
        if base.n_samples == 0:
            raise ValueError("the explorer needs a run log with at least one sample, got an empty one")
        # Keep the records and each text's score: a slider move then replays scores instead of re-scoring texts.
        self.records = [
            {"step": d.step, "source": d.source, "text": d.text, "loss_ema": d.loss_ema} for d in base.decisions
        ]
        self._scores = {d.text: d.score for d in base.decisions}
        self.kill_step, self.steps_per_min, self.watts = kill_step, steps_per_min, watts
        self.highlight, self.dpi = highlight, dpi

        lo, hi, step = THRESHOLD_RANGE
        self.threshold = w.FloatSlider(value=threshold, min=min(lo, threshold), max=max(hi, threshold), step=step,
                                       description="threshold", continuous_update=False, readout_format=".0f")
        self.patience = w.IntSlider(value=patience, min=PATIENCE_RANGE[0], max=max(PATIENCE_RANGE[1], patience),
                                    description="patience", continuous_update=False)
        self.trigger = w.Label()
        self.trigger.add_class(TRIGGER_CLASS)
        self.image = w.Image(format="png", layout=w.Layout(width="100%"))
        self.box = w.VBox([w.HBox([self.threshold, self.patience]), self.trigger, self.image])
        self.result: BacktestResult | None = None
        self.trigger_step: int | None = None
        for slider in (self.threshold, self.patience):
            slider.observe(lambda change: self.update(), names="value")
        self.update()

    def result_for(self, threshold: float, patience: int) -> BacktestResult:
        """The back-test of this log with a gate of these settings (scores replayed, not recomputed)."""
        gate = CoherenceGate(threshold, patience, scorer=self._scores.__getitem__)
        return backtest(self.records, gate)

    def update(self) -> BacktestResult:
        """Back-test with the sliders' current values and redraw the label and the timeline."""
        result = self.result_for(float(self.threshold.value), int(self.patience.value))
        self.result, self.trigger_step = result, result.trigger_step
        self.trigger.value = trigger_text(result, self.kill_step, self.steps_per_min)
        fig = timeline_figure(result, self.kill_step, self.steps_per_min, self.watts, self.highlight)
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=self.dpi)
        self.image.value = png.getvalue()
        return result

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def backtest_explorer(
    records: str | os.PathLike | Iterable[Mapping[str, Any]] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    patience: int = DEFAULT_PATIENCE,
    **kwargs: Any,
) -> BacktestExplorer:
    """Build the explorer on ``records`` (a run-log path or records; default v1's log), starting at v2's gate."""
    return BacktestExplorer(records, threshold, patience, **kwargs)
