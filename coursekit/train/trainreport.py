"""What a person watching a training run sees: the progress bar and the one-screen summary at the end.

The bar (tqdm) shows the step, the loss EMA, the last sample's score, the gate's counter and the current source:

    collapse/firehose  43%|████▎     | 260/600 [00:38<00:50] loss_ema 0.912 | score 24.6 | counter 3/5 | stuck_shard

The summary is built from ``summary.json``'s dict, so what is printed is exactly what is saved.
"""

from __future__ import annotations

import math
from typing import Any

from tqdm.auto import tqdm

__all__ = ["Progress", "format_summary"]


class Progress:
    """A tqdm bar over the run's steps; disabled (a no-op) off rank 0 or when the run is quiet."""

    def __init__(self, total: int, initial: int, desc: str, enabled: bool = True) -> None:
        self.bar = tqdm(total=total, initial=initial, desc=desc, unit="step", disable=not enabled, dynamic_ncols=True)

    def show(self, loss_ema: float | None, source: str, last: dict[str, Any] | None, patience: int) -> None:
        """Refresh the figures after the bar. ``last`` is the latest sample record (None before the first)."""
        if self.bar.disable:
            return
        ema = "-" if loss_ema is None else f"{loss_ema:.3f}"
        score = "-" if last is None else f"{last['total']:.1f}"
        counter = 0 if last is None else last["consecutive"]
        # refresh=False: tqdm redraws on its own clock (mininterval), so a fast loop pays almost nothing here.
        self.bar.set_postfix_str(f"loss_ema {ema} | score {score} | counter {counter}/{patience} | {source}",
                                 refresh=False)

    def update(self, loss_ema: float | None, source: str, last: dict[str, Any] | None, patience: int) -> None:
        """Advance one step and show its figures."""
        self.show(loss_ema, source, last, patience)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def format_summary(s: dict[str, Any]) -> str:
    """The end-of-run summary (one screen) from the dict that the trainer saves as summary.json."""
    if s["halted"]:
        head = f"HALTED by the coherence gate at step {s['step']:,} (exit status {s['exit_status']})"
    else:
        head = f"completed {s['step']:,} steps (exit status {s['exit_status']})"
    mfu = _pct(s["mfu"]) if s["mfu"] is not None else f"n/a ({s['mfu_note']})"
    shares = " · ".join(f"{name} {100 * share:.0f}%" for name, share in s["source_shares"].items())
    last = " ".join(f"{t:.1f}" for t in s["last_totals"]) or "-"
    ema = "-" if s["loss_ema"] is None else f"{s['loss_ema']:.3f}"  # None when no step was trained
    lines = [
        f"coursekit train: {head}",
        f"  run          profile {s['profile']} · scenario {s['scenario']} · runner {s['runner']} · "
        f"device {s['device']} ({s['world_size']} process{'es' if s['world_size'] > 1 else ''}) · "
        f"{s['params'] / 1e6:.2f}M params",
        f"  speed        {s['wall_s']:.1f} s this session · {s['tokens_per_s']:,.0f} tokens/s · MFU {mfu}",
        f"  loss EMA     {ema} nats (uniform guess: ln({s['vocab_size']:,}) = "
        f"{math.log(s['vocab_size']):.2f})",
        f"  samples      {s['samples']} logged, {s['degenerate']} degenerate (< {s['threshold']:g}); "
        f"last totals: {last}",
        f"  alarm cost   {s['alarm_s']:.2f} s = {_pct(s['alarm_share'])} of wall time (sampling + scoring + logging)",
        f"  sources      {shares}",
        f"  files        {' · '.join(s['files'])}",
    ]
    if s["halted"]:
        lines.append(f"  resume with  coursekit train --resume {s['out_dir']}")
    return "\n".join(lines)
