"""coursekit: the reference code of the Smoke Alarm course, and a coherence alarm for real training loops.

Headline names are re-exported here::

    from coursekit import CoherenceGate, V3Gate, V4Gate, eval_chat_quality

The package is layered; each layer may import only the layers below it (import-linter checks it, see
pyproject.toml)::

    coursekit.cli          the `coursekit` command: a thin layer over the functions below
    coursekit.course       exercises, notebooks, grading, widgets, and the lessons
    coursekit.incident     ANDREA-120M v1 reconstructed
    coursekit.train        the model, data, curriculum, runners and the one sample path
    coursekit.backtest     replaying run logs through gates; the shipped logs
    coursekit.integrations the alarm in training loops: plain PyTorch, Hugging Face, Lightning
    coursekit.alarm        scoring, gates and the run-log format (no torch, no matplotlib)

(``train`` and ``backtest`` are independent of each other.) Modules from before the split keep their old names
(``coursekit.trainer`` ...) with a deprecation warning: see ``coursekit/_moved.py``.
"""

from coursekit.alarm.gate import CoherenceGate, GateDecision
from coursekit.alarm.metrics import (
    SampleScore,
    bigram_diversity,
    character_diversity,
    english_lexicon,
    english_word_presence,
    eval_chat_quality,
    trigram_diversity,
)
from coursekit.alarm.v3gate import V3Gate
from coursekit.alarm.v4gate import V4Gate, judge

from . import _moved

_moved.install()

__version__ = "0.1.0"

__all__ = [
    "CoherenceGate",
    "GateDecision",
    "V3Gate",
    "V4Gate",
    "judge",
    "SampleScore",
    "bigram_diversity",
    "character_diversity",
    "english_lexicon",
    "english_word_presence",
    "eval_chat_quality",
    "trigram_diversity",
]
