"""Lesson 00, start here: the environment check and two warm-up exercises that show how checks work.

    from coursekit.course.lessons.lesson00 import environment_report, q1, q2
"""

from __future__ import annotations

import platform
import sys
from typing import Any

from coursekit.alarm.metrics import english_lexicon
from coursekit.course.exercise import Incorrect, Problem, as_number
from coursekit.course.freetext import FreeTextProblem, KeyIdea

__all__ = ["environment_report", "WARMUP_TEXT", "q1", "q2"]

WARMUP_TEXT = "Region region, REGION! region"  # q1's sample: case and punctuation, the word rule's two traps
MIN_PYTHON = (3, 11)


def environment_report(show: bool = True) -> dict[str, Any]:
    """Versions, the compute device and the lexicon size; printed as a table unless ``show=False``.

    Everything the course needs is checked here so that a broken install shows up in lesson 00, not halfway
    through lesson 05. A GPU is optional: every notebook runs on a CPU.
    """
    import matplotlib
    import numpy
    import torch

    import coursekit

    try:
        import ipywidgets

        widgets = ipywidgets.__version__
    except ImportError:
        widgets = "MISSING: the scorer widgets fall back to static figures"
    if torch.cuda.is_available():
        device = f"cuda: {torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = "mps (Apple GPU)"
    else:
        device = f"cpu only ({platform.processor() or platform.machine()}); fine for every notebook"
    version = sys.version.split()[0]
    if sys.version_info < MIN_PYTHON:
        version += f"  <-- TOO OLD: the course needs {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer"
    report = {
        "python": version,
        "coursekit": coursekit.__version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "matplotlib": matplotlib.__version__,
        "ipywidgets": widgets,
        "device": device,
        "lexicon words": len(english_lexicon()),
    }
    if show:
        width = max(map(len, report))
        for key, value in report.items():
            print(f"{key:>{width}}  {value}")
    return report


class WordCount(Problem):
    label = "Lesson 00 · Q1"
    names = ("n_words", "n_distinct")
    hints = (
        "The course's word rule is `text.lower().split()`: lowercase, then split on whitespace.",
        "Nothing else happens to a word: punctuation stays attached to it.",
        "Run `WARMUP_TEXT.lower().split()` and look at the list before you count.",
    )
    solution_code = """
n_words = len(WARMUP_TEXT.lower().split())
n_distinct = len(set(WARMUP_TEXT.lower().split()))
"""

    def evaluate(self, n_words: Any, n_distinct: Any) -> str:
        words = WARMUP_TEXT.lower().split()
        got_words, got_distinct = as_number(n_words, "n_words"), as_number(n_distinct, "n_distinct")
        if got_words != len(words):
            raise Incorrect("`n_words` is off: split on whitespace only, and count every word, repeats included.")
        if got_distinct == len({w.strip(",!") for w in words}):
            raise Incorrect(
                "`n_distinct` is off: the rule does not strip punctuation, so is `region,` the same word as `region`?"
            )
        if got_distinct != len(set(words)):
            raise Incorrect("`n_distinct` is off: lowercase first, then count each different word once.")
        return "the metrics in lesson 03 see exactly these words."


class WhyUnnoticed(FreeTextProblem):
    label = "Lesson 00 · Q2"
    min_sentences, max_sentences = 1, 3
    ideas = (
        KeyIdea("what the loss curve showed", (r"loss", r"curve")),
        KeyIdea("what happened to the samples", (r"sample", r"output", r"generat", r"text")),
        KeyIdea("that nobody (and no code) looked at them", (
            r"nobody|no one|no-one|never|not (?:read|look|check|analy|score|call)|wasn.t|weren.t|didn.t|unread",
        )),
    )
    model_answer = (
        "The training loss kept falling, so the run looked healthy on the dashboard. The samples that showed the "
        "collapse were stored every 200 steps, but nobody read them and the scorer that existed was never called "
        "on the firehose code path."
    )


q1 = WordCount()
q2 = WhyUnnoticed()
