"""How many 128-word samples per second the gate scores on one core (goal: >= 20,000).

    .venv/bin/python benchmarks/bench_gate.py [--samples 20000]

Prints samples/s for ``CoherenceGate.observe`` (score + count) and for a naive implementation of the same spec
that splits the text once per axis and looks up every word, and their ratio. The samples are a seeded mix of
the failure-mode battery's shapes stretched to 128 words (healthy prose, loops, noise), so the figure reflects
what a training run feeds the gate.
"""

from __future__ import annotations

import argparse
import os
import random
import time

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.metrics import english_lexicon, word_core
from coursekit.course.battery import load_battery

WORDS_PER_SAMPLE = 128


def make_samples(n: int, seed: int = 0) -> list[str]:
    """n samples of exactly 128 words, each the words of a battery record cycled to length."""
    rng = random.Random(seed)
    pools = [r["text"].split() for r in load_battery() if r["text"].split()]
    samples = []
    for _ in range(n):
        words = rng.choice(pools)
        start = rng.randrange(len(words))
        samples.append(" ".join(words[(start + i) % len(words)] for i in range(WORDS_PER_SAMPLE)))
    return samples


def naive_total(text: str) -> float:
    """The spec read literally: every axis splits the text itself and every word is looked up."""
    lex = english_lexicon()
    w = text.lower().split()
    b = 35 * len(set(zip(w, w[1:]))) / (len(w) - 1) if len(w) >= 2 else 0.0
    w = text.lower().split()
    t = 35 * len(set(zip(w, w[1:], w[2:]))) / (len(w) - 2) if len(w) >= 3 else 0.0
    w = text.lower().split()
    e = 20 * sum(word_core(x) in lex for x in w) / len(w) if w else 0.0
    c = 10 * min(1.0, len({ch for ch in text if not ch.isspace()}) / 20)
    return b + t + e + c


def rate(func, samples: list[str], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        func(samples)
        best = min(best, time.perf_counter() - t0)
    return len(samples) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20_000)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the goal says
    english_lexicon()  # load once, outside the timing
    samples = make_samples(args.samples)

    def gate_run(batch: list[str]) -> None:
        gate = CoherenceGate()
        for step, text in enumerate(batch):
            gate.observe(step, text)

    def naive_run(batch: list[str]) -> None:
        for text in batch:
            naive_total(text)

    fast, slow = rate(gate_run, samples), rate(naive_run, samples)
    print(f"samples: {len(samples):,} of {WORDS_PER_SAMPLE} words, one core")
    print(f"CoherenceGate.observe : {fast:10,.0f} samples/s   (goal >= 20,000: {'met' if fast >= 20_000 else 'NOT met'})")
    print(f"naive three-pass spec : {slow:10,.0f} samples/s")
    print(f"speed-up              : {fast / slow:10.2f}x")

    # Linear time: a 10x longer text should take about 10x as long (a quadratic scorer would take 100x).
    from coursekit.alarm.metrics import eval_chat_quality

    big = " ".join(samples)[: 10_000_000]
    times = {}
    for size in (1_000_000, 10_000_000):
        t0 = time.perf_counter()
        eval_chat_quality(big[:size])
        times[size] = time.perf_counter() - t0
    print(f"1 MB text: {times[1_000_000]:.3f} s, 10 MB text: {times[10_000_000]:.3f} s, "
          f"ratio {times[10_000_000] / times[1_000_000]:.1f} (linear: about 10)")


if __name__ == "__main__":
    main()
