"""Lesson 02, hand-scoring: score v1's ``region`` x 8 sample on the four axes by hand, then at 64 words.

    from coursekit.course.lessons.lesson02 import REGION_8, REGION_64, q1, q2, q3, q4, q5, q6

Every expected value is computed here with coursekit.alarm.metrics and coursekit.alarm.gate, the reference the course
defines (docs/specification.md §4); the checks accept hand arithmetic rounded to two decimals.
"""

from __future__ import annotations

from typing import Any

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.metrics import (
    BIGRAM_MAX,
    CHARS_FULL_AT,
    CHARS_MAX,
    TRIGRAM_MAX,
    bigram_diversity,
    character_diversity,
    english_word_presence,
    eval_chat_quality,
    trigram_diversity,
)
from coursekit.course.exercise import Incorrect, Problem, as_number, expect_number
from coursekit.course.freetext import FreeTextProblem, KeyIdea
from coursekit.course.leniency import as_bool

from . import lesson02_reference as _ref  # the answers: used by the checks, never imported by the notebook
from .lesson02_reference import LOOP_WORD, REGION_8, REGION_64, SHORTEST_FROM, region_loop

__all__ = [
    "LOOP_WORD", "REGION_8", "REGION_64", "region_loop", "q1", "q2", "q3", "q4", "q5", "q6",
]

HAND_TOL = 0.006  # absolute: hand arithmetic rounded to two decimals passes (5.8333 may be given as 5.83)


def _hand(value: Any, name: str, want: float, otherwise: str, slips: list[tuple[float, str]] = ()) -> float:
    """``expect_number`` for hand arithmetic: two decimals are enough."""
    return expect_number(value, name, want, otherwise, slips, HAND_TOL, absolute=True)


class NgramAxes(Problem):
    label = "Lesson 02 · Q1"
    names = ("bigram_8", "trigram_8")
    hints = (
        "List the sample's bigrams (pairs of neighbouring words). How many are there, and how many are different?",
        "n words have n - 1 bigrams and n - 2 trigrams; here every one of them is the same.",
        "bigram diversity = 35 x distinct / total, so 35 x 1/7; do the same for trigrams.",
    )
    solution_code = """
bigram_8 = 35 * 1 / 7  # 8 words make 7 bigrams, all ("region", "region"): 1 distinct
trigram_8 = 35 * 1 / 6  # 6 trigrams, 1 distinct
"""

    def evaluate(self, bigram_8: Any, trigram_8: Any) -> str:
        n = len(REGION_8.split())
        for name, value, want, size in (
            ("bigram_8", bigram_8, bigram_diversity(REGION_8), 2),
            ("trigram_8", trigram_8, trigram_diversity(REGION_8), 3),
        ):
            top = BIGRAM_MAX if size == 2 else TRIGRAM_MAX
            slips = [
                (top * 1 / n, f"`{name}`: count the {size}-word windows again: how many fit in {n} words?"),
                (top, f"`{name}`: 'distinct' means different from each other; how many different windows are there?"),
                (1 / (n - size + 1), f"`{name}`: that is the ratio; the axis scales it to 0-{top:g}."),
            ]
            _hand(value, name, want, f"`{name}` is off: distinct windows / all windows, times {top:g}.", slips)
        return "with one distinct window, n-gram diversity is 35 / (number of windows), whatever the word."


class OtherAxes(Problem):
    label = "Lesson 02 · Q2"
    names = ("english_8", "chars_8")
    hints = (
        "English presence: what share of the words are in the English lexicon? Try `'region' in english_lexicon()`.",
        "Character diversity counts distinct characters, not characters, and ignores whitespace.",
        f"The distinct characters of 'region' are r, e, g, i, o, n; "
        f"the axis is {CHARS_MAX:g} x min(1, distinct / {CHARS_FULL_AT}).",
    )
    solution_code = """
english_8 = 20 * 8 / 8  # "region" is in the lexicon: all 8 words count
chars_8 = 10 * min(1, 6 / 20)  # r, e, g, i, o, n: 6 distinct non-space characters
"""

    def evaluate(self, english_8: Any, chars_8: Any) -> str:
        not_english = [(0.0, "`english_8`: 'region' is in the lexicon, so every word counts as English.")]
        _hand(english_8, "english_8", english_word_presence(REGION_8),
              "`english_8` is off: is 'region' an English word, and what share of the words is it?", not_english)
        distinct = len(set(REGION_8) - {" "})
        every_char = len(REGION_8.replace(" ", ""))
        char_slips = [
            (CHARS_MAX * (distinct + 1) / CHARS_FULL_AT, "`chars_8`: the space is whitespace, which does not count."),
            (CHARS_MAX * min(1, every_char / CHARS_FULL_AT), "`chars_8`: count each different character once."),
        ]
        _hand(chars_8, "chars_8", character_diversity(REGION_8),
              "`chars_8` is off: distinct non-space characters, divided by 20, capped at 1, times 10.", char_slips)
        return "a repeated real word is perfectly English, and six letters earn 3 of the 10 character points."


class Verdict8(Problem):
    label = "Lesson 02 · Q3"
    names = ("total_8", "degenerate_8", "halts_8")
    hints = (
        "The total is the sum of your four axis scores.",
        "Degenerate means strictly below the threshold of 30.",
        "The gate halts after `patience` = 5 degenerate samples in a row. How many has it seen?",
    )
    solution_code = """
total_8 = bigram_8 + trigram_8 + english_8 + chars_8
degenerate_8 = total_8 < 30
halts_8 = False  # the gate halts after 5 degenerate samples in a row; this is one sample
"""

    def evaluate(self, total_8: Any, degenerate_8: Any, halts_8: Any) -> str:
        score = eval_chat_quality(REGION_8)
        _hand(total_8, "total_8", score.total, "`total_8` is off: add up the four axes you scored in Q1 and Q2.")
        if as_bool(degenerate_8, "degenerate_8") != score.degenerate():
            raise Incorrect("`degenerate_8`: compare the total with the threshold of 30 (degenerate: strictly below).")
        if as_bool(halts_8, "halts_8") != CoherenceGate().observe(0, REGION_8).halt:
            raise Incorrect("`halts_8`: the gate needs `patience` degenerate samples in a row. How many is one sample?")
        return f"the loop passes: {score.total:.2f} is not below 30, and one sample could never halt the gate anyway."


class Verdict64(Problem):
    label = "Lesson 02 · Q4"
    names = ("total_64", "degenerate_64")
    hints = (
        "Same word, 64 times: English and character diversity do not change. What happens to the n-gram axes?",
        "64 words have 63 bigrams and 62 trigrams, still only one distinct of each.",
    )
    solution_code = """
total_64 = 35 * 1 / 63 + 35 * 1 / 62 + 20 + 3  # 63 bigrams and 62 trigrams, 1 distinct each
degenerate_64 = total_64 < 30
"""

    def evaluate(self, total_64: Any, degenerate_64: Any) -> str:
        score = eval_chat_quality(REGION_64)
        eight = eval_chat_quality(REGION_8).total
        same = [(eight, "`total_64` is the 8-word total: the n-gram axes change with the number of words.")]
        _hand(total_64, "total_64", score.total, "`total_64` is off: redo the two n-gram axes for 64 words.", same)
        if as_bool(degenerate_64, "degenerate_64") != score.degenerate():
            raise Incorrect("`degenerate_64`: compare the total with the threshold of 30.")
        return "same collapse, different verdict: only the sample's length changed."


class ShortestLoop(Problem):
    label = "Lesson 02 · Q5"
    names = ("shortest_degenerate",)
    hints = (
        "Write the total for `region` x n as a formula in n, or just score n = 3, 4, 5 ... with `eval_chat_quality`.",
        "Loop: `n = 3`, and while `eval_chat_quality(region_loop(n)).total >= 30`, add one.",
    )
    solution_code = (
        "shortest_degenerate = next(n for n in range(3, 1000) if eval_chat_quality(region_loop(n)).degenerate())"
    )

    def evaluate(self, shortest_degenerate: Any) -> str:
        got, want = as_number(shortest_degenerate, "shortest_degenerate"), _ref.shortest_degenerate_loop()
        if got != int(got) or got < SHORTEST_FROM:
            raise Incorrect(f"`shortest_degenerate` should be a whole number of words, at least {SHORTEST_FROM}.")
        if got > want:
            raise Incorrect(f"a loop shorter than {int(got)} words is already degenerate: look further down.")
        if got < want:
            raise Incorrect(f"`region_loop({int(got)})` still passes: check its total against the threshold.")
        return f"from {want} words on, the same one-word loop is degenerate; below that it passes."


class LengthBias(FreeTextProblem):
    label = "Lesson 02 · Q6"
    min_sentences, max_sentences = 2, 3
    ideas = (
        KeyIdea("what happens to the n-gram counts as the sample grows", (
            r"distinct", r"unique", r"one (?:bigram|trigram|n-?gram)", r"denominator", r"divid", r"ratio", r"/\s*\(?n",
        )),
        KeyIdea("that the same collapse gets a different verdict depending on length", (
            r"length", r"long", r"short", r"more words", r"fewer words",
        )),
        KeyIdea("what that means for how samples must be taken (or for the threshold)", (
            r"fix", r"same length", r"constant", r"threshold", r"compar", r"normali", r"depend",
        )),
    )
    model_answer = (
        'A loop has one distinct bigram and one distinct trigram however long it is, but the number of bigrams '
        'and trigrams grows with the sample, so the two diversity axes fall like 35/(n-1): the same collapse '
        "scores 33.83 at 8 words and 24.12 at 64. The verdict therefore depends on the sample's length as much as "
        'on the model, so every sample must be scored at the same length in the unit the axes count, words: the '
        "course's sample path generates until it has 32 words and scores exactly those."
    )


q1 = NgramAxes()
q2 = OtherAxes()
q3 = Verdict8()
q4 = Verdict64()
q5 = ShortestLoop()
q6 = LengthBias()
