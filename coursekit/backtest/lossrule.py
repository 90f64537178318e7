"""The loss-EMA rule: an alarm on the training loss itself, to put beside the sample gate.

    loss_rule_trigger(records, margin=0.1)   # 120000 on v1's reconstructed log: v2's gate fires at 132000

The rule fires at the first logged record whose loss EMA is more than ``margin`` (nats) above the lowest loss EMA
seen so far in the log. It is the simplest "the loss has turned" alarm: it needs no sample, only the number every
trainer already logs. Its limit is the mirror of the sample gate's: it cannot fire while the loss is still falling
(on v1, from the region loops at 80,000 to the loss minimum at 110,000), and a noisy loss needs a wider margin, so
it fires later. ``loss_rule_sweep`` shows how its step moves with the margin (docs/specification.md §8).

Records are run-log records (``coursekit.alarm.runlog``); one whose ``loss_ema`` is ``None`` (a run that did not
log it) is skipped, since there is nothing to compare.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["DEFAULT_MARGIN", "loss_rule_trigger", "loss_rule_sweep"]

DEFAULT_MARGIN = 0.1  # nats above the running minimum: e^0.1, a 10.5% rise in perplexity


def _check_margin(margin: Any) -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not math.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number of nats >= 0, got {margin!r}")
    return float(margin)


def loss_rule_trigger(records: Iterable[Mapping[str, Any]], margin: float = DEFAULT_MARGIN) -> int | None:
    """The step of the first record whose loss EMA exceeds the running minimum by more than ``margin``; or None."""
    margin = _check_margin(margin)
    lowest = math.inf
    for i, rec in enumerate(records):
        loss = rec.get("loss_ema")
        if loss is None:
            continue
        if isinstance(loss, bool) or not isinstance(loss, (int, float)):
            raise TypeError(f"record {i} (step {rec.get('step')!r}): loss_ema should be a number, got {loss!r}")
        if loss - lowest > margin:
            return rec["step"]
        lowest = min(lowest, loss)
    return None


def loss_rule_sweep(records: Sequence[Mapping[str, Any]], margins: Iterable[float]) -> dict[float, int | None]:
    """``{margin: trigger step}`` for each margin: how the rule's step moves as it is made more or less sensitive."""
    return {float(m): loss_rule_trigger(records, m) for m in margins}
