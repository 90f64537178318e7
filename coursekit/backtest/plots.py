"""The course's matplotlib figures: pictures where looking beats reading.

    fig = backtest_figure(backtest("data/v1/samples.jsonl"))   # loss, score, trigger, kill, steps saved
    fig.savefig("v1.png")                                      # or just show ``fig`` in a notebook
    sensitivity_figure(sensitivity(result)).savefig("grid.png")

Functions named ``plot_*`` draw on an ``Axes`` you pass (to compose your own figures); ``*_figure`` build a
whole ``matplotlib.figure.Figure``. Figures are made without pyplot, so no global state is touched and they
save from scripts and the CLI on any machine (the Agg canvas); notebooks display them inline as usual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coursekit.alarm.metrics import BIGRAM_MAX, CHARS_MAX, ENGLISH_MAX, TRIGRAM_MAX

from .replay import GPU_WATTS, STATED_STEPS_PER_MIN, BacktestResult, compute_saved
from .sensitivity import SensitivityGrid

__all__ = ["plot_scores_and_loss", "plot_axis_scores", "plot_sensitivity", "backtest_figure", "sensitivity_figure"]

HEALTHY, BAD, LOSS, TRIGGER, KILL = "#4c72b0", "#d62728", "#222222", "#d62728", "#555555"
_BOX = dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85)  # keeps labels legible over dots


def _need_decisions(result: BacktestResult) -> None:
    if result.n_samples and not result.decisions:
        raise ValueError("this BacktestResult kept no decisions: run backtest(..., keep_decisions=True) to plot it")


def plot_scores_and_loss(
    ax: Axes,
    result: BacktestResult,
    kill_step: int | None = None,
    steps_per_min: float = STATED_STEPS_PER_MIN,
    watts: float = GPU_WATTS,
    highlight: Mapping[int, str] | None = None,
) -> Axes:
    """Composite score (dots, degenerate in red) and loss EMA (line, right axis) against step on one x axis,
    with the threshold, the gate's trigger, the manual kill and the span the gate would have saved.

    ``highlight`` labels chosen samples by step, e.g. ``{80_000: "region x8"}``. Returns the loss EMA's twin axis.
    """
    _need_decisions(result)
    ds = result.decisions
    kill = result.last_step if kill_step is None else kill_step
    ok = [d for d in ds if not d.degenerate]
    bad = [d for d in ds if d.degenerate]
    ax.scatter([d.step for d in ok], [d.score.total for d in ok], s=9, color=HEALTHY, alpha=0.6,
               label=f"sample score >= {result.threshold:g}")
    ax.scatter([d.step for d in bad], [d.score.total for d in bad], s=16, color=BAD, marker="x", linewidths=1,
               label=f"degenerate (< {result.threshold:g})")
    ax.axhline(result.threshold, color=BAD, ls="--", lw=1)
    ax.text(0.25, result.threshold + 1.5, f"threshold {result.threshold:g}", color=BAD, fontsize=8,
            transform=ax.get_yaxis_transform())
    for d in ds:
        if highlight and d.step in highlight:
            ax.annotate(highlight[d.step], (d.step, d.score.total), xytext=(-12, 26), textcoords="offset points",
                        ha="right", fontsize=8, bbox=_BOX, arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.set_ylim(0, 105)
    ax.set_ylabel("composite score (0-100)")
    ax.set_xlabel("training step")

    loss_ax = ax.twinx()
    pts = [(d.step, d.loss_ema) for d in ds if d.loss_ema is not None]
    if pts:
        loss_ax.plot(*zip(*pts), color=LOSS, lw=1.4, label="loss EMA (right axis)")
        low = min(pts, key=lambda p: p[1])
        loss_ax.annotate(f"loss EMA min {low[1]:.2f} at {low[0]:,}", low, xytext=(0, 50),
                         textcoords="offset points", ha="center", fontsize=8, color=LOSS, bbox=_BOX,
                         arrowprops=dict(arrowstyle="->", color=LOSS, lw=0.8))
        # Scale the loss so that its minimum and late rise run through the band between the healthy scores (top)
        # and the degenerate ones (bottom); the first ~10% of a run, a fall from ~ln(vocab), goes off the top.
        late = [v for s, v in pts if s >= pts[0][0] + 0.1 * (pts[-1][0] - pts[0][0])] or [v for _, v in pts]
        span = max(max(late) - low[1], 0.1) / (0.85 - 0.42)
        bottom = low[1] - 0.42 * span
        loss_ax.set_ylim(bottom, bottom + span)
        if pts[0][1] > bottom + span:
            loss_ax.annotate(f"loss starts at {pts[0][1]:.2f} (off scale)", (pts[0][0], bottom + span),
                             xytext=(8, -14), textcoords="offset points", fontsize=8, color=LOSS, bbox=_BOX)
    loss_ax.set_ylabel("loss EMA (nats)")

    trig = result.trigger_step
    if trig is not None:
        ax.axvline(trig, color=TRIGGER, lw=1.6)
        ax.text(trig, 103, f"gate fires\n{trig:,}", color=TRIGGER, fontsize=8, va="top", ha="right", bbox=_BOX)
    if kill is not None:
        ax.axvline(kill, color=KILL, lw=1.6)
        ax.text(kill, 103, f"killed by hand\n{kill:,}", color=KILL, fontsize=8, va="top", ha="right", bbox=_BOX)
    if trig is not None and kill is not None and kill > trig:
        saved = compute_saved(kill - trig, steps_per_min, watts)
        ax.axvspan(trig, kill, color=TRIGGER, alpha=0.08, lw=0)
        ax.text((trig + kill) / 2, 38, f"{saved.steps:,} steps saved\n{saved.hours:.1f} h, {saved.days:.1f} days"
                f"\n{saved.kwh:.1f} kWh\n(at {steps_per_min:g} steps/min, {watts:g} W)", ha="center", va="center",
                fontsize=8, color=TRIGGER, bbox=_BOX)
    handles = ax.get_legend_handles_labels()
    extra = loss_ax.get_legend_handles_labels()
    ax.legend(handles[0] + extra[0], handles[1] + extra[1], loc="lower left", fontsize=8, framealpha=0.9)
    return loss_ax


def _rolling_mean(values: Sequence[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot_axis_scores(ax: Axes, result: BacktestResult, window: int = 25) -> Axes:
    """Each axis's score as a share of its maximum, as a rolling mean over ``window`` samples."""
    _need_decisions(result)
    steps = [d.step for d in result.decisions]
    axes = [("bigram", BIGRAM_MAX, "#4c72b0"), ("trigram", TRIGRAM_MAX, "#55a868"),
            ("english", ENGLISH_MAX, "#c44e52"), ("chars", CHARS_MAX, "#8172b2")]
    for name, top, color in axes:
        share = [100 * getattr(d.score, name) / top for d in result.decisions]
        ax.plot(steps, _rolling_mean(share, window), color=color, lw=1.4, label=f"{name} (of {top:g})")
    if result.trigger_step is not None:
        ax.axvline(result.trigger_step, color=TRIGGER, lw=1.2)
    ax.set_ylim(0, 105)
    ax.set_ylabel(f"% of axis max\n(mean of {window} samples)")
    ax.set_xlabel("training step")
    ax.legend(loc="lower left", fontsize=8, ncol=4, framealpha=0.9)
    return ax


def backtest_figure(
    result: BacktestResult,
    kill_step: int | None = None,
    steps_per_min: float = STATED_STEPS_PER_MIN,
    watts: float = GPU_WATTS,
    title: str | None = None,
    highlight: Mapping[int, str] | None = None,
) -> Figure:
    """The back-test in one picture: scores and loss EMA on top, the four axes over time below."""
    fig = Figure(figsize=(11, 7.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.6])
    plot_scores_and_loss(top, result, kill_step, steps_per_min, watts, highlight)
    top.set_xlabel("")
    plot_axis_scores(bottom, result)
    top.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}k")
    gate = f"threshold {result.threshold:g}, patience {result.patience}"
    top.set_title(title or f"The gate ({gate}) back-tested on {result.n_samples:,} samples", fontsize=11)
    return fig


def plot_sensitivity(ax: Axes, grid: SensitivityGrid, mark: tuple[float, int] | None = (30.0, 5)) -> Axes:
    """Heat map of the trigger step (thousands) over thresholds x patiences; grey cells never fire."""
    data = np.array([[np.nan if s is None else s / 1000 for s in row] for row in grid.triggers], dtype=float)
    cmap = colormaps["viridis"].with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, aspect="auto", origin="lower")
    for i, row in enumerate(data):
        for j, v in enumerate(row):
            dark = not np.isnan(v) and v < np.nanmean(data)
            ax.text(j, i, "never" if np.isnan(v) else f"{v:.1f}", ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
    if mark in {(t, p) for t in grid.thresholds for p in grid.patiences}:
        i, j = grid.thresholds.index(mark[0]), grid.patiences.index(mark[1])
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.5, ec=TRIGGER))
    ax.set_xticks(range(len(grid.patiences)), [str(p) for p in grid.patiences])
    ax.set_yticks(range(len(grid.thresholds)), [f"{t:g}" for t in grid.thresholds])
    ax.set_xlabel("patience (degenerate samples in a row)")
    ax.set_ylabel("threshold (degenerate below)")
    ax.figure.colorbar(im, ax=ax, label="trigger step (thousands)")
    return ax


def sensitivity_figure(grid: SensitivityGrid, mark: tuple[float, int] | None = (30.0, 5)) -> Figure:
    """The sensitivity heat map as a figure; ``mark`` (v2's gate by default) is outlined in red."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    plot_sensitivity(fig.subplots(), grid, mark)
    boxed = "" if mark is None else f"; outlined: threshold {mark[0]:g}, patience {mark[1]}"
    fig.suptitle(f"Where the gate fires (step, thousands; grey: never{boxed})", fontsize=11)
    return fig
