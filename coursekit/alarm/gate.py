"""The consecutive-failure coherence gate: halt a run after ``patience`` degenerate samples in a row.

This is v2's alarm (docs/specification.md §4). Each sample is scored with ``eval_chat_quality``; a total strictly below
``threshold`` is degenerate and adds one to a counter; any sample at or above it resets the counter to 0; the
gate says *halt* when the counter reaches ``patience``. With the v2 defaults (30, 5) and a sample every 100
steps, that is 500 steps of confirmed collapse, and one bad sample alone can never stop a run.

Drop it into any training loop::

    gate = CoherenceGate()
    ...
    if step % 100 == 0:
        decision = gate.observe(step, sample_text)
        if decision.halt:
            save_checkpoint(..., gate=gate.state_dict())
            raise SystemExit(3)

``state_dict()`` / ``load_state_dict()`` carry the counter across a checkpoint, so a resumed run neither forgets
three bad samples nor counts one twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .metrics import DEFAULT_THRESHOLD, SampleScore, eval_chat_quality

__all__ = ["CoherenceGate", "GateDecision", "DEFAULT_PATIENCE"]

DEFAULT_PATIENCE = 5


@dataclass(frozen=True)
class GateDecision:
    """What the gate concluded from one sample."""

    step: int
    score: SampleScore
    consecutive: int  # degenerate samples in a row, this one included (0 after a healthy sample)
    halt: bool  # True once ``consecutive`` has reached the gate's patience

    @property
    def degenerate(self) -> bool:
        return self.consecutive > 0


class CoherenceGate:
    """Counts consecutive degenerate samples and says when to halt."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        patience: int = DEFAULT_PATIENCE,
        scorer: Callable[[str], SampleScore] = eval_chat_quality,
    ) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"threshold must be a number, got {type(threshold).__name__}")
        if not (0.0 <= threshold <= 100.0) or math.isnan(threshold):
            raise ValueError(f"threshold must be within 0-100 (the composite's range), got {threshold}")
        if isinstance(patience, bool) or not isinstance(patience, int):
            raise TypeError(f"patience must be an int, got {type(patience).__name__}")
        if patience < 1:
            raise ValueError(f"patience must be at least 1, got {patience}")
        self.threshold = float(threshold)
        self.patience = patience
        self.scorer = scorer
        self.consecutive = 0
        self.last_step: int | None = None

    def __repr__(self) -> str:
        return (
            f"CoherenceGate(threshold={self.threshold}, patience={self.patience}, "
            f"consecutive={self.consecutive}, last_step={self.last_step})"
        )

    def describe(self) -> str:
        """The halting rule in words, for reports (a gate with another rule overrides this)."""
        return f"halt after {self.patience} in a row"

    @property
    def halted(self) -> bool:
        return self.consecutive >= self.patience

    def observe(self, step: int, text: str) -> GateDecision:
        """Score ``text``, sampled at training step ``step``, and update the counter."""
        if not isinstance(text, str):
            raise TypeError(f"observe() expects text as str, got {type(text).__name__}")
        return self.observe_score(step, self.scorer(text))

    def observe_score(self, step: int, score: SampleScore) -> GateDecision:
        """Update the counter from an already computed score (the back-tester re-uses logged scores this way)."""
        self._advance_to(step)
        self.consecutive = self.consecutive + 1 if score.total < self.threshold else 0
        return GateDecision(step=step, score=score, consecutive=self.consecutive, halt=self.halted)

    def _advance_to(self, step: int) -> None:
        """Check ``step`` and make it the last observed one; every gate's ``observe_score`` starts here."""
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"step must be an int, got {type(step).__name__}")
        # A step seen twice is the signature of a resumed run replaying samples: refuse rather than double-count.
        if self.last_step is not None and step <= self.last_step:
            raise ValueError(f"step {step} is not after the last observed step {self.last_step}")
        self.last_step = step

    def reset(self) -> None:
        self.consecutive = 0
        self.last_step = None

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: plain JSON-able values."""
        return {
            "threshold": self.threshold,
            "patience": self.patience,
            "consecutive": self.consecutive,
            "last_step": self.last_step,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a counter saved by ``state_dict()``; the settings must match this gate's."""
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict() expects a dict, got {type(state).__name__}")
        missing = {"threshold", "patience", "consecutive", "last_step"} - state.keys()
        if missing:
            raise KeyError(f"gate state is missing {sorted(missing)}")
        if state["threshold"] != self.threshold or state["patience"] != self.patience:
            raise ValueError(
                f"gate state was saved with threshold={state['threshold']}, patience={state['patience']}; "
                f"this gate has threshold={self.threshold}, patience={self.patience}"
            )
        consecutive = state["consecutive"]
        if isinstance(consecutive, bool) or not isinstance(consecutive, int) or consecutive < 0:
            raise ValueError(f"gate state has an invalid counter: {consecutive!r}")
        self.consecutive = consecutive
        self.last_step = state["last_step"]
