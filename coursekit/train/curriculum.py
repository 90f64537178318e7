"""Curricula: which data source the trainer draws its next batch from.

Two curricula, matching the two runners of ANDREA-120M (docs/specification.md §2, §7):

* ``FirehoseBandit`` — v1's "firehose": a multi-armed bandit over the sources. It picks a source, trains on it
  for a *stint* of 7-42 steps (drawn uniformly), scores the stint with the reward below, updates that source's
  estimate, and picks again with a softmax over the estimates.
* ``LegacySchedule`` — the older multi-phase schedule: fixed phases, each cycling through a fixed list of
  sources, whatever the losses say.

The bandit's reward for a stint with per-step losses ``l_1 .. l_n`` is

    reward = -mean(l)  +  trend_weight * (mean(first half of l) - mean(second half of l))
              (low loss)                 (falling loss)

so it favours sources whose loss is low or falling. That is the trap: a broken shard that repeats one token is
the easiest data there is, its loss is the lowest of all, and the bandit hands it more and more of the run while
the loss EMA looks better than ever. Estimates follow rewards with a constant step size (exponential recency
weighting), because the model, and so every source's reward, keeps changing.

Both curricula share one small interface, which is all a runner uses::

    name = curriculum.next_source()   # the source for the step about to run
    curriculum.record(loss)           # that step's training loss
    curriculum.state_dict() / load_state_dict(d)   # plain values, for checkpoints
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BanditConfig", "FirehoseBandit", "Phase", "LegacySchedule", "legacy_phases"]


def _check_sources(sources: Sequence[str]) -> list[str]:
    if isinstance(sources, str) or not isinstance(sources, Sequence):
        raise TypeError(f"sources must be a sequence of names, got {type(sources).__name__}")
    names = list(sources)
    if not names:
        raise ValueError("a curriculum needs at least one source, got none")
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"source names must be str, got {[type(n).__name__ for n in names]}")
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be distinct, got {names}")
    return names


def _check_loss(loss: object) -> float:
    if isinstance(loss, bool) or not isinstance(loss, (int, float)):
        raise TypeError(f"record() expects the step's loss as a float, got {type(loss).__name__}")
    if not math.isfinite(loss):
        raise ValueError(f"record() got a non-finite loss: {loss}")
    return float(loss)


# --- the firehose bandit -----------------------------------------------------------------------------------


@dataclass
class BanditConfig:
    min_stint: int = 7  # fewest steps on one source before switching (v1: 7)
    max_stint: int = 42  # most steps on one source (v1: 42); each stint's length is uniform in [min, max]
    temperature: float = 0.5  # softmax temperature over the estimates, in nats of loss: lower is greedier
    step_size: float = 0.5  # how far an estimate moves toward each new reward (1.0 = forget the past)
    trend_weight: float = 1.0  # weight of "loss is falling" against "loss is low" in the reward

    def __post_init__(self) -> None:
        if not (1 <= self.min_stint <= self.max_stint):
            raise ValueError(f"need 1 <= min_stint <= max_stint, got {self.min_stint} and {self.max_stint}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if not (0 < self.step_size <= 1):
            raise ValueError(f"step_size must be in (0, 1], got {self.step_size}")


def stint_reward(losses: Sequence[float], trend_weight: float = 1.0) -> float:
    """The bandit's reward for one stint: ``-mean(losses) + trend_weight * (first-half mean - second-half mean)``.

    Example: losses [4, 3, 2, 1] -> -2.5 + 1.0 * (3.5 - 1.5) = -0.5; a flat [0.5] * 4 -> -0.5 as well.
    """
    if not losses:
        raise ValueError("stint_reward() needs at least one loss, got none")
    half = len(losses) // 2
    level = sum(losses) / len(losses)
    trend = 0.0 if half == 0 else sum(losses[:half]) / half - sum(losses[-half:]) / half
    return -level + trend_weight * trend


class FirehoseBandit:
    """A softmax bandit over data sources that switches source every 7-42 steps (v1's firehose curriculum)."""

    def __init__(self, sources: Sequence[str], config: BanditConfig | None = None, seed: int = 0) -> None:
        self.sources = _check_sources(sources)
        self.config = config or BanditConfig()
        self.rng = random.Random(seed)
        self.estimates: dict[str, float | None] = {s: None for s in self.sources}  # None: never tried
        self.steps: dict[str, int] = {s: 0 for s in self.sources}  # steps trained on each source
        self.current: str | None = None  # the source of the stint in progress
        self.remaining = 0  # steps left in the stint in progress
        self.losses: list[float] = []  # the stint's losses so far
        self.history: list[tuple[str, int, float]] = []  # finished stints: (source, length, reward)

    def __repr__(self) -> str:
        return f"FirehoseBandit(current={self.current!r}, remaining={self.remaining}, estimates={self.estimates})"

    def probabilities(self) -> dict[str, float]:
        """The chance each source has of winning the next stint (untried sources are tried first)."""
        untried = [s for s in self.sources if self.estimates[s] is None]
        if untried:
            return {s: (1.0 / len(untried) if s in untried else 0.0) for s in self.sources}
        tau = self.config.temperature
        best = max(self.estimates.values())  # subtract the max so exp() cannot overflow
        weights = {s: math.exp((q - best) / tau) for s, q in self.estimates.items()}
        total = sum(weights.values())
        return {s: w / total for s, w in weights.items()}

    def next_source(self) -> str:
        """The source for the next training step; starts a new stint when the current one is over."""
        if self.remaining == 0:
            probs = self.probabilities()
            self.current = self.rng.choices(self.sources, weights=[probs[s] for s in self.sources])[0]
            self.remaining = self.rng.randint(self.config.min_stint, self.config.max_stint)
            self.losses = []
        return self.current

    def record(self, loss: float) -> None:
        """Record the loss of the step just trained on ``next_source()``; at a stint's end, learn from it."""
        if self.current is None or self.remaining == 0:
            raise RuntimeError("record() called without next_source(): no stint is in progress")
        self.losses.append(_check_loss(loss))
        self.steps[self.current] += 1
        self.remaining -= 1
        if self.remaining == 0:
            reward = stint_reward(self.losses, self.config.trend_weight)
            q = self.estimates[self.current]
            self.estimates[self.current] = reward if q is None else q + self.config.step_size * (reward - q)
            self.history.append((self.current, len(self.losses), reward))

    def shares(self) -> dict[str, float]:
        """The fraction of all steps so far spent on each source."""
        total = sum(self.steps.values())
        return {s: (n / total if total else 0.0) for s, n in self.steps.items()}

    def state_dict(self) -> dict[str, Any]:
        version, internal, gauss = self.rng.getstate()
        return {
            "sources": list(self.sources),
            "estimates": dict(self.estimates),
            "steps": dict(self.steps),
            "current": self.current,
            "remaining": self.remaining,
            "losses": list(self.losses),
            "history": [list(h) for h in self.history],
            "rng": [version, list(internal), gauss],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict() expects a dict, got {type(state).__name__}")
        if list(state.get("sources", [])) != self.sources:
            raise ValueError(f"bandit state was saved for sources {state.get('sources')}, this one has {self.sources}")
        self.estimates = dict(state["estimates"])
        self.steps = dict(state["steps"])
        self.current, self.remaining = state["current"], state["remaining"]
        self.losses = list(state["losses"])
        self.history = [(s, n, r) for s, n, r in state["history"]]
        version, internal, gauss = state["rng"]
        self.rng.setstate((version, tuple(internal), gauss))


# --- the legacy multi-phase schedule -------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    name: str  # what the phase is for, shown in logs
    steps: int  # how long the phase lasts; the last phase runs on until the run ends
    sources: tuple[str, ...]  # cycled through in order, one block of `switch_every` steps each


def legacy_phases(clean: Sequence[str], faulty: Sequence[str], total_steps: int) -> list[Phase]:
    """The legacy runner's default plan: the first half on the clean sources, then every source.

    The legacy schedule does not look at the losses, so a faulty source only ever gets its fixed share.
    """
    clean, faulty = list(clean), list(faulty)
    if not clean:
        return [Phase("all", max(1, total_steps), tuple(faulty))]
    first = max(1, total_steps // 2)
    return [Phase("clean", first, tuple(clean)), Phase("mixed", max(1, total_steps - first), tuple(clean + faulty))]


class LegacySchedule:
    """A fixed multi-phase schedule: phase by phase, cycling through each phase's sources."""

    def __init__(self, phases: Sequence[Phase], switch_every: int = 50) -> None:
        if not phases:
            raise ValueError("a legacy schedule needs at least one phase, got none")
        for p in phases:
            if not isinstance(p, Phase):
                raise TypeError(f"phases must be Phase objects, got {type(p).__name__}")
            _check_sources(p.sources)
            if p.steps < 1:
                raise ValueError(f"phase {p.name!r} must last at least one step, got {p.steps}")
        if switch_every < 1:
            raise ValueError(f"switch_every must be at least 1, got {switch_every}")
        self.phases = list(phases)
        self.switch_every = switch_every
        self.sources = list(dict.fromkeys(s for p in self.phases for s in p.sources))
        self.step = 0  # steps recorded so far
        self.last_loss: float | None = None

    def __repr__(self) -> str:
        return f"LegacySchedule(phase={self.phase().name!r}, step={self.step})"

    def _locate(self) -> tuple[Phase, int]:
        """The phase that the next step belongs to, and the step at which that phase began."""
        start = 0
        for p in self.phases:
            if self.step < start + p.steps:
                return p, start
            start += p.steps
        return self.phases[-1], start - self.phases[-1].steps

    def phase(self) -> Phase:
        """The phase that the next step belongs to."""
        return self._locate()[0]

    def next_source(self) -> str:
        phase, start = self._locate()
        block = (self.step - start) // self.switch_every
        return phase.sources[block % len(phase.sources)]

    def record(self, loss: float) -> None:
        """The schedule ignores losses (that is what makes it safe from a low-loss shard); it only counts steps."""
        self.last_loss = _check_loss(loss)
        self.step += 1

    def state_dict(self) -> dict[str, Any]:
        return {"step": self.step, "last_loss": self.last_loss}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict() expects a dict, got {type(state).__name__}")
        self.step, self.last_loss = int(state["step"]), state["last_loss"]
