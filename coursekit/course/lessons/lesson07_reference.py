"""Lesson 07's reference: the real-world corpus's splits, what each gate calls bad there, and the probes.

Lesson 07's checks (coursekit.course.lessons.lesson07) compare with these; the notebook does not import them, so
the answers are not one import away. The corpus is data/realworld/corpus.jsonl (its README says where every
record comes from); its dev split is for looking and tuning, its test split is scored once per gate.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from coursekit.alarm.metrics import eval_chat_quality
from coursekit.alarm.v3gate import V3Config, verdict
from coursekit.alarm.v4gate import judge
from coursekit.backtest.datasets import load_battery, load_realworld

__all__ = [
    "dev", "test", "v2_bad", "v3_bad", "v4_bad", "rates", "per_mode", "caught_shares", "probes",
    "CATCH_GOAL", "FLAG_LIMIT",
]  # fmt: skip

CATCH_GOAL = 0.9  # q4: a learner's rule must catch this share of the dev split's degenerate samples ...
FLAG_LIMIT = 0.035  # ... and flag at most this share of its healthy ones (v4 flags 2 of 88: 0.023)


# Plain words of the course's own subject, for probes no corpus holds.
PROBE_WORDS = tuple(
    "model sample gate loss token window counter step source score alarm training curve night morning river "
    "garden letter answer question paper kitchen market winter summer station engine bridge signal teacher "
    "student lesson number table figure budget record machine".split()
)


@functools.cache
def dev() -> tuple[Mapping[str, Any], ...]:
    """The dev split: look at it, tune on it."""
    return tuple(load_realworld("dev"))


@functools.cache
def test() -> tuple[Mapping[str, Any], ...]:
    """The test split: score it once per gate, after every choice is made."""
    return tuple(load_realworld("test"))


def v2_bad(text: str) -> bool:
    """v2's per-sample verdict: the total of the four axes below 30."""
    return eval_chat_quality(text).degenerate()


def v3_bad(text: str) -> bool:
    """v3's per-sample verdict: a floor broken or the total below 30 (coursekit.alarm.v3gate)."""
    return bool(verdict(eval_chat_quality(text), V3Config()))


def v4_bad(text: str) -> bool:
    """v4's per-sample verdict (coursekit.alarm.v4gate.judge)."""
    return judge(text).bad


def rates(records: Iterable[Mapping[str, Any]], is_bad: Callable[[str], Any]) -> tuple[float, float]:
    """(share of degenerate records ``is_bad`` calls bad, share of healthy records it calls bad)."""
    bad = {"degenerate": 0, "healthy": 0}
    seen = {"degenerate": 0, "healthy": 0}
    for r in records:
        seen[r["label"]] += 1
        bad[r["label"]] += bool(is_bad(r["text"]))
    return bad["degenerate"] / seen["degenerate"], bad["healthy"] / seen["healthy"]


def per_mode(records: Iterable[Mapping[str, Any]], rules: Mapping[str, Callable[[str], Any]]) -> dict[str, dict]:
    """For each mode (degenerate modes first, by name), its label, count, and how many each rule calls bad."""
    table: dict[str, dict] = {}
    for r in records:
        row = table.setdefault(r["mode"], {"label": r["label"], "n": 0, **{name: 0 for name in rules}})
        row["n"] += 1
        for name, rule in rules.items():
            row[name] += bool(rule(r["text"]))
    return dict(sorted(table.items(), key=lambda kv: (kv[1]["label"] != "degenerate", kv[0])))


def caught_shares() -> dict[str, float]:
    """The reference for q1: the share of the dev split's degenerate samples v2 and v3 call bad."""
    return {"v2_caught": rates(dev(), v2_bad)[0], "v3_caught": rates(dev(), v3_bad)[0]}


@functools.cache
def probes() -> tuple[tuple[str, str, bool], ...]:
    """Samples in no split, made here at check time: (what it is, text, is it degenerate).

    A rule that only memorised the dev split's texts gets these wrong. The degenerate ones are built from
    ``PROBE_WORDS`` (seeded draws), in shapes the corpus documents; the healthy ones are the battery's
    hand-written sentences, two joined into one sample.
    """
    rng = random.Random(707)
    words = list(PROBE_WORDS)
    phrase = " ".join(rng.sample(words, 7)) + "."
    stutter = " ".join(w for w in rng.sample(words, 12) for _ in range(3))
    soup_words = ["the", "of", "a", "to", "and", "with", "in", "is", "for", "that"]
    soup = " ".join(rng.choice(soup_words) + ("." if rng.random() < 0.15 else "") for _ in range(40))
    healthy = [r["text"] for r in load_battery() if r["mode"] == "healthy"]
    pairs = [f"{healthy[i]} {healthy[i + 1]}" for i in range(0, 6, 2)]
    return (
        ("a sentence of random words said four times", " ".join([phrase] * 4), True),
        ("twelve random words, each said three times", stutter, True),
        ("a soup of function words", soup, True),
        *((f"two of the battery's healthy sentences (#{i + 1})", text, False) for i, text in enumerate(pairs)),
    )
