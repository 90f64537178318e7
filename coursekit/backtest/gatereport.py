"""Judging a gate: back-test it on a failing log and on healthy logs, beside v2's gate; the table and the picture.

    report = gate_report(V3Gate)          # on v1's log and the three healthy logs
    report.trigger, report.steps_earlier  # 77400, 54600 (v2: 132,000)
    report.false_alarms                   # {}: it fires on no healthy log
    print(format_comparison(compare_gates("runs/demo/samples.jsonl")))   # v2 and v3 on any run log

A better gate is only better if it fires earlier on a failure **and** stays quiet on healthy runs (lesson 04's
warning about tuning to one failure). So every gate is judged on two kinds of log:

- the failing log: v1's reconstruction (data/v1/samples.jsonl) by default, or any run log;
- the healthy logs (``healthy_sets``): v1 before its collapse began at 70,000, the failure-mode battery's healthy
  samples (data/battery.jsonl), and a healthy run of the course's trainer (data/healthy/samples.jsonl).

Each log is replayed through a fresh gate by ``coursekit.backtest.replay.backtest``, so any gate it accepts works here:
``CoherenceGate``, ``coursekit.alarm.v3gate.V3Gate``, or a learner's (coursekit.course.lessons.lesson06). ``coursekit compare-gates``
prints ``format_comparison`` and draws ``gates_figure``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursekit.alarm import gates
from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.runlog import read_log

from .datasets import (
    HELDOUT_RUNS,
    V1_COLLAPSE_ONSET,
    healthy_log_path,
    load_battery,
    v1_log_path,
)
from .replay import (
    GPU_WATTS,
    STATED_STEPS_PER_MIN,
    BacktestResult,
    backtest,
    compute_saved,
)

__all__ = [
    "healthy_log_path",
    "v1_records",
    "healthy_sets",
    "GateReport",
    "gate_report",
    "GATES",
    "compare_gates",
    "format_comparison",
    "gates_figure",
]

# --- the data a gate is judged on ---------------------------------------------------------------------------------

@functools.cache
def v1_records() -> tuple[Mapping[str, Any], ...]:
    """v1's reconstructed log (data/v1/samples.jsonl), read once per session: do not modify the records."""
    records, _ = read_log(v1_log_path())
    return tuple(records)


@functools.cache
def healthy_sets() -> dict[str, tuple[Mapping[str, Any], ...]]:
    """The healthy logs a gate must not fire on, by name: run-log records, in order.

    - v1 before its collapse (steps below ``V1Config.onset``, 70,000): healthy by construction;
    - the failure-mode battery's ``healthy`` samples (data/battery.jsonl), one after another at steps 1, 2 ...;
    - a healthy run of the course's trainer, ``coursekit train --profile cpu --scenario healthy`` (data/healthy/).
    """
    onset = V1_COLLAPSE_ONSET
    battery = [r for r in load_battery() if r["mode"] == "healthy"]
    trainer, _ = read_log(healthy_log_path())
    return {
        f"v1 before {onset:,}": tuple(r for r in v1_records() if r["step"] < onset),
        "battery (healthy)": tuple({"step": i, "source": r["id"], "text": r["text"]} for i, r in enumerate(battery, 1)),
        "trainer run (healthy)": tuple(trainer),
    }




@functools.cache
def heldout_sets() -> dict[str, tuple[Mapping[str, Any], ...]]:
    """Healthy runs of the course's trainer that played no part in choosing v3's floors, by file name.

    ``healthy_sets`` holds the logs v3's numbers were chosen on; these two (seeds 1 and 2, the firehose and the
    legacy runner; data/healthy/README.md says how they were made) test whether they generalise. Pass them as
    ``gate_report(V3Gate, healthy=heldout_sets())``.
    """
    return {name: tuple(read_log(healthy_log_path(name))[0]) for name in HELDOUT_RUNS}


@dataclass
class GateReport:
    """How a gate does on a failing log (v1's by default) and on the healthy logs, next to v2's gate."""

    result: BacktestResult  # the gate back-tested on the failing log
    v2_trigger: int | None  # where v2's gate (30, 5) fires on the same log: 132,000 on v1's
    healthy: dict[str, BacktestResult] = field(default_factory=dict)  # the gate on each healthy log
    log_name: str = "v1"  # how the summary names the failing log

    @property
    def trigger(self) -> int | None:
        return self.result.trigger_step

    @property
    def steps_earlier(self) -> int | None:
        """Steps before v2's trigger that this gate fires (negative: later; None: one of them never fires)."""
        return None if self.trigger is None or self.v2_trigger is None else self.v2_trigger - self.trigger

    @property
    def false_alarms(self) -> dict[str, int]:
        """The healthy logs on which the gate fires, with the step where it does (empty: no false alarm)."""
        return {name: r.trigger_step for name, r in self.healthy.items() if r.trigger_step is not None}

    @property
    def flagged_healthy(self) -> dict[str, int]:
        """How many samples of each healthy log the gate calls bad: the margin left before a false alarm."""
        return {name: r.n_degenerate for name, r in self.healthy.items()}

    def summary(self) -> str:
        """A few lines a person reads: the trigger on the failing log against v2's, and the healthy logs."""
        early, v2 = self.steps_earlier, self.v2_trigger
        if self.trigger is None:
            head = f"on {self.log_name} the gate never fires"
        else:
            head = f"on {self.log_name} the gate fires at step {self.trigger:,}"
            if early is None:
                head += ", where v2's never fires"
            elif early:
                head += f", {abs(early):,} steps {'earlier' if early > 0 else 'later'} than v2's {v2:,}"
            else:
                head += ", where v2's does"
            if self.result.last_step is not None:
                head += f" ({self.result.last_step - self.trigger:,} before the log ends)"
        lines = [head]
        for name, r in self.healthy.items():
            fired = "no false alarm" if r.trigger_step is None else f"FALSE ALARM at step {r.trigger_step:,}"
            lines.append(f"  {name:<22} {r.n_samples:>4} samples, {r.n_degenerate:>3} called bad: {fired}")
        return "\n".join(lines)


def gate_report(
    make_gate: Callable[[], Any],
    log: Iterable[Mapping[str, Any]] | str | Path | None = None,
    healthy: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    log_name: str | None = None,
) -> GateReport:
    """Back-test a fresh ``make_gate()`` on a failing log and on each healthy log; v2's trigger alongside.

    ``log`` defaults to v1's reconstruction and ``healthy`` to ``healthy_sets()``. ``make_gate`` returns anything
    ``coursekit.backtest.replay.backtest`` accepts as a gate (``CoherenceGate``, ``V3Gate``, or any object with
    ``observe(step, text)``, ``threshold`` and ``patience``): a new one per log, so no log's state leaks into the
    next. A malformed line in a log path raises ``coursekit.alarm.runlog.MalformedLine``.
    """
    if log is None:
        log, log_name = v1_records(), log_name or "v1"
    elif not isinstance(log, (str, Path)):
        log = tuple(log)  # replayed twice: for v2 and for the gate
    label = log_name or (Path(log).name if isinstance(log, (str, Path)) else "the log")
    healthy = healthy_sets() if healthy is None else healthy
    return GateReport(
        result=backtest(log, make_gate()),
        v2_trigger=backtest(log, CoherenceGate(), keep_decisions=False).trigger_step,
        healthy={name: backtest(records, make_gate()) for name, records in healthy.items()},
        log_name=label,
    )


# name -> (description, factory), as compare_gates shows them: the alarm's registry, so a gate registered there
# (coursekit.alarm.gates.register_gate) is compared here too.
GATES = gates.GATES


def compare_gates(log: Iterable[Mapping[str, Any]] | str | Path | None = None, log_name: str | None = None
                  ) -> dict[str, GateReport]:  # fmt: skip
    """``gate_report`` for each of ``GATES`` on the same failing log (default: v1's) and the healthy logs."""
    if log is not None and not isinstance(log, (str, Path)):
        log = tuple(log)
    return {name: gate_report(factory, log, log_name=log_name) for name, (_, factory) in GATES.items()}


def format_comparison(
    reports: Mapping[str, GateReport], steps_per_min: float = STATED_STEPS_PER_MIN, watts: float = GPU_WATTS
) -> str:
    """The gates side by side: where each fires, what stopping there saves before the log ends, false alarms."""
    first = next(iter(reports.values()))
    healthy = sum(r.n_samples for r in first.healthy.values())
    out = [f"Gates back-tested on {first.log_name} ({first.result.n_samples:,} samples) and on {len(first.healthy)} "
           f"healthy logs ({healthy:,} samples); savings at {steps_per_min:g} steps/min and {watts:g} W:", ""]
    out.append(f"{'gate':<46} {'fires at':>9} {'steps saved':>11} {'hours':>7} {'kWh':>6} {'false alarms':>12}")
    for name, report in reports.items():
        label = f"{name}: {GATES[name][0]}" if name in GATES else name
        end = report.result.last_step
        if report.trigger is None or end is None:
            cells = f"{'never':>9} {'-':>11} {'-':>7} {'-':>6}"
        else:
            saved = compute_saved(max(0, end - report.trigger), steps_per_min, watts)
            cells = f"{report.trigger:>9,} {saved.steps:>11,} {saved.hours:>7.1f} {saved.kwh:>6.1f}"
        out.append(f"{label:<46} {cells} {len(report.false_alarms):>12}")
    for name, report in reports.items():
        out += ["", f"{name}: {report.summary()}"]
    return "\n".join(out)


# --- the picture ----------------------------------------------------------------------------------------------


def gates_figure(results: Iterable[tuple[str, BacktestResult]], kill_step: int | None = None, **kwargs: Any):
    """One panel per (label, back-test result) on a shared step axis, each drawn by ``plots.plot_scores_and_loss``.

    Red crosses are the samples that gate calls bad; under v3 many sit above the threshold line (caught by a
    floor). ``kill_step`` is where the run was killed by hand (``backtest.KILL_STEP`` for v1); without it, each
    panel marks where its log ends. ``kwargs`` go to ``plot_scores_and_loss`` (``highlight``, ``steps_per_min``,
    ``watts``).
    """
    # Only the figure needs matplotlib; the report does not.
    from matplotlib.figure import Figure

    from .plots import plot_scores_and_loss

    results = list(results)
    if not results:
        raise ValueError("gates_figure() needs at least one (label, BacktestResult) pair")
    fig = Figure(figsize=(11, 3.6 * len(results)), layout="constrained")
    axes = fig.subplots(len(results), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, result) in zip(axes, results):
        plot_scores_and_loss(ax, result, kill_step, **kwargs)
        ax.set_title(label, fontsize=10, loc="left")
        if (result.last_step or 0) >= 10_000:
            ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}k")
        # plot_scores_and_loss speaks of v2's rule; a gate with floors calls samples above 30 bad as well.
        legend = ax.get_legend()
        legend.texts[0].set_text("passed by this gate")
        legend.texts[1].set_text("called bad by this gate")
        trig, end = result.trigger_step, kill_step if kill_step is not None else result.last_step
        for text in list(ax.texts):
            if text.get_text().startswith("killed by hand"):
                if trig == end:  # a run the gate itself halted: "gate fires" says it all
                    text.remove()
                elif kill_step is None:
                    text.set_text(f"log ends\n{end:,}")
            elif "steps saved" in text.get_text() and trig is not None and end is not None:
                text.set_x(trig + 0.6 * (end - trig))  # clear of the loss minimum's label when the gate fires early
    for ax in axes[:-1]:
        ax.set_xlabel("")
    return fig
