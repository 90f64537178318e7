"""Lesson 03, building the metrics: implement the four axes and the composite, then test "why four metrics".

    from coursekit.course.lessons.lesson03 import AXES, CLAIM_TEXTS, q1, q2, q3, q4, q5, q6, q7

The learner's functions are checked against coursekit.alarm.metrics on every sample of the failure-mode battery
(data/battery.jsonl, coursekit.course.battery) plus a few edge cases, and a failure names the case. The failure-mode
x axis matrix (q6) and the verdicts on the account's four claims (q7) are computed from the battery with the
reference scorer in ``lesson03_reference``, which the notebook does not import: the answers are not one import away.

An axis *flags* a sample when it keeps less than half of its points (``FLAG_FRACTION``); it flags a failure
mode when it flags more than half of that mode's samples.
"""

from __future__ import annotations

from typing import Any

from coursekit.alarm.metrics import (
    bigram_diversity,
    character_diversity,
    english_lexicon,
    english_word_presence,
    eval_chat_quality,
    trigram_diversity,
)
from coursekit.course.battery import MODES
from coursekit.course.exercise import Incorrect, Problem, ReferenceFunction
from coursekit.course.leniency import as_bool
from coursekit.course.widgets import AXES, AXIS_MAX

from . import lesson03_reference as _ref
from .lesson03_reference import FLAG_FRACTION, axis_flags, battery_rows, flagged, scored_battery

__all__ = [
    "AXES",
    "AXIS_MAX",
    "FLAG_FRACTION",
    "MODES",
    "CLAIM_TEXTS",
    "EDGE_CASES",
    "axis_flags",
    "battery_rows",
    "flagged",
    "scored_battery",
    "english_lexicon",  # re-exported: the learner's own english_word_presence (q3) needs it
    "q1", "q2", "q3", "q4", "q5", "q6", "q7",
]  # fmt: skip

CLAIM_TEXTS = {key: claim.text for key, claim in _ref.CLAIMS.items()}  # what the notebook shows; not the tests

# Cases the battery does not spell out, each aimed at one rule of docs/specification.md §4.
EDGE_CASES = {
    "one word": "hello",
    "two words": "hello world",
    "mixed case": "Region REGION region region",
    "punctuation around words": "(hello) world! 'quoted' -- 42 ...",
    "tabs and newlines": "the\tcat\nsat  on\n\nthe mat",
    "a repeated bigram": "a b a b c",
    "21 distinct letters": "abcdefghijklmnopqrstu",
    "case-sensitive characters": "aA bB cC",
}


# --- the four axes and the composite --------------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _cases() -> list[tuple[str, str]]:
    battery = [(f"battery sample `{rec['id']}` ({rec['mode']})", rec["text"]) for rec, _ in scored_battery()]
    return battery + [(f"the edge case '{name}'", text) for name, text in EDGE_CASES.items()]


class ScorerFunction(ReferenceFunction):
    """A learner's scoring function, compared with ``reference`` on the battery and the edge cases."""

    cases_note = f"the battery and {len(EDGE_CASES)} edge cases"

    def cases(self) -> list[tuple[str, str]]:
        return _cases()


class Bigram(ScorerFunction):
    label = "Lesson 03 · Q1"
    names = ("bigram_diversity",)
    reference = staticmethod(bigram_diversity)
    hints = (
        "Words are `text.lower().split()`. Bigrams are pairs of neighbouring words: `zip(words, words[1:])`.",
        "Distinct bigrams: put them in a `set`. The score is 35 x distinct / total.",
        "With fewer than 2 words there are no bigrams: return 0.0 before dividing.",
    )
    solution_code = """
def bigram_diversity(text):
    words = text.lower().split()
    if len(words) < 2:
        return 0.0
    bigrams = list(zip(words, words[1:]))
    return 35 * len(set(bigrams)) / len(bigrams)
"""


class Trigram(ScorerFunction):
    label = "Lesson 03 · Q2"
    names = ("trigram_diversity",)
    reference = staticmethod(trigram_diversity)
    hints = (
        "The same as bigrams, with windows of three: `zip(words, words[1:], words[2:])`.",
        "With fewer than 3 words there are no trigrams: return 0.0.",
    )
    solution_code = """
def trigram_diversity(text):
    words = text.lower().split()
    if len(words) < 3:
        return 0.0
    trigrams = list(zip(words, words[1:], words[2:]))
    return 35 * len(set(trigrams)) / len(trigrams)
"""


class English(ScorerFunction):
    label = "Lesson 03 · Q3"
    names = ("english_word_presence",)
    reference = staticmethod(english_word_presence)
    hints = (
        "`LEXICON = english_lexicon()` is a frozenset of lowercase words; the words are `text.lower().split()`.",
        "A word's core drops the leading and trailing characters that are not `str.isalpha()`: `(hello!)` -> `hello`.",
        "One way to find the core: the positions of the letters, then slice from the first to the last.",
        "No words at all scores 0.0; otherwise 20 x (words whose core is in the lexicon) / (all words).",
    )
    solution_code = """
LEXICON = english_lexicon()


def english_word_presence(text):
    words = text.lower().split()
    if not words:
        return 0.0

    def core(word):  # the word from its first letter to its last
        letters = [i for i, ch in enumerate(word) if ch.isalpha()]
        return word[letters[0] : letters[-1] + 1] if letters else ""

    return 20 * sum(core(w) in LEXICON for w in words) / len(words)
"""


class Chars(ScorerFunction):
    label = "Lesson 03 · Q4"
    names = ("character_diversity",)
    reference = staticmethod(character_diversity)
    hints = (
        "Count distinct characters of the original text (no lowercasing), skipping whitespace (`str.isspace`).",
        "The score is 10 x min(1, distinct / 20): twenty different characters earn all 10 points.",
    )
    solution_code = """
def character_diversity(text):
    distinct = {ch for ch in text if not ch.isspace()}
    return 10 * min(1, len(distinct) / 20)
"""


class Composite(ScorerFunction):
    label = "Lesson 03 · Q5"
    names = ("composite",)
    reference = staticmethod(lambda text: eval_chat_quality(text).total)
    hints = (
        "The composite is the plain sum of the four axes, 0-100; use your functions from Q1-Q4.",
        "If this check crashes with 'ellipsis', one of your four functions is still a stub.",
    )
    solution_code = """
def composite(text):
    return bigram_diversity(text) + trigram_diversity(text) + english_word_presence(text) + character_diversity(text)
"""


# --- the failure-mode x axis matrix and the claims ------------------------------------------------------------


class Matrix(Problem):
    label = "Lesson 03 · Q6"
    names = ("matrix",)
    hints = (
        "For each mode, score its battery samples and note which axes keep less than half their points.",
        "An axis goes in a mode's set when it flags more than half of that mode's samples.",
        "`{mode: {axis for axis in AXES if <share of the mode's samples it flags> > 0.5} for mode in MODES}`.",
    )
    context_code = ("import numpy as np\nfrom coursekit.alarm import metrics as ref\n"
                    "from coursekit.course.battery import load_battery\nbattery = load_battery()")
    solution_code = """
matrix = {}
for mode in MODES:
    scores = [ref.eval_chat_quality(rec["text"]) for rec in battery if rec["mode"] == mode]
    shares = {axis: np.mean([getattr(s, axis) < AXIS_MAX[axis] / 2 for s in scores]) for axis in AXES}
    matrix[mode] = {axis for axis, share in shares.items() if share > 0.5}
"""

    def evaluate(self, matrix: Any) -> str:
        if not isinstance(matrix, dict):
            raise Incorrect(f"`matrix` should be a dict from mode to a set of axes, got a {type(matrix).__name__}.")
        missing, extra = [m for m in MODES if m not in matrix], [repr(m) for m in matrix if m not in MODES]
        if missing or extra:
            raise Incorrect(f"`matrix` needs one key per mode: missing {missing or 'none'}, unknown {extra or 'none'}.")
        for mode, axes in matrix.items():
            if isinstance(axes, str) or not isinstance(axes, (set, frozenset, list, tuple)):
                raise Incorrect(f"`matrix[{mode!r}]` should be a set of axis names, got a {type(axes).__name__}.")
            unknown = [a for a in axes if a not in AXES]
            if unknown:
                raise Incorrect(f"`matrix[{mode!r}]` has {unknown}; the axis names are {', '.join(AXES)}.")
        want = _ref.failure_matrix()
        wrong_rows = [m for m in MODES if set(matrix[m]) != want[m]]
        if wrong_rows:
            cells = sum(len(set(matrix[m]) ^ want[m]) for m in wrong_rows)
            raise Incorrect(f"the battery disagrees with {_count(cells, 'cell')} of your {len(MODES) * len(AXES)}, "
                            f"in the {'row' if len(wrong_rows) == 1 else 'rows'} {', '.join(wrong_rows)}.")
        return "the matrix is what the battery says. Now read it against the argument."


class Claims(Problem):
    label = "Lesson 03 · Q7"
    names = ("claims",)
    hints = (
        "Each claim says that one axis fails a kind of text and another passes it. `flagged(rows, axis, mode)` says "
        "whether an axis fails (flags more than half of) a mode's samples.",
        "Claim A: `flagged(rows, \"bigram\", \"single_token_loop\") and not flagged(rows, \"chars\", "
        "\"single_token_loop\")`. \"May pass\" is `any(...)` over the samples.",
        "Claim C is about each language: look at every hand-written non-English sample, `origin == \"hand\"`.",
    )
    context_code = "rows = battery_rows()"
    solution_code = """
claims = {
    "A": flagged(rows, "bigram", "single_token_loop") and not flagged(rows, "chars", "single_token_loop"),
    "B": flagged(rows, "chars", "punctuation_noise")
         and any("bigram" not in flags for mode, _, flags in rows if mode == "punctuation_noise"),
    "C": all("english" in flags and not flags & {"bigram", "trigram"}
             for mode, origin, flags in rows if mode == "non_english" and origin == "hand"),
    "D": not flagged(rows, "bigram", "ab_loop") and flagged(rows, "trigram", "ab_loop"),
}
"""

    def evaluate(self, claims: Any) -> str:
        if not isinstance(claims, dict):
            raise Incorrect(f"`claims` should be a dict from letter to True/False, got a {type(claims).__name__}.")
        missing = [k for k in CLAIM_TEXTS if k not in claims]
        if missing:
            raise Incorrect(f"`claims` has no verdict for {', '.join(missing)}.")
        claims = {k: as_bool(claims[k], f"claims[{k!r}]") for k in CLAIM_TEXTS}  # numpy booleans count as booleans
        want = _ref.claim_verdicts()
        wrong = sum(claims[k] != want[k] for k in CLAIM_TEXTS)
        if wrong:
            raise Incorrect(f"the battery contradicts {_count(wrong, 'verdict')} of your {len(CLAIM_TEXTS)}. Test "
                            "each claim on the samples it talks about, one by one.")
        held = sum(want.values())
        verb = "survives" if held == 1 else "survive"
        return (f"{held} of the account's {len(CLAIM_TEXTS)} claims {verb} the battery under the course's "
                "formulas; the next cells show why the others do not.")


q1 = Bigram()
q2 = Trigram()
q3 = English()
q4 = Chars()
q5 = Composite()
q6 = Matrix()
q7 = Claims()
