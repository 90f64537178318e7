"""coursekit: the reference code of the Smoke Alarm course, and a coherence alarm for real training loops.

Headline names are re-exported here::

    from coursekit import CoherenceGate, eval_chat_quality
"""

from .gate import CoherenceGate, GateDecision
from .metrics import (
    SampleScore,
    bigram_diversity,
    character_diversity,
    english_lexicon,
    english_word_presence,
    eval_chat_quality,
    trigram_diversity,
)
from .v3gate import V3Gate

__version__ = "0.1.0"

__all__ = [
    "CoherenceGate",
    "GateDecision",
    "V3Gate",
    "SampleScore",
    "bigram_diversity",
    "character_diversity",
    "english_lexicon",
    "english_word_presence",
    "eval_chat_quality",
    "trigram_diversity",
]
