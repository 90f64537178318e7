"""Sensitivity of the back-test: where would gates with other thresholds and patiences have fired?

    result = backtest("data/v1/samples.jsonl")
    grid = sensitivity(result)                   # thresholds 20-50 x patiences 1-10 by default
    print(grid.table())                          # v2's cell (30, 5) is bracketed: [132.0]
    grid.trigger(35.0, 5)                        # one cell; None where that gate never fires

The samples are scored once (by ``backtest``); each grid cell replays the scores through a fresh
``CoherenceGate`` (``observe_score``), so the counter logic is the gate's own, not a copy.
coursekit.backtest.plots.plot_sensitivity draws the grid as a heat map.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from coursekit.alarm.gate import CoherenceGate, GateDecision

from .replay import BacktestResult

__all__ = ["DEFAULT_THRESHOLDS", "DEFAULT_PATIENCES", "SensitivityGrid", "sensitivity"]

DEFAULT_THRESHOLDS = (20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0)
DEFAULT_PATIENCES = (1, 2, 3, 4, 5, 6, 8, 10)


@dataclass(frozen=True)
class SensitivityGrid:
    """Trigger step for every (threshold, patience) pair: ``triggers[i][j]`` is thresholds[i] x patiences[j]."""

    thresholds: tuple[float, ...]
    patiences: tuple[int, ...]
    triggers: tuple[tuple[int | None, ...], ...]

    def trigger(self, threshold: float, patience: int) -> int | None:
        """The trigger step of one grid cell (``None``: that gate never fires on this log)."""
        try:
            return self.triggers[self.thresholds.index(threshold)][self.patiences.index(patience)]
        except ValueError:
            raise KeyError(f"({threshold}, {patience}) is not on the grid") from None

    def table(self, mark: tuple[float, int] | None = (30.0, 5)) -> str:
        """A text table of trigger steps in thousands; ``mark``'s cell (v2's gate) is bracketed."""
        lines = ["trigger step (thousands) by threshold (rows) and patience (columns); '-' = never fires"]
        lines.append("threshold " + "".join(f"{f'p={p}':>9}" for p in self.patiences))
        for th, row in zip(self.thresholds, self.triggers):
            cells = []
            for p, step in zip(self.patiences, row):
                cell = "-" if step is None else f"{step / 1000:.1f}"
                cells.append(f"{f'[{cell}]' if (th, p) == mark else cell:>9}")
            lines.append(f"{th:>9g} " + "".join(cells))
        return "\n".join(lines)


def sensitivity(
    scored: BacktestResult | Iterable[GateDecision],
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
    patiences: Iterable[int] = DEFAULT_PATIENCES,
) -> SensitivityGrid:
    """Re-run the gate over already scored samples for each (threshold, patience): scoring is done once."""
    decisions = scored.decisions if isinstance(scored, BacktestResult) else list(scored)
    if isinstance(scored, BacktestResult) and scored.n_samples and not decisions:
        raise ValueError("this BacktestResult kept no decisions: run backtest(..., keep_decisions=True)")
    ths, pats = tuple(float(t) for t in thresholds), tuple(patiences)
    rows = []
    for th in ths:
        row = []
        for p in pats:
            gate, hit = CoherenceGate(th, p), None
            for d in decisions:
                if gate.observe_score(d.step, d.score).halt:
                    hit = d.step
                    break
            row.append(hit)
        rows.append(tuple(row))
    return SensitivityGrid(ths, pats, tuple(rows))
