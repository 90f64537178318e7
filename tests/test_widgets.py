"""The scorer widget, driven without a browser, and its static twin."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from coursekit.alarm.metrics import eval_chat_quality  # noqa: E402
from coursekit.course.widgets import (  # noqa: E402
    AXES,
    AXIS_MAX,
    plot_scores,
    scorer_widget,
)

REGION8 = " ".join(["region"] * 8)


def test_widget_shows_the_reference_scores_and_verdict():
    w = scorer_widget(REGION8)
    # region x 8: 5.0 + 5.8333 + 20 + 3.0 = 33.83, passes
    assert [w.bars[a].value for a in AXES] == pytest.approx([5.0, 35 / 6, 20.0, 3.0])
    assert w.labels["trigram"].value == "5.83 / 35" and w.total_label.value == "33.83 / 100"
    assert "passes" in w.verdict.value and w.total.bar_style == "success"
    assert w.bars["bigram"].bar_style == "danger" and w.bars["english"].bar_style == "success"  # below half: red
    assert [w.bars[a].max for a in AXES] == [AXIS_MAX[a] for a in AXES]


@pytest.mark.parametrize("text", ["", " ".join(["region"] * 64), "''''' ''''' '' ''' ''", "The cat sat on the mat."])
def test_typing_updates_every_bar(text):
    w = scorer_widget()
    w.text.value = text  # what typing does
    ref = eval_chat_quality(text)
    assert [w.bars[a].value for a in AXES] == pytest.approx([getattr(ref, a) for a in AXES])
    assert w.total.value == pytest.approx(ref.total) and w.score == ref
    assert ("DEGENERATE" in w.verdict.value) == ref.degenerate()


def test_widget_rejects_non_text():
    with pytest.raises(TypeError, match="got int"):
        scorer_widget(42)


def test_plot_scores_draws_one_stacked_bar_per_axis_and_sample():
    fig = plot_scores({"loop": REGION8, "empty": "", "ok": "The cat sat on the mat."})
    ax = fig.axes[0]
    assert len(ax.patches) == 3 * len(AXES)
    by_height = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in by_height] == ["loop", "empty", "ok"]  # the first sample on top
    assert "33.83 passes" in [t.get_text() for t in ax.texts]
    plt.close(fig)
    fig = plot_scores(["a b c"])  # a list: labels are previews
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a b c"]
    plt.close(fig)


@pytest.mark.parametrize("bad, error", [("just a string", TypeError), ([], ValueError)])
def test_plot_scores_rejects_bad_input(bad, error):
    with pytest.raises(error):
        plot_scores(bad)
