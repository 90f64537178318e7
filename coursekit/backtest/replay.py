"""Back-testing: replay a run log through the coherence gate, find where it would have fired, and price the wait.

    result = backtest("data/v1/samples.jsonl")        # or any iterable of run-log records
    result.trigger_step                               # 132000 on the v1 reconstruction (None: never fired)
    compute_saved(165_000 - result.trigger_step, 6, 130).hours   # 91.7

Every sample is scored again from its text (a log's own scores, if any, are ignored: the gate is defined on
texts). The log is read one record at a time, so a million-sample log back-tests in constant memory with
``keep_decisions=False``, which ``coursekit backtest`` uses unless ``--plot`` or ``--sensitivity`` needs the
decisions (benchmarks/bench_backtest.py measures both the library call and the command). ``resets`` answers "why not earlier?": each
is the first sample at or above the threshold after a run of degenerate ones, which set the counter back to 0.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from coursekit.alarm.gate import CoherenceGate, GateDecision
from coursekit.alarm.metrics import SampleScore
from coursekit.alarm.runlog import MalformedLine, iter_log, preview, printable

__all__ = [
    "KILL_STEP",
    "RUN_DAYS",
    "STATED_STEPS_PER_MIN",
    "GPU_WATTS",
    "BacktestDecision",
    "Reset",
    "BacktestResult",
    "ComputeSaved",
    "iter_backtest",
    "backtest",
    "compute_saved",
    "implied_steps_per_min",
    "format_report",
]

# The published account's figures (docs/specification.md §2).
KILL_STEP = 165_000  # v1 was killed by hand here
RUN_DAYS = 16.1  # wall-clock length of v1's run
STATED_STEPS_PER_MIN = 6.0  # the account's stated throughput (FP16 cuBLAS)
GPU_WATTS = 130.0  # one RTX 4090 at 130 W continuous

Records = str | os.PathLike | TextIO | Iterable[Mapping[str, Any]]


@dataclass(frozen=True)
class BacktestDecision(GateDecision):
    """The gate's decision on one logged sample, with the sample's source, loss EMA and text."""

    source: str
    loss_ema: float | None
    text: str = field(repr=False)


@dataclass(frozen=True)
class Reset:
    """A sample that set the counter back to 0 after ``run_length`` degenerate samples (from ``run_start``)."""

    step: int
    source: str
    score: SampleScore
    text: str
    run_length: int
    run_start: int


@dataclass
class BacktestResult:
    """What replaying a log through the gate found."""

    threshold: float
    patience: int
    rule: str = ""  # the gate's halting rule in words (``gate.describe()``)
    trigger_step: int | None = None  # the first step where the gate says halt; None if it never does
    first_step: int | None = None  # the log's first and last sample steps (None for an empty log)
    last_step: int | None = None
    n_samples: int = 0
    n_degenerate: int = 0
    decisions: list[BacktestDecision] = field(default_factory=list)  # one per sample (if kept)
    resets: list[Reset] = field(default_factory=list)  # the first ``max_resets`` resets
    n_resets: int = 0  # all resets, kept or not
    bad_lines: list[MalformedLine] = field(default_factory=list)  # lines skipped with errors="skip"

    @property
    def resets_before_trigger(self) -> list[Reset]:
        """The resets that kept the gate from firing (all of them if it never fired)."""
        end = self.trigger_step
        return [r for r in self.resets if end is None or r.step < end]


def _records(records: Records, errors: str, on_error: Callable[[MalformedLine], None]) -> Iterator[Mapping]:
    if isinstance(records, (str, os.PathLike)) or hasattr(records, "read"):
        yield from iter_log(records, errors=errors, on_error=on_error)  # type: ignore[arg-type]
        return
    if isinstance(records, Mapping):
        raise TypeError("backtest() expects an iterable of records or a log path, got a single record (dict)")
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping) or "step" not in rec or "text" not in rec:
            raise ValueError(f"record #{i} is not a run-log record with 'step' and 'text': {rec!r:.80}")
        yield rec


def iter_backtest(
    records: Records,
    gate: CoherenceGate | None = None,
    errors: str = "raise",
    on_error: Callable[[MalformedLine], None] | None = None,
) -> Iterator[BacktestDecision]:
    """Yield the gate's decision on each sample, one at a time: the streaming core of ``backtest``."""
    gate = CoherenceGate() if gate is None else gate
    for rec in _records(records, errors, on_error or (lambda e: None)):
        d = gate.observe(rec["step"], rec["text"])
        yield BacktestDecision(
            d.step, d.score, d.consecutive, d.halt, rec.get("source", ""), rec.get("loss_ema"), rec["text"]
        )


def backtest(
    records: Records,
    gate: CoherenceGate | None = None,
    *,
    errors: str = "raise",
    on_error: Callable[[MalformedLine], None] | None = None,
    keep_decisions: bool = True,
    max_resets: int = 1000,
) -> BacktestResult:
    """Replay ``records`` (a run-log path, an open log, or an iterable of record dicts) through ``gate``.

    ``gate`` defaults to v2's ``CoherenceGate()`` (threshold 30, patience 5); pass a fresh one for other
    settings. A malformed log line raises ``MalformedLine`` with its line number (``errors="raise"``), or is
    skipped, kept in ``result.bad_lines`` and passed to ``on_error`` (``errors="skip"``). The whole log is
    scored, also after the trigger, so plots can show what the halt would have spared. Memory is constant with
    ``keep_decisions=False``, apart from at most ``max_resets`` resets.
    """
    if isinstance(max_resets, bool) or not isinstance(max_resets, int) or max_resets < 0:
        raise ValueError(f"max_resets must be an int >= 0, got {max_resets!r}")
    gate = CoherenceGate() if gate is None else gate
    result = BacktestResult(threshold=gate.threshold, patience=gate.patience, rule=gate.describe())

    def bad(err: MalformedLine) -> None:
        result.bad_lines.append(err)
        if on_error is not None:
            on_error(err)

    run_start, prev_run = None, 0
    for d in iter_backtest(records, gate, errors, bad):
        result.n_samples += 1
        result.first_step = d.step if result.first_step is None else result.first_step
        result.last_step = d.step
        if keep_decisions:
            result.decisions.append(d)
        if d.degenerate:
            result.n_degenerate += 1
            if d.consecutive == 1:
                run_start = d.step
        elif run_start is not None:
            result.n_resets += 1
            if len(result.resets) < max_resets:
                result.resets.append(Reset(d.step, d.source, d.score, d.text, prev_run, run_start))
            run_start = None
        if d.halt and result.trigger_step is None:
            result.trigger_step = d.step
        prev_run = d.consecutive
    return result


# --- the price of waiting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComputeSaved:
    """Training time and energy that stopping ``steps`` earlier would have saved."""

    steps: int
    steps_per_min: float
    watts: float
    minutes: float
    hours: float
    days: float
    kwh: float


def _positive(name: str, value: object, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return float(value)


def compute_saved(steps: int, steps_per_min: float = STATED_STEPS_PER_MIN, watts: float = GPU_WATTS) -> ComputeSaved:
    """Time and energy of ``steps`` training steps at ``steps_per_min`` on a GPU drawing ``watts``.

    33,000 steps at 6 steps/min and 130 W: 5,500 min = 91.7 h = 3.82 days, 91.7 h x 0.13 kW = 11.9 kWh.
    """
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise TypeError(f"steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    rate = _positive("steps_per_min", steps_per_min)
    watts = _positive("watts", watts, allow_zero=True)
    minutes = steps / rate
    hours = minutes / 60
    return ComputeSaved(steps, rate, watts, minutes, hours, hours / 24, hours * watts / 1000)


def implied_steps_per_min(steps: int = KILL_STEP, days: float = RUN_DAYS) -> float:
    """The average rate of a run that did ``steps`` steps in ``days`` days: 165,000 in 16.1 days -> 7.12."""
    return steps / (_positive("days", days) * 24 * 60)


# --- the text report --------------------------------------------------------------------------------------------


def _saving_line(label: str, saved: ComputeSaved) -> str:
    return (
        f"  at {saved.steps_per_min:.1f} steps/min ({label}): {saved.minutes:,.0f} min = {saved.hours:.1f} h = "
        f"{saved.days:.1f} days, {saved.kwh:.1f} kWh at {saved.watts:g} W"
    )


def format_report(
    result: BacktestResult,
    steps_per_min: float = STATED_STEPS_PER_MIN,
    watts: float = GPU_WATTS,
    kill_step: int | None = None,
) -> str:
    """The back-test as a person reads it: the trigger, the compute saved, and why the gate held off earlier.

    ``kill_step`` is where the run really stopped (default: the log's last sample, 165,000 for v1).
    """
    kill = result.last_step if kill_step is None else kill_step
    span = "" if result.first_step is None else f" (steps {result.first_step:,}-{result.last_step:,})"
    out = [
        f"Back-test of {result.n_samples:,} samples{span}: {result.n_degenerate:,} degenerate "
        f"(total < {result.threshold:g}); gate: {result.rule or f'halt after {result.patience} in a row'}.",
    ]
    if result.bad_lines:
        out.append(f"Skipped {len(result.bad_lines)} malformed line(s): " + "; ".join(map(str, result.bad_lines[:3])))
    if result.trigger_step is None:
        out.append("The gate never fires on this log: nothing would have been saved.")
    else:
        out.append(f"The gate fires at step {result.trigger_step:,}.")
    if result.trigger_step is not None and kill is not None and kill <= result.trigger_step:
        out.append(f"The run was stopped at {kill:,}, before the gate would have fired: nothing saved.")
    elif result.trigger_step is not None:
        steps = kill - result.trigger_step
        out.append(f"That is {steps:,} steps before the run was stopped at {kill:,}:")
        implied = implied_steps_per_min()
        label = "the account's stated rate" if steps_per_min == STATED_STEPS_PER_MIN else "the rate given"
        out.append(_saving_line(label, compute_saved(steps, steps_per_min, watts)))
        out.append(_saving_line(f"{KILL_STEP:,} steps in {RUN_DAYS} days", compute_saved(steps, implied, watts)))
        stated_days = KILL_STEP / STATED_STEPS_PER_MIN / 60 / 24
        why = (
            f"Why two rates: v1's account states ~{STATED_STEPS_PER_MIN:g} steps/min (FP16 cuBLAS), but "
            f"{KILL_STEP:,} steps in {RUN_DAYS} days average {implied:.1f} steps/min; at "
            f"{STATED_STEPS_PER_MIN:g} steps/min the run would have taken {stated_days:.1f} days. Both come from "
            "the account and cannot both be exact; the course uses the stated rate and shows the other as a check."
        )
        out.append(textwrap.fill(why, 110, initial_indent="  ", subsequent_indent="  "))
    held = result.resets_before_trigger
    if held:
        lengths: dict[int, int] = {}
        for r in held:
            lengths[r.run_length] = lengths.get(r.run_length, 0) + 1
        hist = ", ".join(f"{k}: {n}" for k, n in sorted(lengths.items()))
        where = "before it fired" if result.trigger_step is not None else "in the whole log"
        why = (
            f"Why not earlier: {len(held)} times {where}, a sample scoring >= {result.threshold:g} reset the counter "
            f"(the runs it cut short, by length: {hist}). The first sample after each run of degenerate ones "
            "(step, source, score, the run it ended, text):"
        )
        out.append(textwrap.fill(why, 110))
        for r in held:
            out.append(
                f"  {r.step:>8,}  {printable(r.source):<6} {r.score.total:5.1f}  ended {r.run_length} from "
                f"{r.run_start:<8,}  "
                f"{preview(r.text, 48, ellipsis='...')}"
            )
        if result.n_resets > len(result.resets):
            out.append(f"  ... {result.n_resets - len(result.resets):,} later resets not kept (max_resets)")
    return "\n".join(out)
