"""The runners: training loops that differ in how they pick data, and share the one sample path.

ANDREA-120M had two runners. The legacy multi-phase runner called the sample scorer; the firehose runner, a
later and separate code path, never did, and collapsed unwatched for 85,000 steps (docs/specification.md §2, facts 7 and 12).
Here both are registered in ``RUNNERS`` and both end each step with ``run.sample(name)``, the call into
``coursekit.train.samplepath`` that generates, scores, logs and asks the gate::

    while run.next_step():              # periodic checkpoint, then: any steps left?
        name = curriculum.next_source() # which source to train on
        loss = run.train_step(name)     # one optimizer step on a batch of it
        curriculum.record(loss)         # the curriculum learns (or not) from the loss
        if run.sample(name):            # THE sample path; True means the gate says halt
            return

Forgetting that last call is the v1 bug, and nothing else in a run would notice: the loss EMA looks fine. So
the test suite runs every registered runner on a degenerate source and fails if one never reaches the gate
(tests/test_runners.py); register a runner of your own and that test checks it too.
"""

from __future__ import annotations

from collections.abc import Callable

from .curriculum import FirehoseBandit, LegacySchedule, legacy_phases
from .run import Run

__all__ = ["RUNNERS", "register_runner", "firehose", "legacy"]

Runner = Callable[[Run], None]
RUNNERS: dict[str, Runner] = {}


def register_runner(name: str, *, replace: bool = False) -> Callable[[Runner], Runner]:
    """Decorator: make a runner function available as ``TrainConfig(runner=name)`` / ``--runner name``."""

    def add(fn: Runner) -> Runner:
        if name in RUNNERS and not replace:
            raise ValueError(f"a runner named {name!r} is already registered (pass replace=True to swap it)")
        RUNNERS[name] = fn
        return fn

    return add


@register_runner("firehose")
def firehose(run: Run) -> None:
    """v2's firehose: a bandit picks the source every 7-42 steps, chasing low and falling loss."""
    bandit = run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))
    while run.next_step():
        name = bandit.next_source()
        loss = run.train_step(name)
        bandit.record(loss)
        if run.sample(name):  # v1's firehose had no such line: its samples were never scored
            return


@register_runner("legacy")
def legacy(run: Run) -> None:
    """The legacy multi-phase runner: a fixed schedule, clean sources first, then all of them."""
    phases = legacy_phases(run.clean_sources, run.faulty_sources, run.cfg.max_steps)
    schedule = run.attach(LegacySchedule(phases, switch_every=run.cfg.legacy_switch_every))
    while run.next_step():
        loss = run.train_step(name := schedule.next_source())
        schedule.record(loss)
        if run.sample(name):
            return
