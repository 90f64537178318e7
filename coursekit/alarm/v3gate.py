"""The v3 gate: the same four axis scores as v2, combined with floors instead of a sum, and counted in a window.

v2 (coursekit.alarm.gate) has two blind spots that v1's log shows (lesson 06):

1. **The composite is a sum, so axes buy each other off.** Any sample of three or more words whose word
   bigrams and trigrams are all distinct gets 35 + 35 = 70 from the two n-gram axes alone, whatever its words or
   characters: ``''''' ''''' '' ''' ''`` scores 70.5, the lowest such a sample can score. The other way round, a
   loop of one English word gets 20 + 3 for free, so a short loop (``region`` x 8: 33.83) passes too.
2. **"In a row" is reset by any good sample.** v1's bandit kept switching to sources that had not collapsed yet;
   each of their healthy samples sent the counter back to 0, so the gate waited until 132,000.

v3 changes the two rules and nothing else (no new metric; a sample is still scored by ``eval_chat_quality``):

- **Floors (an AND, not a sum).** A sample is *bad* when v2 calls it degenerate (total < 30) **or** when any
  axis falls below its own floor (``V3Config``): bigram diversity below half its maximum (a loop, at any length:
  real text repeats few word pairs in 64 tokens), English presence below a fifth (punctuation noise, non-words:
  an undertrained model's babble keeps a quarter or more on the course's healthy runs), character diversity
  below half (fewer than 10 distinct characters: any 64 tokens of prose or code use 20 or more; a loop only the
  few of its own words).
- **k of n (a window, not a streak).** The gate halts when at least ``needed`` of the last ``window`` samples
  are bad (5 of 10 by default). A healthy sample from another source no longer erases the evidence, yet one bad
  sample, or four, can still never halt a run.

On v1's reconstructed log (data/v1/samples.jsonl) v3 fires at step 77,400, 54,600 steps before v2's 132,000; on
the healthy data (v1 before 70,000, the battery's healthy samples, a healthy run of the course's trainer in
data/healthy/) it calls no sample bad, so no window can fill; nor on two held-out healthy runs that played no part
in choosing its floors (``gatereport.heldout_sets``). ``coursekit.backtest.gatereport.gate_report`` computes these
figures for any gate, and tests/test_gatereport.py checks them.

``V3Gate`` is a ``CoherenceGate`` with its two rules replaced (``observe``, ``observe_score``, ``state_dict``,
``threshold``, ``patience``), so ``coursekit.backtest.replay.backtest(records, gate=V3Gate())`` replays a log through it. Its
decisions' ``consecutive`` counts bad samples in a row (as v2's does, so a back-test's resets still read "a good
sample came after n bad ones"), but v3 halts on ``in_window``, which a good sample does not reset.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import compress
from typing import Any

from .gate import CoherenceGate, GateDecision
from .metrics import (
    BIGRAM_MAX,
    CHARS_MAX,
    DEFAULT_THRESHOLD,
    ENGLISH_MAX,
    SampleScore,
    eval_chat_quality,
)

__all__ = ["RULES", "V3Config", "V3Decision", "V3Gate", "verdict"]

RULES = ("total", "bigram", "english", "chars")  # the names ``verdict`` gives the rules a sample can break


@dataclass(frozen=True)
class V3Config:
    """v3's rules; every number is on the scale of the axis it bounds (docs/specification.md §4)."""

    threshold: float = DEFAULT_THRESHOLD  # v2's rule stays: a total below 30 is bad under v3 too
    min_bigram: float = 0.5 * BIGRAM_MAX  # 17.5 of 35: a loop of any words repeats nearly all its word pairs
    min_english: float = 0.2 * ENGLISH_MAX  # 4 of 20: punctuation noise and non-words have no English at all
    min_chars: float = 0.5 * CHARS_MAX  # 5 of 10, i.e. 10 distinct characters: a loop uses only its own few
    window: int = 10  # look at the last `window` samples (this one included) ...
    needed: int = 5  # ... and halt when at least `needed` of them are bad (keep it > 1: one sample must never halt)

    def __post_init__(self) -> None:
        for name, top in (("threshold", 100.0), ("min_bigram", BIGRAM_MAX), ("min_english", ENGLISH_MAX),
                          ("min_chars", CHARS_MAX)):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= top:
                raise ValueError(f"V3Config.{name} must be a number from 0 to {top:g}, got {value!r}")
        for name in ("window", "needed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"V3Config.{name} must be a positive int, got {value!r}")
        if self.needed > self.window:
            raise ValueError(f"V3Config.needed ({self.needed}) cannot exceed window ({self.window}): it would never "
                             "fire")


def verdict(score: SampleScore, config: V3Config = V3Config()) -> tuple[str, ...]:
    """The v3 rules ``score`` breaks, named from ``RULES``; an empty tuple means the sample is good.

    ``''''' ''''' '' ''' ''`` (35, 35, 0, 0.5: total 70.5) breaks ``("english", "chars")``; ``region`` x 8
    (5.0, 5.83, 20, 3.0: total 33.83) breaks ``("bigram", "chars")``; fluent English breaks none.
    """
    if not isinstance(score, SampleScore):
        raise TypeError(f"verdict() expects a SampleScore (from eval_chat_quality), got {type(score).__name__}")
    broken = (  # one per RULES name, in its order
        score.total < config.threshold,
        score.bigram < config.min_bigram,
        score.english < config.min_english,
        score.chars < config.min_chars,
    )
    return tuple(compress(RULES, broken))  # v4's judge calls this once per sample: names picked in C


@dataclass(frozen=True)
class V3Decision(GateDecision):
    """v3's conclusion from one sample: ``GateDecision``'s fields, plus the window and the rules broken."""

    in_window: int = 0  # bad samples among the last `window`, this one included: v3 halts on this
    reasons: tuple[str, ...] = ()  # the rules this sample broke (empty: a good sample)


class V3Gate(CoherenceGate):
    """Floors on every axis, and ``needed`` bad samples among the last ``window``: see the module docstring.

    A ``CoherenceGate`` with its two rules replaced, so it drops in wherever v2's gate goes; it inherits
    ``observe`` (score, then ``observe_score``). ``threshold`` is v3's composite threshold and ``patience`` the
    bad samples it needs, which is what ``coursekit.backtest.replay`` reports.
    """

    def __init__(
        self, config: V3Config | None = None, scorer: Callable[[str], SampleScore] = eval_chat_quality
    ) -> None:
        if config is not None and not isinstance(config, V3Config):
            raise TypeError(f"config must be a V3Config, got {type(config).__name__}")
        self.config = config or V3Config()
        super().__init__(self.config.threshold, self.config.needed, scorer)
        self.recent: deque[bool] = deque(maxlen=self.config.window)  # bad (True) or good, oldest first

    def describe(self) -> str:
        return (f"halt when {self.config.needed} of the last {self.config.window} samples are bad "
                "(total or an axis below its floor)")

    def __repr__(self) -> str:
        return (f"V3Gate({self.config}, in_window={sum(self.recent)}, consecutive={self.consecutive}, "
                f"last_step={self.last_step})")  # fmt: skip

    @property
    def halted(self) -> bool:
        return sum(self.recent) >= self.config.needed

    def is_bad(self, score: SampleScore) -> tuple[str, ...]:
        """The rules ``score`` breaks (empty: good). A subclass may replace the per-sample rule here."""
        return verdict(score, self.config)

    def observe_score(self, step: int, score: SampleScore) -> V3Decision:
        """Update the window from an already computed score."""
        self._advance_to(step)
        reasons = self.is_bad(score)
        self.recent.append(bool(reasons))
        self.consecutive = self.consecutive + 1 if reasons else 0
        return V3Decision(step=step, score=score, consecutive=self.consecutive, halt=self.halted,
                          in_window=sum(self.recent), reasons=tuple(reasons))  # fmt: skip

    def reset(self) -> None:
        super().reset()
        self.recent.clear()

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume (plain JSON-able values): the config, the window and the streak."""
        return {"config": asdict(self.config), "recent": list(self.recent), "consecutive": self.consecutive,
                "last_step": self.last_step}  # fmt: skip

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a window saved by ``state_dict()``; the config must match this gate's."""
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict() expects a dict, got {type(state).__name__}")
        missing = {"config", "recent", "consecutive", "last_step"} - state.keys()
        if missing:
            raise KeyError(f"v3 gate state is missing {sorted(missing)}")
        if state["config"] != asdict(self.config):
            raise ValueError(f"v3 gate state was saved with {state['config']}; this gate has {asdict(self.config)}")
        recent = state["recent"]
        well_formed = isinstance(recent, list) and all(isinstance(b, bool) for b in recent)
        if not well_formed or len(recent) > self.config.window:
            raise ValueError(f"v3 gate state has an invalid window: {recent!r:.80}")
        self.recent = deque(recent, maxlen=self.config.window)
        self.consecutive = int(state["consecutive"])
        self.last_step = state["last_step"]
