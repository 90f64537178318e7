"""Does a runner reach the gate? Train it briefly on a stuck shard and read what the gate saw.

v1's firehose runner sampled, but its samples never went through the scorer (docs/specification.md §2, fact 7), and nothing
in the run noticed: the loss looked fine. The only reliable way to know that a training loop calls the alarm is
to run it where the alarm must fire::

    audit = gate_audit("legacy")          # a registered runner's name, or any runner function
    audit.samples_gated, audit.halt_step, audit.steps     # 5, 25, 25: gated, halted, and stopped there
    print(audit)

``gate_audit`` trains the runner with the real trainer (coursekit.train.trainer.main) and the course tokenizer, on
three sources (``AUDIT_SOURCES``) that all hold the same shard stuck on a single token (" the" over and over). A tiny
GPT learns it within a few steps, so every sample the runner takes is degenerate (about 24.6 points), whichever
source it comes from, and a runner wired to the one sample path is halted by the gate on its fifth sample. Three
sources, and stints of 2-4 steps, let the audit also see whether the runner follows its curriculum: the audit
counts the batches drawn from each source and compares them with what the attached curriculum chose and was told
(``curriculum_problem``); a loop that ignores the bandit, or never calls ``bandit.record``, is seen. The run lives in a temporary folder; the audit keeps its figures, read
from the run's own files: ``samples.jsonl`` (every record there went through the sample path: generated,
scored, logged, shown to the gate), ``summary.json`` (how many steps were trained) and any other ``*.jsonl``
(samples the runner stored by a path of its own, which no gate saw).

An audit takes about half a second for a runner that halts and under a second for one that trains all
``AUDIT_STEPS`` steps. ``gate_problem(audit)`` says what is wrong with it, if anything: no sample reached the gate,
the gate never said halt, or the runner trained on after it did (lesson 05 has the learner write that test).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from coursekit.alarm.runlog import read_log

from .corpus import TokenSource
from .runners import RUNNERS, register_runner
from .samplepath import SAMPLES_FILE
from .trainer import SUMMARY_FILE, TrainConfig, main, profile_config

__all__ = ["AUDIT_SOURCES", "AUDIT_STEPS", "AUDIT_EVERY", "STUCK_TEXT", "GateAudit", "audit_config", "audit_data",
           "audit_run", "read_audit", "gate_audit", "gate_problem", "curriculum_problem"]  # fmt: skip

AUDIT_SOURCES = ("stuck_a", "stuck_b", "stuck_c")  # the same stuck shard three times: see the module docstring
AUDIT_STEPS = 50  # steps a runner that never halts trains: ten samples' worth, twice what the gate needs
AUDIT_EVERY = 5  # a sample every 5 steps: with patience 5 the earliest possible halt is step 25
STUCK_TEXT = " the"  # the stuck shard's only token: the commonest English word, one token in the course BPE
STUCK_REPEATS = 2_000  # tokens in the shard: plenty of 33-token windows

Runner = Callable[[Any], None]


@dataclass(frozen=True)
class GateAudit:
    """What one runner did in a short run on a stuck shard, read from the run's files."""

    runner: str  # the runner's name (its registry key, or the function's name)
    exit_status: int  # what trainer.main returned: 0 completed, 3 the gate's halt was recorded
    steps: int  # optimizer steps trained before the runner returned
    samples_gated: int  # samples that went through the one sample path, each scored and shown to the gate
    halt_step: int | None  # the first step at which the gate said halt (None: it never did)
    samples_stored_elsewhere: int  # samples the runner stored by a path of its own: no gate saw them
    last_text: str  # the text of the last sample taken, gated or not ("" when none was)
    trained: tuple[tuple[str, int], ...] = ()  # steps trained on each source, counted from the batches drawn
    curriculum: str | None = None  # the type of the curriculum the runner attached (run.attach); None: none
    curriculum_told: int | None = None  # steps the curriculum was told about (its record() calls), if it counts them
    curriculum_chose: tuple[tuple[str, int], ...] | None = None  # steps per source it chose and was told about
    status_from_log: bool = False  # True: a trainer with no exit status; ``exit_status`` was read off the log

    def __str__(self) -> str:
        status = (("a halt recorded in its log" if self.exit_status == 3 else "no halt in its log")
                  if self.status_from_log else f"exit status {self.exit_status}")
        head = f"{self.runner}: trained {self.steps} steps, {status}; "
        if self.samples_gated == 0:
            gate = "the gate saw no sample"
        elif self.halt_step is None:
            gate = f"the gate saw {self.samples_gated} samples and never said halt"
        else:
            gate = f"the gate saw {self.samples_gated} samples and said halt at step {self.halt_step}"
        stored = (f"; {self.samples_stored_elsewhere} samples stored elsewhere, never scored"
                  if self.samples_stored_elsewhere else "")  # fmt: skip
        last = " ".join(self.last_text.split())
        preview = f"\n    last sample: {last[:60]!r}{'...' if len(last) > 60 else ''}" if last else ""
        return head + gate + stored + preview


def audit_config(out_dir: str | Path, runner: str = "firehose", *, max_steps: int = AUDIT_STEPS,
                 seed: int = 0) -> TrainConfig:  # fmt: skip
    """The cpu profile shrunk to a 1-layer, 32-wide GPT that samples 24 tokens every ``AUDIT_EVERY`` steps.

    Its prompts come from the source being trained on (the audit has no clean source), and a sample is its 24
    tokens (24 words: the stuck token is a word).
    """
    return profile_config(
        "cpu", out_dir=str(out_dir), runner=runner, max_steps=max_steps, seed=seed, device="cpu", progress=False,
        ckpt_every=0, batch_size=4, warmup_steps=1, lr=3e-2,
        model=dict(block_size=32, n_layer=1, n_head=2, n_embd=32),
        # Only stuck shards: no clean text to prompt from, and one word per token. Stints of 2-4 steps and a
        # legacy switch every 3 steps: each runner trains several of the sources within the 25 steps.
        alarm=dict(every=AUDIT_EVERY, prompt_tokens=4, new_tokens=24, prompts="source", words=None),
        bandit=dict(min_stint=2, max_stint=4), legacy_switch_every=3,
    )  # fmt: skip


@functools.cache
def audit_data() -> tuple[Any, dict[str, TokenSource]]:
    """The course tokenizer and the audit's sources, each a shard stuck on ``STUCK_TEXT`` (loaded once)."""
    from .tokenizer import load_tokenizer  # the tokenizer loads only when an audit runs

    tokenizer = load_tokenizer()
    ids = torch.tensor(tokenizer.encode(STUCK_TEXT * STUCK_REPEATS), dtype=torch.long)  # (STUCK_REPEATS,)
    return tokenizer, {name: TokenSource(name, ids, faulty=True) for name in AUDIT_SOURCES}


class _CountingSource(TokenSource):
    """A source that counts the batches drawn from it: the steps the runner really trained on it."""

    def __init__(self, source: TokenSource) -> None:
        super().__init__(source.name, source.tokens, source.faulty)
        self.batches = 0

    def get_batch(self, *args: Any, **kwargs: Any) -> Any:
        self.batches += 1
        return super().get_batch(*args, **kwargs)


def _curriculum_counts(curriculum: Any) -> tuple[int | None, tuple[tuple[str, int], ...] | None]:
    """What a curriculum was told: (record() calls, steps per source) where it keeps them (FirehoseBandit's
    ``steps``, LegacySchedule's ``step``), else None."""
    per_source = getattr(curriculum, "steps", None)
    if isinstance(per_source, dict):
        return sum(per_source.values()), tuple(sorted(per_source.items()))
    told = getattr(curriculum, "step", None)
    return (told if isinstance(told, int) else None), None


def _runner_name(runner: str | Runner) -> tuple[str, Runner]:
    if isinstance(runner, str):
        if runner not in RUNNERS:
            raise ValueError(f"unknown runner {runner!r}; registered: {', '.join(RUNNERS)}")
        return runner, RUNNERS[runner]
    if not callable(runner):
        raise TypeError(f"a runner is a registered name or a function of one argument (the run), "
                        f"got {type(runner).__name__}")  # fmt: skip
    known = [name for name, fn in RUNNERS.items() if fn is runner]
    return (known[0] if known else getattr(runner, "__name__", "runner")), runner


def audit_run(runner: str | Runner, out_dir: str | Path, *, max_steps: int = AUDIT_STEPS, seed: int = 0,
              watch: dict[str, Any] | None = None) -> int:  # fmt: skip
    """Train ``runner`` on the stuck shards into ``out_dir`` (which must not hold a run); returns the exit status.

    A function that is not registered is registered under a temporary name for the run and removed afterwards.
    ``watch``, if given, receives what the run did beside its files: ``trained`` and the curriculum's counts.
    """
    name, fn = _runner_name(runner)
    key = name if RUNNERS.get(name) is fn else f"audit:{name}:{id(fn)}"
    temporary = key not in RUNNERS
    if temporary:
        register_runner(key)(fn)
    tokenizer, shared = audit_data()
    sources = {name: _CountingSource(source) for name, source in shared.items()}  # fresh counts for this run
    runs: list[Any] = []
    try:
        return main(audit_config(out_dir, key, max_steps=max_steps, seed=seed), tokenizer=tokenizer, sources=sources,
                    on_step=lambda run: runs.append(run) if not runs else None)
    finally:
        if temporary:
            del RUNNERS[key]
        if watch is not None:
            curriculum = getattr(runs[0], "curriculum", None) if runs else None
            told, chose = _curriculum_counts(curriculum) if curriculum is not None else (None, None)
            watch.update(trained=tuple(sorted((n, s.batches) for n, s in sources.items() if s.batches)),
                         curriculum=None if curriculum is None else type(curriculum).__name__,
                         curriculum_told=told, curriculum_chose=chose)


def read_audit(runner: str, exit_status: int, out_dir: str | Path) -> GateAudit:
    """A ``GateAudit`` from the files of a finished run in ``out_dir``."""
    out = Path(out_dir)
    gated = read_log(out / SAMPLES_FILE)[0] if (out / SAMPLES_FILE).exists() else []
    elsewhere = [rec for path in sorted(out.glob("*.jsonl")) if path.name != SAMPLES_FILE
                 for rec in read_log(path)[0]]  # fmt: skip
    summary = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
    latest = max(gated + elsewhere, key=lambda rec: rec["step"], default=None)
    return GateAudit(
        runner=runner,
        exit_status=exit_status,
        steps=summary["step"],
        samples_gated=len(gated),
        halt_step=next((rec["step"] for rec in gated if rec.get("halt")), None),
        samples_stored_elsewhere=len(elsewhere),
        last_text="" if latest is None else latest["text"],
    )


def gate_audit(runner: str | Runner, *, max_steps: int = AUDIT_STEPS, seed: int = 0) -> GateAudit:
    """Train ``runner`` (a registered name or a runner function) on a stuck shard and report what the gate saw.

    An exception raised by the runner propagates, as it would from a real run. A runner object that audits itself
    (a ``__gate_audit__`` method: a runner the grader lends a learner's test, which it audits in its own process)
    does so.
    """
    if hasattr(type(runner), "__gate_audit__"):
        return runner.__gate_audit__(max_steps=max_steps, seed=seed)
    name, _ = _runner_name(runner)
    watch: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="coursekit-audit-") as tmp:
        status = audit_run(runner, tmp, max_steps=max_steps, seed=seed, watch=watch)
        return dataclasses.replace(read_audit(name, status, tmp), **watch)


def gate_problem(audit: GateAudit) -> str | None:
    """Why an audit shows the runner skipping the gate; None when it reached the gate and stopped at its halt.

    Exit status 3 is not enough: a runner that ignores the verdict trains on, and its run still ends "halted".
    """
    if audit.samples_gated == 0:
        return "no sample ever reached the gate"
    if audit.halt_step is None:
        return f"the gate saw {audit.samples_gated} degenerate samples and never said halt"
    if audit.steps != audit.halt_step:
        return f"the gate said halt at step {audit.halt_step}, the runner went on to step {audit.steps}"
    return None


def curriculum_problem(audit: GateAudit) -> str | None:
    """Why an audit shows the runner bypassing its curriculum; None when it trained what the curriculum chose and
    told it about every step. An audit made from files alone (``read_audit``) has nothing to say here: None."""
    if not audit.trained:
        return None
    steps = sum(n for _, n in audit.trained)
    if audit.curriculum is None:
        return "the runner attached no curriculum (`run.attach(...)`): it chose its sources by itself"
    if audit.curriculum_told is not None and audit.curriculum_told != steps:
        return (f"the runner trained {steps} steps but told its {audit.curriculum} about {audit.curriculum_told}: "
                "record the loss of every step")
    if audit.curriculum_chose is not None:
        chose = {name: n for name, n in audit.curriculum_chose if n}
        if chose != dict(audit.trained):
            return (f"the runner trained {dict(audit.trained)} but its {audit.curriculum} chose {chose}: train the "
                    "source the curriculum names")
    return None
