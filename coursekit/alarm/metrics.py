"""The four-axis sample scorer behind the v2 coherence gate (docs/specification.md §4).

A generated sample is scored on four axes that together total 0-100:

    bigram diversity      0-35   35 * distinct word bigrams / word bigrams      (0 if < 2 words)
    trigram diversity     0-35   35 * distinct word trigrams / word trigrams    (0 if < 3 words)
    English word presence 0-20   20 * words whose core is in the lexicon / words (0 if no words)
    character diversity   0-10   10 * min(1, distinct non-whitespace characters / 20)

Words are ``text.lower().split()``. A word's *core* is the word with its leading and trailing non-letters
(``str.isalpha``) stripped; an empty core is not English. Characters are counted case-sensitively on the
original text. A sample is *degenerate* when its total is strictly below the threshold (30 by default).

Worked examples (tests/test_metrics.py checks them to 1e-9):

    "region " * 8   -> 5.0 + 5.8333 + 20.0 + 3.0 = 33.83   (passes: n-gram diversity alone is low)
    "region " * 64  -> 0.5556 + 0.5645 + 20.0 + 3.0 = 24.12 (degenerate)
    "''''' ''''' '' ''' ''" -> 35 + 35 + 0 + 0.5 = 70.5  (passes: the composite's blind spot)

``eval_chat_quality`` splits the text once and shares the word list between the axes, which is what makes it
about twice as fast as calling the four public axis functions (benchmarks/bench_gate.py).
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import asdict, dataclass
from importlib import resources

__all__ = [
    "BIGRAM_MAX",
    "TRIGRAM_MAX",
    "ENGLISH_MAX",
    "CHARS_MAX",
    "CHARS_FULL_AT",
    "DEFAULT_THRESHOLD",
    "SampleScore",
    "bigram_diversity",
    "trigram_diversity",
    "english_word_presence",
    "character_diversity",
    "eval_chat_quality",
    "english_lexicon",
    "english_words",
    "word_core",
]

BIGRAM_MAX = 35.0
TRIGRAM_MAX = 35.0
ENGLISH_MAX = 20.0
CHARS_MAX = 10.0
CHARS_FULL_AT = 20  # distinct non-whitespace characters that earn the full character score
DEFAULT_THRESHOLD = 30.0
LEXICON_FILE = "english_words.txt"


@dataclass(frozen=True)
class SampleScore:
    """One sample's four axis scores and their sum (all floats, unrounded)."""

    bigram: float
    trigram: float
    english: float
    chars: float
    total: float

    def degenerate(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """True when the total is strictly below ``threshold``: 30.0 itself is not degenerate."""
        return self.total < threshold

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _require_str(text: object, func: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{func}() expects text as str, got {type(text).__name__}")
    return text


@functools.cache
def english_words() -> tuple[str, ...]:
    """The lexicon's words in the data file's order, most frequent first (data/english_words.txt)."""
    text = resources.files("coursekit.data").joinpath(LEXICON_FILE).read_text(encoding="utf-8")
    return tuple(text.split())


@functools.cache
def english_lexicon() -> frozenset[str]:
    """The English lexicon: lowercase common English words (data/english_words.txt), loaded once and cached."""
    return frozenset(english_words())


def word_core(word: str) -> str:
    """``word`` without its leading and trailing non-letters: ``"(hello!)"`` -> ``"hello"``, ``"'''"`` -> ``""``."""
    if word.isalpha():  # the common case, and the fast path
        return word
    start, end = 0, len(word)
    while start < end and not word[start].isalpha():
        start += 1
    while end > start and not word[end - 1].isalpha():
        end -= 1
    return word[start:end]


# --- per-axis kernels on a pre-split, lowercased word list -------------------------------------------------


def _bigram(words: list[str]) -> float:
    n = len(words) - 1
    if n < 1:
        return 0.0
    return BIGRAM_MAX * len(set(zip(words, words[1:]))) / n


def _trigram(words: list[str]) -> float:
    n = len(words) - 2
    if n < 1:
        return 0.0
    return TRIGRAM_MAX * len(set(zip(words, words[1:], words[2:]))) / n


def _english(words: list[str]) -> float:
    if not words:
        return 0.0
    lexicon = english_lexicon()
    # Samples repeat words a lot (that is the failure we hunt), so each distinct word is looked up once;
    # Counter counts in C.
    hits = sum(c for w, c in Counter(words).items() if word_core(w) in lexicon)
    return ENGLISH_MAX * hits / len(words)


def _chars(text: str) -> float:
    distinct = sum(1 for ch in set(text) if not ch.isspace())
    return CHARS_MAX * min(1.0, distinct / CHARS_FULL_AT)


# --- public API ----------------------------------------------------------------------------------------------


def bigram_diversity(text: str) -> float:
    """35 x distinct word bigrams / word bigrams (0-35); 0 with fewer than 2 words."""
    return _bigram(_require_str(text, "bigram_diversity").lower().split())


def trigram_diversity(text: str) -> float:
    """35 x distinct word trigrams / word trigrams (0-35); 0 with fewer than 3 words."""
    return _trigram(_require_str(text, "trigram_diversity").lower().split())


def english_word_presence(text: str) -> float:
    """20 x share of words whose core is in the English lexicon (0-20); 0 with no words."""
    return _english(_require_str(text, "english_word_presence").lower().split())


def character_diversity(text: str) -> float:
    """10 x min(1, distinct non-whitespace characters / 20) (0-10), case-sensitive on the original text."""
    return _chars(_require_str(text, "character_diversity"))


def eval_chat_quality(text: str) -> SampleScore:
    """Score one sample on the four axes; ``total`` is their sum (0-100)."""
    words = _require_str(text, "eval_chat_quality").lower().split()
    b, t, e, c = _bigram(words), _trigram(words), _english(words), _chars(text)
    return SampleScore(bigram=b, trigram=t, english=e, chars=c, total=b + t + e + c)
