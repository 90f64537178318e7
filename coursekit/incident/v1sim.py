"""The reconstruction of ANDREA-120M v1's stored samples: a seeded simulation calibrated to the published account.

v1's real samples are not public (docs/specification.md §6). This module writes the course's stand-in, data/v1/samples.jsonl:
one record every 200 steps from 200 to 165,000 (the manual kill), each with the bandit's source at that step,
the sample text and the loss EMA. It is built to reproduce every figure of docs/specification.md §2:

    loss EMA      ln(8449) = 9.04 at step 0, minimum 3.23 at 110,000, 4.54 at 165,000 (both pinned exactly)
    80,000        "region region region region region region region region"      (pinned, scores 33.83)
    110,000       "''''' ''''' '' ''' ''"                                        (pinned, scores 70.5)
    the v2 gate   computed from the texts alone, first 5 degenerate in a row at 131,200..132,000 -> fires at 132,000

How a sample comes about. A bandit switches source every 7-42 steps and comes to favour "web", the source
with a stuck shard of region-selector boilerplate (this simulation's own story: the account does not say which
source failed). From 70,000 the model collapses, first on web, then on the sources most like it; code and
books hold out longest. Each sample is *collapsed* with probability severity(step) x fragility(source), and a
collapsed sample is a long loop (degenerate) with probability depth(step), else a short loop or apostrophe
noise that still scores >= 30 (the composite's length bias and blind spot). Healthy samples come from
coursekit.incident.v1text at a coherence that grows with training.

Calibration, in the open: every text is scored with the real coursekit.alarm.metrics. Where chance would let the gate
fire before 132,000 (a fifth degenerate sample in a row), that sample is drawn again on a source that was still
healthy, i.e. the bandit's draw is conditioned on the account's fact; the samples 131,200..132,000 are made
collapsed ones and 131,000 a healthy one. ``generate`` reports which samples this touched. The default seed,
1081, was picked with ``--search`` as one that needs none: with it the trigger at 132,000 arises by chance
(which makes 132,000 a selected outcome of the simulation, not a prediction: data/v1/README.md).

    python -m coursekit.incident.v1sim            # rewrite data/v1/samples.jsonl
    python -m coursekit.incident.v1sim --check    # regenerate in memory and compare byte for byte
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.alarm.gate import DEFAULT_PATIENCE
from coursekit.alarm.metrics import DEFAULT_THRESHOLD, eval_chat_quality
from coursekit.backtest.datasets import V1_COLLAPSE_ONSET, v1_log_path
from coursekit.backtest.replay import KILL_STEP

from . import v1text

__all__ = ["V1Config", "V1Run", "generate", "loss_trend", "bandit_schedule", "v1_log_path", "to_jsonl", "main"]

REGION_X8 = " ".join(["region"] * 8)  # docs/specification.md §2, item 4
APOSTROPHES = "''''' ''''' '' ''' ''"  # docs/specification.md §2, item 5


@dataclass(frozen=True)
class V1Config:
    """What shapes the reconstruction; the defaults are the account's figures (docs/specification.md §2)."""

    seed: int = 1081  # master seed, every random stream derives from it; 1081 needs no conditioning (--search)
    every: int = 200  # v1 stored a sample every 200 steps ...
    last_step: int = KILL_STEP  # ... until the run was killed by hand, at 165,000
    vocab: int = 8449  # tokenizer size: the loss starts at ln(vocab) = 9.04 nats
    loss_min: float = 3.23  # the loss EMA's minimum ...
    loss_min_step: int = 110_000  # ... and where it is
    loss_final: float = 4.54  # the loss EMA at the kill
    switch: tuple[int, int] = (7, 42)  # the bandit switches source every 7-42 steps
    onset: int = V1_COLLAPSE_ONSET  # first collapsed samples (region loops are common by 80,000)
    trigger: int = 132_000  # where v2's gate must fire when back-tested on the texts
    threshold: float = DEFAULT_THRESHOLD  # v2's gate: degenerate below 30 ...
    patience: int = DEFAULT_PATIENCE  # ... halt after 5 in a row
    pinned: dict[int, str] = field(default_factory=lambda: {80_000: REGION_X8, 110_000: APOSTROPHES})


@dataclass
class V1Run:
    """What ``generate`` made: the log's records and an account of the calibration."""

    records: list[dict]  # the run log, one dict per stored sample
    schedule: list[tuple[int, int, str]]  # the bandit's (first step, length, source) segments, after conditioning
    redrawn: list[int]  # steps whose sample was drawn again so the gate would not fire before `trigger`
    forced: list[int]  # steps made collapsed / healthy to pin the trigger (131,200..132,000 and 131,000)


# How readily each source's samples collapse once the model starts to fail (web holds the stuck shard).
FRAGILITY = {"web": 1.0, "wiki": 0.8, "news": 0.7, "books": 0.45, "chat": 0.45, "code": 0.3}
BASE_SHARE = {"wiki": 0.22, "web": 0.18, "books": 0.16, "news": 0.16, "chat": 0.14, "code": 0.14}
HEALTHY_SOURCES = ("code", "books", "chat")  # where a conditioned redraw lands: the least fragile sources


def _rng(cfg: V1Config, *name: object) -> random.Random:
    # String seeds hash with SHA-512, identical on every platform and Python 3 version.
    return random.Random("/".join(map(str, ("v1", cfg.seed) + name)))


def _ramp(x: float, x0: float, x1: float) -> float:
    return min(1.0, max(0.0, (x - x0) / (x1 - x0)))


def _interp(x: float, points: list[tuple[float, float]]) -> float:
    xs = [p[0] for p in points]
    i = min(max(bisect.bisect_right(xs, x), 1), len(points) - 1)
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    return y0 + (y1 - y0) * _ramp(x, x0, x1)


# --- the loss EMA ---------------------------------------------------------------------------------------------


def loss_trend(step: int, cfg: V1Config = V1Config()) -> float:
    """The loss EMA's smooth trend: a power-law fall from ln(vocab) to the minimum, then a quickening rise."""
    top, lo, s_min = math.log(cfg.vocab), cfg.loss_min, cfg.loss_min_step
    if step <= s_min:
        f = lambda s: (1 + s / 500) ** -0.5  # noqa: E731  (fast early fall, long slow tail)
        return lo + (top - lo) * (f(step) - f(s_min)) / (f(0) - f(s_min))
    x = (step - s_min) / (cfg.last_step - s_min)
    return lo + (cfg.loss_final - lo) * (0.15 * x + 0.85 * x * x)


def _loss_series(cfg: V1Config, steps: list[int]) -> list[float]:
    # Source switches make a short EMA wobble; the wobble never exceeds half the distance to the minimum, so the
    # minimum stays exactly where the account puts it, and the kill's value is pinned.
    rng, u, out = _rng(cfg, "loss"), 0.0, []
    for step in steps:
        u = 0.6 * u + rng.gauss(0.0, 0.6)
        trend = loss_trend(step, cfg)
        amp = 0.03 + 0.03 * _ramp(step, cfg.loss_min_step, cfg.last_step)  # a failing run is a noisier one
        wobble = min(amp, 0.5 * (trend - cfg.loss_min)) * math.tanh(u)
        out.append(round(trend + (0.0 if step == cfg.last_step else wobble), 4))
    return out


# --- the bandit -----------------------------------------------------------------------------------------------


def _shares(step: int) -> dict[str, float]:
    # The bandit favours low-loss sources; web's stuck shard is very low loss, so its share grows after 50,000.
    w = dict(BASE_SHARE)
    w["web"] *= 1 + 3 * _ramp(step, 50_000, 140_000)
    return w


def bandit_schedule(cfg: V1Config = V1Config()) -> list[tuple[int, int, str]]:
    """The curriculum as (first step, length, source) segments covering steps 1..last_step."""
    rng, segs, start = _rng(cfg, "bandit"), [], 1
    while start <= cfg.last_step:
        length = rng.randint(*cfg.switch)
        w = _shares(start)
        segs.append((start, length, rng.choices(list(w), weights=list(w.values()))[0]))
        start += length
    return segs


# --- one sample -----------------------------------------------------------------------------------------------


def _healthy(step: int, source: str, rng: random.Random, early_loops: bool = True) -> str:
    n = rng.randint(32, 52)  # v1 sampled a fixed token budget: about 45 words, cut mid-sentence
    if step < 1_500:
        return v1text.babble(rng, n)
    if early_loops and step < 3_000 and rng.random() < 0.15:
        return v1text.early_loop(rng, rng.randint(20, 40))
    span = min(1.0, step / 40_000) ** 0.7
    stray = 0.4 * _ramp(step, 85_000, 165_000)
    return v1text.healthy_text(source, rng, n, span, stray)


def _collapsed(step: int, source: str, rng: random.Random) -> str:
    depth = _interp(step, [(70_000, 0.2), (80_000, 0.45), (90_000, 0.55), (126_000, 0.6), (134_000, 0.95)])
    late = step >= 100_000  # apostrophe noise joins the region loops after 100,000
    if rng.random() < depth:  # a long loop: the sampler never reaches an end-of-text, degenerate at any source
        n = rng.randint(14, 24) + round(40 * _ramp(step, 80_000, 140_000))
        kind = rng.choices(["region", "punct", "mixed"], weights=[1, 0.6, 0.8] if late else [1, 0, 0])[0]
        return {"region": v1text.region_loop, "punct": v1text.punct_loop, "mixed": v1text.mixed_loop}[kind](rng, n)
    kind = rng.choices(["region", "phrase", "noise"], weights=[0.3, 0.4, 0.6] if late else [0.5, 0.5, 0])[0]
    if kind == "region":  # an early end-of-text: short loops pass the composite (length bias)
        return v1text.region_loop(rng, rng.randint(4, 9))
    if kind == "noise":  # apostrophe noise with distinct n-grams passes too (the blind spot)
        return v1text.punct_noise(rng, rng.randint(4, 14))
    prefix = v1text.truncate_words(v1text.healthy_text(source, rng, 12, 1.0), rng.randint(2, 7))
    return v1text.phrase_loop(rng, prefix, rng.randint(14, 30))


def _sample(cfg: V1Config, step: int, source: str) -> str:
    rng = _rng(cfg, "sample", step)
    p_collapse = FRAGILITY[source] * _ramp(step, cfg.onset, cfg.onset + 30_000) ** 0.8
    if rng.random() < p_collapse:
        return _collapsed(step, source, rng)
    return _healthy(step, source, rng)


# --- the whole log --------------------------------------------------------------------------------------------


def generate(cfg: V1Config = V1Config()) -> V1Run:
    """Simulate v1's stored samples: deterministic for a given config (see the module docstring)."""
    schedule = bandit_schedule(cfg)
    starts = [s for s, _, _ in schedule]
    steps = list(range(cfg.every, cfg.last_step + 1, cfg.every))
    first_run = range(cfg.trigger - (cfg.patience - 1) * cfg.every, cfg.trigger + 1, cfg.every)
    before_run = first_run[0] - cfg.every  # must pass, or the first five in a row would end before `trigger`
    records, redrawn, forced, run = [], [], [], 0
    for step, loss in zip(steps, _loss_series(cfg, steps)):
        seg = bisect.bisect_right(starts, step) - 1
        source = schedule[seg][2]
        if step in cfg.pinned:
            source, text = "web", cfg.pinned[step]
        else:
            text = _sample(cfg, step, source)
        bad = eval_chat_quality(text).total < cfg.threshold
        if step in first_run and not bad:  # pin the trigger: the account's first five in a row
            rng, source = _rng(cfg, "force", step), "web"
            for _ in range(100):  # as deep a collapse as at 134,000: a long loop, almost always degenerate
                text = _collapsed(max(step, 134_000), source, rng)
                if bad := eval_chat_quality(text).total < cfg.threshold:
                    break
            else:
                raise RuntimeError(f"no degenerate loop scores below threshold {cfg.threshold}")
            forced.append(step)
        elif bad and step < cfg.trigger and (run == cfg.patience - 1 or step == before_run):
            rng = _rng(cfg, "redraw", step)
            source = rng.choice(HEALTHY_SOURCES)
            text = _healthy(step, source, rng, early_loops=False)
            if bad := eval_chat_quality(text).total < cfg.threshold:
                raise RuntimeError(f"redraw at step {step} is still degenerate: {text!r}")
            (forced if step == before_run else redrawn).append(step)
        if source != schedule[seg][2]:
            schedule[seg] = (schedule[seg][0], schedule[seg][1], source)
        run = run + 1 if bad else 0
        records.append({"step": step, "source": source, "text": text, "loss_ema": loss})
    return V1Run(records, schedule, redrawn, forced)


def to_jsonl(records: list[dict]) -> str:
    """The log's exact bytes (as text): one JSON object per line, UTF-8, keys in record order."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m coursekit.incident.v1sim", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="where to write (default: data/v1/samples.jsonl)")
    ap.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    ap.add_argument("--seed", type=int, default=V1Config.seed, help="master seed (default %(default)s)")
    ap.add_argument("--search", type=int, metavar="N", help="report the calibration touches of seeds 0..N-1")
    args = ap.parse_args(argv)
    if args.search:
        for seed in range(args.search):
            run = generate(V1Config(seed=seed))
            early = sum(eval_chat_quality(r["text"]).total < DEFAULT_THRESHOLD
                        for r in run.records if 70_000 < r["step"] <= 80_000)
            print(f"seed {seed:4d}: {len(run.redrawn)} redrawn, {len(run.forced)} forced, "
                  f"{early} degenerate in 70,200-80,000", flush=True)
        return 0
    out = args.out or v1_log_path()
    run = generate(V1Config(seed=args.seed))
    text = to_jsonl(run.records)
    if args.check:
        same = out.exists() and out.read_bytes() == text.encode("utf-8")
        print(f"{out}: {'identical to' if same else 'DIFFERS from'} the regenerated log ({len(run.records)} records)")
        return 0 if same else 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text.encode("utf-8"))
    print(f"wrote {out}: {len(run.records)} records; calibration redrew {run.redrawn or 'no samples'}, "
          f"forced {run.forced or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
