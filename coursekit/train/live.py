"""Watch a training run: loss EMA, sample scores and the gate's counter, redrawn while it trains (lesson 05).

    live = LivePlot()
    status = main(cfg, on_step=live, on_sample=live.on_sample)   # each step's loss, each sample as it is gated
    live.finish()                        # the last picture, with the sample that halted the run
    run_figure(cfg.out_dir)              # the static twin, drawn from the run's files alone

One picture, three panels on one step axis: the loss EMA against the uniform guess ln(V); each sample's composite
score, coloured by the source the curriculum was training on, degenerate ones as crosses under the threshold;
and the gate's consecutive counter climbing to the patience. A red line marks where the gate halted the run.

In Jupyter the picture is one output that is replaced in place (``display(..., display_id=True)``), next to the
trainer's tqdm bar; elsewhere nothing is displayed and ``figure()`` gives the current picture. A live output
needs a running kernel: on GitHub or in an exported notebook, ``run_figure`` draws the same panels from
``samples.jsonl`` (the loss EMA at each sample instead of at every step), so the notebook reads correctly there.

The trainer's ``on_step`` hook runs after the training step and before the sample path; ``on_sample`` runs
right after the gate has seen a sample, so the picture shows it at once, the sample that halted the run
included. Driven by ``on_step`` alone, the live view sees each sample one step late (from ``run.alarm.last``) and
never sees the last one; ``finish(run_dir)`` then reads it from the log.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from coursekit.alarm.runlog import read_log

from .samplepath import SAMPLES_FILE
from .trainer import CONFIG_FILE

__all__ = ["LivePlot", "draw_run", "run_figure"]

BAD, LOSS, HALT = "#d62728", "#222222", "#d62728"
SOURCE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _halt_step(samples: Sequence[dict[str, Any]]) -> int | None:
    return next((rec["step"] for rec in samples if rec.get("halt")), None)


def _plot_loss(ax: Axes, steps: Sequence[int], losses: Sequence[float], vocab_size: int) -> None:
    chance = math.log(vocab_size)
    ax.axhline(chance, color="grey", ls="--", lw=1)
    ax.text(0.01, chance, f"uniform guess ln({vocab_size:,}) = {chance:.2f}", color="grey", fontsize=8,
            va="bottom", transform=ax.get_yaxis_transform())  # fmt: skip
    if steps:
        ax.plot(steps, losses, color=LOSS, lw=1.4)
        ax.annotate(f"{losses[-1]:.2f}", (steps[-1], losses[-1]), xytext=(4, 4), textcoords="offset points",
                    fontsize=8, color=LOSS)  # fmt: skip
    ax.set_ylim(0, chance * 1.12)
    ax.set_ylabel("loss EMA (nats)")


def _plot_scores(ax: Axes, samples: Sequence[dict[str, Any]], threshold: float) -> None:
    colors: dict[str, str] = {}
    for rec in samples:  # one colour per source, in the order the curriculum first sampled them
        colors.setdefault(rec["source"], SOURCE_COLORS[len(colors) % len(SOURCE_COLORS)])
    for source, color in colors.items():
        ok = [(r["step"], r["total"]) for r in samples if r["source"] == source and r["total"] >= threshold]
        bad = [(r["step"], r["total"]) for r in samples if r["source"] == source and r["total"] < threshold]
        if ok:
            ax.scatter(*zip(*ok), s=18, color=color, label=source)
        if bad:
            ax.scatter(*zip(*bad), s=30, color=color, marker="x", linewidths=1.5, label=None if ok else source)
    ax.axhline(threshold, color=BAD, ls="--", lw=1)
    ax.text(0.01, threshold + 2, f"threshold {threshold:g} (crosses: degenerate)", color=BAD, fontsize=8,
            transform=ax.get_yaxis_transform())  # fmt: skip
    ax.set_ylim(0, 105)
    ax.set_ylabel("sample score")
    if colors:
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1), fontsize=7, title="source", title_fontsize=7)


def _plot_counter(ax: Axes, samples: Sequence[dict[str, Any]], patience: int) -> None:
    if samples:
        ax.step([r["step"] for r in samples], [r["consecutive"] for r in samples], where="post", color=BAD, lw=1.4)
        ax.plot([r["step"] for r in samples], [r["consecutive"] for r in samples], "o", color=BAD, ms=3)
    ax.axhline(patience, color="black", ls="--", lw=1)
    ax.text(0.01, patience + 0.15, f"patience {patience}: halt", fontsize=8, transform=ax.get_yaxis_transform())
    ax.set_ylim(-0.3, patience + 1.2)
    ax.set_yticks(range(patience + 1))
    ax.set_ylabel("degenerate\nin a row")
    ax.set_xlabel("training step")


def draw_run(
    fig: Figure,
    loss_steps: Sequence[int],
    losses: Sequence[float],
    samples: Sequence[dict[str, Any]],
    *,
    threshold: float,
    patience: int,
    vocab_size: int,
    max_steps: int | None = None,
    title: str = "",
) -> list[Axes]:
    """Draw the three panels on ``fig`` (cleared first): loss EMA, sample scores, the gate's counter.

    ``samples`` are run-log records as the sample path writes them (``step``, ``source``, ``total``,
    ``consecutive``, ``halt``); ``loss_steps``/``losses`` the loss EMA at those steps (every step, live).
    """
    fig.clear()
    axes = fig.subplots(3, 1, sharex=True, height_ratios=[1.1, 1.4, 0.9])
    _plot_loss(axes[0], loss_steps, losses, vocab_size)
    _plot_scores(axes[1], samples, threshold)
    _plot_counter(axes[2], samples, patience)
    halt = _halt_step(samples)
    if halt is not None:
        for ax in axes:
            ax.axvline(halt, color=HALT, lw=1.8)
            if max_steps and max_steps > halt:  # what the halt spared: the steps the run would have trained on
                ax.axvspan(halt, max_steps, color="grey", alpha=0.12, lw=0)
        axes[2].annotate(f"gate halts the run at step {halt:,}", (halt, patience / 2), xytext=(8, 0),
                         textcoords="offset points", va="center", color=HALT, fontsize=9)  # fmt: skip
        if max_steps and max_steps > halt:
            axes[0].text(halt, 0.5, f"  not trained: {max_steps - halt:,} of {max_steps:,} steps", color="#555555",
                         fontsize=8, va="center", transform=axes[0].get_xaxis_transform())  # fmt: skip
    if max_steps:
        axes[0].set_xlim(0, max_steps)
    fig.suptitle(title, fontsize=10)
    return list(axes)


def _title(samples: Sequence[dict[str, Any]], step: int, max_steps: int, loss: float | None, patience: int) -> str:
    ema = "-" if loss is None else f"{loss:.2f}"
    if not samples:
        return f"step {step:,}/{max_steps:,} · loss EMA {ema} · no sample yet"
    last, halt = samples[-1], _halt_step(samples)
    head = f"step {step:,}/{max_steps:,}" if halt is None else f"HALTED at step {halt:,}"
    return (f"{head} · loss EMA {ema} · last sample {last['total']:.1f} ({last['source']}) · "
            f"counter {last['consecutive']}/{patience}")  # fmt: skip


class LivePlot:
    """The trainer's ``on_step`` hook (and with ``on_sample``, its sample hook) that redraws the run's picture.

    Drive it without a browser or a kernel by calling it with a run (anything with ``step``, ``loss_ema``,
    ``cfg`` and ``alarm.last``); read ``loss_steps``, ``losses``, ``samples``, ``redraws`` and ``figure()``.
    """

    def __init__(self, min_interval: float = 2.5, dpi: int = 72) -> None:
        # Seconds between redraws at least: a redraw (figure and PNG) costs ~0.2 s of the run's CPU time.
        self.min_interval = min_interval
        self.dpi = dpi  # the picture's resolution: 72 keeps each PNG small and quick to send to the browser
        self.loss_steps: list[int] = []
        self.losses: list[float] = []
        self.samples: list[dict[str, Any]] = []
        self.redraws = 0
        self.threshold, self.patience, self.vocab_size, self.max_steps = 30.0, 5, 8449, 0
        self._fig: Figure | None = None
        self._handle: Any = None  # IPython's DisplayHandle, once the picture is on screen
        self._last_draw = -math.inf

    def __call__(self, run: Any) -> None:
        if not self.loss_steps:  # the first step: take the run's settings
            cfg = run.cfg
            self.threshold, self.patience = cfg.alarm.threshold, cfg.alarm.patience
            self.vocab_size, self.max_steps = cfg.model.vocab_size, cfg.max_steps
        self.loss_steps.append(run.step)
        self.losses.append(run.loss_ema)
        self._add_sample(run.alarm.last)

    def on_sample(self, run: Any, record: dict[str, Any]) -> None:
        """The trainer's ``on_sample`` hook: add the sample the gate has just seen, and redraw."""
        self._add_sample(record)

    def _add_sample(self, record: dict[str, Any] | None) -> None:
        # Each sample once, whichever hook brings it first (with both hooks, on_step sees it again a step later).
        if record is not None and (not self.samples or record["step"] > self.samples[-1]["step"]):
            self.samples.append(record)
            if time.perf_counter() - self._last_draw >= self.min_interval:
                self.redraw()

    def figure(self) -> Figure:
        """The picture as it stands (one Figure, redrawn in place)."""
        if self._fig is None:
            self._fig = Figure(figsize=(10, 6.2), dpi=self.dpi, layout="constrained")
        step = self.loss_steps[-1] if self.loss_steps else 0
        loss = self.losses[-1] if self.losses else None
        draw_run(self._fig, self.loss_steps, self.losses, self.samples, threshold=self.threshold,
                 patience=self.patience, vocab_size=self.vocab_size, max_steps=self.max_steps,
                 title=_title(self.samples, step, self.max_steps, loss, self.patience))  # fmt: skip
        return self._fig

    def redraw(self) -> None:
        """Redraw now, and show it in place when running in a Jupyter kernel."""
        fig = self.figure()
        self.redraws += 1
        self._last_draw = time.perf_counter()
        if self._handle is not None:
            self._handle.update(fig)
            return
        try:
            from IPython import get_ipython
        except ImportError:  # coursekit works without IPython
            return
        if get_ipython() is not None:
            from IPython.display import display

            self._handle = display(fig, display_id=True)

    def finish(self, run_dir: str | Path | None = None) -> None:
        """The final picture: with ``run_dir``, the samples are re-read from its log, the last one included."""
        if run_dir is not None and (Path(run_dir) / SAMPLES_FILE).exists():
            self.samples = read_log(Path(run_dir) / SAMPLES_FILE)[0]
        self.redraw()


def run_figure(run_dir: str | Path) -> Figure:
    """The static picture of a finished (or running) run, from its ``samples.jsonl`` and ``config.json``."""
    run_dir = Path(run_dir)
    log = run_dir / SAMPLES_FILE
    if not log.exists():
        raise FileNotFoundError(f"{run_dir} has no {SAMPLES_FILE}: no sample was logged there (is it a run folder?)")
    cfg = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    samples = read_log(log)[0]
    points = [(r["step"], r["loss_ema"]) for r in samples if r["loss_ema"] is not None]
    steps, losses = (list(v) for v in zip(*points)) if points else ([], [])
    patience = cfg["alarm"]["patience"]
    last = samples[-1] if samples else None
    title = f"{run_dir.name}: " + _title(samples, last["step"] if last else 0, cfg["max_steps"],
                                         last["loss_ema"] if last else None, patience)  # fmt: skip
    fig = Figure(figsize=(10, 6.2), layout="constrained")
    draw_run(fig, steps, losses, samples, threshold=cfg["alarm"]["threshold"], patience=patience,
             vocab_size=cfg["model"]["vocab_size"], max_steps=cfg["max_steps"], title=title)  # fmt: skip
    return fig
