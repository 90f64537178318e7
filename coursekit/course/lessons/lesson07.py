"""Lesson 07, real outputs: what v2 and v3 miss in real models' collapse, two signals that see it, a rule, a budget.

    from coursekit.course.lessons.lesson07 import q1, q2, q3, q4, q5, q6

Expected values come from coursekit's reference code on the real-world corpus (data/realworld/): v2's and v3's
per-sample verdicts, the signals of coursekit.alarm.signals, and the false-alarm arithmetic of
coursekit.alarm.falsealarm. A learner's rule (q4) is judged on the dev split and on probes made at check time,
never on the test split, which the lesson scores once, after the check.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

from coursekit.alarm import v4gate
from coursekit.alarm.falsealarm import false_alarms_per
from coursekit.alarm.signals import compression_ratio, repeated_ngram_coverage
from coursekit.course.exercise import Incorrect, Problem, ReferenceFunction, as_number, call_learner, close
from coursekit.course.freetext import FreeTextProblem, KeyIdea

from .lesson07_reference import CATCH_GOAL, FLAG_LIMIT, caught_shares, dev, probes, rates, test

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6"]

SHARE_TOL = 0.0005  # absolute, for shares: three decimals, as the notebook prints them, are enough
EDGE_CASES = {
    "the empty string": "",
    "one word": "loss",
    "a word said 40 times": " ".join(["region"] * 40),
    "mixed case and punctuation": "The gate. the GATE, the gate! The gate.",
    "non-ASCII letters": "Der Verlust fällt, und die Stichprobe bleibt gut. 损失 下降",
}


def _cases() -> list[tuple[str, str]]:
    corpus = [(f"corpus sample `{r['id']}` ({r['mode']})", r["text"]) for r in (*dev(), *test())]
    return corpus + [(f"the edge case '{name}'", text) for name, text in EDGE_CASES.items()]


# --- Q1: what v2 and v3 catch --------------------------------------------------------------------------------


class Caught(Problem):
    label = "Lesson 07 · Q1"
    names = ("v2_caught", "v3_caught")
    hints = (
        "Keep the dev split's degenerate records: `[r for r in dev if r['label'] == 'degenerate']`.",
        "v2 calls a sample bad when `eval_chat_quality(text).degenerate()`; v3 when `verdict(score, V3Config())` "
        "is not empty.",
        "Each answer is a share: the samples called bad divided by all degenerate samples, between 0 and 1.",
    )
    context_code = """
from coursekit.alarm.metrics import eval_chat_quality
from coursekit.alarm.v3gate import V3Config, verdict
from coursekit.backtest.datasets import load_realworld
dev = load_realworld("dev")
"""
    solution_code = """
degenerate = [r for r in dev if r["label"] == "degenerate"]
v2_caught = sum(eval_chat_quality(r["text"]).degenerate() for r in degenerate) / len(degenerate)
v3_caught = sum(bool(verdict(eval_chat_quality(r["text"]), V3Config())) for r in degenerate) / len(degenerate)
"""

    def evaluate(self, v2_caught: Any, v3_caught: Any) -> str:
        want = caught_shares()
        for name, value in (("v2_caught", v2_caught), ("v3_caught", v3_caught)):
            got = as_number(value, name)
            if 1 < got <= 100 and close(got / 100, want[name], SHARE_TOL, absolute=True):
                raise Incorrect(f"`{name}` looks like a percentage: give it as a share between 0 and 1.")
            if not close(got, want[name], SHARE_TOL, absolute=True):
                raise Incorrect(f"`{name}` is not the share of the dev split's degenerate samples that gate's "
                                "per-sample rule calls bad: count only degenerate records, and divide by all of them.")
        return (f"v2 catches {want['v2_caught']:.1%} of the dev split's degenerate samples, v3 "
                f"{want['v3_caught']:.1%}.")


# --- Q2 and Q3: two signals -----------------------------------------------------------------------------------


class SignalFunction(ReferenceFunction):
    """A learner's signal, compared with the reference on every corpus sample and the edge cases."""

    cases_note = f"every corpus sample and {len(EDGE_CASES)} edge cases"

    def cases(self) -> list[tuple[str, str]]:
        return _cases()


class Compression(SignalFunction):
    label = "Lesson 07 · Q2"
    names = ("compression_ratio",)
    reference = staticmethod(compression_ratio)
    hints = (
        "Encode the text to bytes first: `data = text.encode('utf-8')`.",
        "`zlib.compress(data)` gives the compressed bytes (default level); the ratio is original / compressed.",
        "The empty string has nothing to compress: return 0.0 before dividing.",
    )
    solution_code = """
import zlib


def compression_ratio(text):
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))
"""


class Coverage(SignalFunction):
    label = "Lesson 07 · Q3"
    names = ("repeated_ngram_coverage",)
    reference = staticmethod(repeated_ngram_coverage)
    extra_args = ((3,), (2,), (1,))
    hints = (
        "Words are `text.lower().split()`; the n-gram starting at word i is `tuple(words[i:i + n])`.",
        "Walk the n-grams in order, with a set of those seen so far: when an n-gram is already in the set, every "
        "word it spans is covered.",
        "Mark covered words in a list of booleans (a word can be inside several repeats); with fewer than n words "
        "return 0.0. The answer is covered words / all words.",
    )
    solution_code = """
def repeated_ngram_coverage(text, n=3):
    words = text.lower().split()
    if len(words) < n:
        return 0.0
    seen, covered = set(), [False] * len(words)
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        if gram in seen:
            for j in range(i, i + n):
                covered[j] = True
        seen.add(gram)
    return sum(covered) / len(words)
"""


# --- Q4: a rule of your own -----------------------------------------------------------------------------------


def _calls_v4(fn: Callable) -> bool:
    """Does ``fn`` reach v4's reference through a global name (``judge``, ``V4Gate``, the module ...)?"""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    names = set(code.co_names)
    for const in code.co_consts:  # nested functions and lambdas
        if isinstance(const, types.CodeType):
            names |= set(const.co_names)
    targets = {v4gate.judge, v4gate.V4Gate, v4gate}
    return any(getattr(fn, "__globals__", {}).get(name, None) in targets for name in names)


class Rule(Problem):
    label = "Lesson 07 · Q4"
    names = ("is_bad",)
    hints = (
        "Start from v3 (`bool(verdict(eval_chat_quality(text), V3Config()))`) and add one signal at a time, "
        "printing what each catches and flags on the dev split.",
        "Loops compress: `compression_ratio(text) > 2.4` (Whisper's threshold) catches many phrase loops; "
        "`repeated_ngram_coverage(text) > 0.3` catches shorter ones.",
        "Stutter: `consecutive_duplicate_rate`; word soup: `function_word_share`; floods of markup: "
        "`special_token_density` (all in `coursekit.alarm.signals`). Each rule should flag no healthy dev sample.",
    )
    context_code = """
from coursekit.alarm import signals
from coursekit.alarm.metrics import eval_chat_quality
from coursekit.alarm.signals import compression_ratio, repeated_ngram_coverage
from coursekit.alarm.v3gate import V3Config, verdict
"""
    solution_code = """
def is_bad(text):
    if verdict(eval_chat_quality(text), V3Config()):
        return True
    return (compression_ratio(text) > 2.5
            or repeated_ngram_coverage(text) > 0.3
            or signals.consecutive_duplicate_rate(text) > 0.35
            or signals.function_word_share(text) > 0.9
            or signals.special_token_density(text) > 0.3
            or signals.glued_repeat_share(text) > 0.15
            or signals.foreign_letter_share(text) > 0.02)
"""

    def evaluate(self, is_bad: Any) -> str:
        if not callable(is_bad):
            raise Incorrect(f"`is_bad` should be a function of one text, but it is a {type(is_bad).__name__}.")
        if _calls_v4(is_bad):
            raise Incorrect("`is_bad` calls v4's reference (`judge` or `V4Gate`): build the rule from the signals "
                            "yourself, which is the exercise.")
        for what, text, degenerate in probes():
            got = bool(call_learner(is_bad, text, case=what))
            if got != degenerate:
                raise Incorrect(f"on a sample in no split ({what}), `is_bad` says {got}: a rule must work on text "
                                "it has not seen, not only on the dev split.")
        caught, flagged = rates(dev(), lambda t: call_learner(is_bad, t, case="a dev sample"))
        if caught < CATCH_GOAL:
            raise Incorrect(f"on the dev split your rule catches {caught:.1%} of the degenerate samples; aim for "
                            f"{CATCH_GOAL:.0%}. Print the ones it passes, by mode, and find the signal that sees them.")
        if flagged > FLAG_LIMIT:
            raise Incorrect(f"on the dev split your rule flags {flagged:.1%} of the healthy samples (at most "
                            f"{FLAG_LIMIT:.1%}): a gate that cries wolf gets switched off. Find the rule that flags them.")
        return (f"on the dev split it catches {caught:.1%} of degenerate samples and flags {flagged:.1%} of healthy "
                f"ones, and it calls the {len(probes())} probes right.")


# --- Q5: the false-alarm budget -------------------------------------------------------------------------------


class Budget(Problem):
    label = "Lesson 07 · Q5"
    names = ("false_alarms_per_1000",)
    hints = (
        "At one sample, the window of the last n holds j bad ones with probability C(n, j) p^j (1-p)^(n-j): "
        "`math.comb(n, j) * p**j * (1 - p)**(n - j)`.",
        "The window holds at least k bad ones with the sum of that over j = k .. n.",
        "Over 1,000 samples the expected number of samples at which that happens is 1,000 times the sum.",
    )
    solution_code = """
import math


def false_alarms_per_1000(p, k, n):
    tail = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))
    return 1000 * tail
"""
    GRID = tuple((p, k, n) for p in (0.0, 0.01, 0.023, 0.066, 0.2, 0.5, 1.0) for k, n in
                 ((1, 1), (2, 5), (5, 5), (5, 10), (5, 13), (3, 5), (8, 13)))  # fmt: skip

    def evaluate(self, false_alarms_per_1000: Any) -> str:
        fn = false_alarms_per_1000
        if not callable(fn):
            raise Incorrect(f"`false_alarms_per_1000` should be a function of (p, k, n), but it is a "
                            f"{type(fn).__name__}.")
        for p, k, n in self.GRID:
            case = f"p={p}, k={k}, n={n}"
            got = as_number(call_learner(fn, p, k, n, case=case), "false_alarms_per_1000(...)")
            want = min(1000.0, false_alarms_per(p, k, n, 1000))
            if not close(got, want, 1e-9):
                slip = ""
                if close(got, want / 1000, 1e-9):
                    slip = " That is the chance at one sample: multiply by the 1,000 samples."
                elif k > 1 and math.isclose(got, 1000 * math.comb(n, k) * p**k * (1 - p) ** (n - k), rel_tol=1e-9):
                    slip = " That counts windows with exactly k bad samples: a window with more also halts."
                raise Incorrect(f"for {case} your function gives {got:.6g}; the reference: {want:.6g}.{slip}")
        return f"matches the reference on {len(self.GRID)} (p, k, n) settings."


# --- Q6: what the test split is for ---------------------------------------------------------------------------


class TestOnce(FreeTextProblem):
    label = "Lesson 07 · Q6"
    min_sentences, max_sentences = 2, 4
    ideas = (
        KeyIdea("why a figure measured on the data you tuned on is optimistic", (
            r"tun", r"chose|chosen|choos", r"fit", r"overfit", r"optimis", r"seen", r"adjust",
        )),
        KeyIdea("what the test split then measures", (
            r"unseen", r"new", r"never (?:looked|seen|used)", r"held[- ]out", r"honest", r"generali",
        )),
        KeyIdea("what a miss on test calls for", (
            r"new (?:data|samples|test|split|corpus)", r"fresh", r"report", r"more (?:data|samples)", r"collect",
        )),
    )
    model_answer = (
        "Every threshold of v4 was chosen while looking at the dev split, so its dev figures are what the rules "
        "were fitted to and flatter them; the test split played no part in any choice, so scoring it once is the "
        "one honest estimate of how the gate does on failures it has not seen. If v4 missed a mode on test, the "
        "right move is to report the miss, then collect new examples of that failure and tune on those: retuning "
        "on the test split would turn it into a second dev split and leave no honest figure at all."
    )


q1 = Caught()
q2 = Compression()
q3 = Coverage()
q4 = Rule()
q5 = Budget()
q6 = TestOnce()
