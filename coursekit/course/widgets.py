"""The interactive scorer (lessons 02 and 03): type or paste a sample, watch the four axes and the verdict.

    scorer_widget("region region region")     # a text box, four bars, the composite and the verdict
    plot_scores({"v1, step 80,000": REGION_8}) # the static twin: the same numbers as a matplotlib figure

A widget needs a live Jupyter front end; on GitHub, in an HTML export or in CI it shows nothing useful. So each
notebook that shows a widget also draws ``plot_scores`` for the same samples, which reads correctly anywhere.
ipywidgets is imported only when a widget is built, so the rest of coursekit does not need it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from coursekit.alarm.metrics import (
    BIGRAM_MAX,
    CHARS_MAX,
    DEFAULT_THRESHOLD,
    ENGLISH_MAX,
    TRIGRAM_MAX,
    SampleScore,
    eval_chat_quality,
)
from coursekit.alarm.runlog import preview

__all__ = ["AXES", "AXIS_MAX", "AXIS_LABELS", "ScorerWidget", "scorer_widget", "plot_scores"]

AXES = ("bigram", "trigram", "english", "chars")  # SampleScore's axis fields, in the composite's order
AXIS_MAX = {"bigram": BIGRAM_MAX, "trigram": TRIGRAM_MAX, "english": ENGLISH_MAX, "chars": CHARS_MAX}
AXIS_LABELS = {
    "bigram": "bigram diversity",
    "trigram": "trigram diversity",
    "english": "English words",
    "chars": "character diversity",
}
AXIS_COLORS = {"bigram": "#1f77b4", "trigram": "#6baed6", "english": "#2ca02c", "chars": "#ff7f0e"}
LOW_SHARE = 0.5  # a bar turns red when its axis keeps less than this share of its points


def _verdict_html(score: SampleScore, threshold: float) -> str:
    if score.degenerate(threshold):
        return f'<b style="color:#c62828">DEGENERATE</b>: {score.total:.2f} is below the threshold of {threshold:g}'
    return f'<b style="color:#2e7d32">passes</b>: {score.total:.2f} is not below the threshold of {threshold:g}'


class ScorerWidget:
    """A text box wired to four bars (one per axis), the composite and the verdict; updates as you type.

    The parts are attributes so that code (and tests) can drive it without a browser: set ``text.value`` and
    read ``bars[axis].value``, ``labels[axis].value``, ``total.value``, ``verdict.value`` and ``score``.
    """

    def __init__(
        self,
        text: str = "",
        threshold: float = DEFAULT_THRESHOLD,
        scorer: Callable[[str], SampleScore] = eval_chat_quality,
    ) -> None:
        import ipywidgets as w

        self.threshold, self.scorer = threshold, scorer
        self.text = w.Textarea(
            value=text,
            placeholder="Type or paste a sample...",
            continuous_update=True,
            layout=w.Layout(width="100%", height="90px"),
        )
        style = {"description_width": "140px"}
        self.bars = {
            a: w.FloatProgress(min=0.0, max=AXIS_MAX[a], description=AXIS_LABELS[a], style=style) for a in AXES
        }
        self.labels = {a: w.Label() for a in AXES}
        self.total = w.FloatProgress(min=0.0, max=100.0, description="composite", style=style)
        self.total_label = w.Label()
        self.verdict = w.HTML()
        rows = [w.HBox([self.bars[a], self.labels[a]]) for a in AXES]
        self.box = w.VBox([self.text, *rows, w.HBox([self.total, self.total_label]), self.verdict])
        # Stable hooks for the browser test (tests/test_browser.py) and for anyone styling the widget.
        for part, name in ((self.text, "text"), (self.total_label, "total"), (self.verdict, "verdict")):
            part.add_class(f"coursekit-scorer-{name}")
        self.score: SampleScore | None = None
        self.text.observe(lambda change: self.update(change["new"]), names="value")
        self.update(text)

    def update(self, text: str) -> SampleScore:
        """Score ``text`` and move every bar and label to match; returns the score."""
        score = self.scorer(text)
        for a in AXES:
            value = getattr(score, a)
            self.bars[a].value = value
            self.bars[a].bar_style = "danger" if value < LOW_SHARE * AXIS_MAX[a] else "success"
            self.labels[a].value = f"{value:.2f} / {AXIS_MAX[a]:g}"
        self.total.value = score.total
        self.total.bar_style = "danger" if score.degenerate(self.threshold) else "success"
        self.total_label.value = f"{score.total:.2f} / 100"
        self.verdict.value = _verdict_html(score, self.threshold)
        self.score = score
        return score

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


def scorer_widget(text: str = "", threshold: float = DEFAULT_THRESHOLD) -> ScorerWidget:
    """Build the interactive scorer, pre-filled with ``text``; show it by making it a cell's last line."""
    if not isinstance(text, str):
        raise TypeError(f"scorer_widget() expects text as str, got {type(text).__name__}")
    return ScorerWidget(text, threshold)


def plot_scores(samples: Mapping[str, str] | Sequence[str], threshold: float = DEFAULT_THRESHOLD, ax: Any = None):
    """Static twin of the widget: one stacked bar per sample (the four axes' points), the threshold, the verdict.

    ``samples`` is a list of texts or a ``{label: text}`` dict. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if isinstance(samples, str):
        raise TypeError("plot_scores() expects a list of texts or a {label: text} dict, got a single str")
    items = list(samples.items()) if isinstance(samples, Mapping) else [(preview(t, 28, empty="(empty)"), t) for t in samples]
    if not items:
        raise ValueError("plot_scores() needs at least one sample")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.55 * len(items) + 1.6))
    scores = [eval_chat_quality(text) for _, text in items]
    y = list(range(len(items)))[::-1]  # first sample on top
    left = [0.0] * len(items)
    for a in AXES:
        widths = [getattr(s, a) for s in scores]
        ax.barh(y, widths, left=left, color=AXIS_COLORS[a], label=f"{AXIS_LABELS[a]} (0-{AXIS_MAX[a]:g})")
        left = [l + w for l, w in zip(left, widths)]
    for yi, s in zip(y, scores):
        verdict = "DEGENERATE" if s.degenerate(threshold) else "passes"
        ax.text(s.total + 1, yi, f"{s.total:.2f} {verdict}", va="center", fontsize=9, zorder=3,
                color="#c62828" if s.degenerate(threshold) else "#2e7d32",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(y, [label for label, _ in items])
    ax.set_xlim(0, 125)
    ax.set_xticks(range(0, 101, 10))
    ax.set_xlabel(f"composite score (stacked by axis); dashed line: threshold {threshold:g}")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=8, frameon=False)
    ax.figure.tight_layout()
    return ax.figure
