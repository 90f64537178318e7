"""Lesson 05's collapse run: its config, a fresh run folder, the runner to train with, and what its halt report says.

    run_dir = fresh_run_dir("runs/05_collapse")                       # emptied of an earlier run's files
    cfg = collapse_config(run_dir, runner=runner_for_the_collapse("firehose_v2"))
    profile_changes(cfg, base="cpu")   # what the classroom profile changes from cpu, plus the folder and runner
    status = coursekit.train.trainer.main(cfg)                               # 3: halted by the gate
    halt_facts(run_dir)      # the halt step, the last five totals, the loss EMA then and its share of ln(V)

The run is the ``classroom`` profile's collapse scenario: the ``cpu`` profile's model and data, made quick enough
for a lesson (a batch of 4, a greedier bandit with shorter stints, a sample every ``LESSON_SAMPLE_EVERY`` steps;
coursekit/train/trainconfig.py says why each). ``profile_changes`` lists every difference from ``cpu``, so the
notebook can print it, and ``coursekit train --profile classroom --scenario collapse`` trains the same run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coursekit.alarm.runlog import read_log
from coursekit.incident.v1firehose import V1_LOG
from coursekit.train.checkpoint import CKPT_FILE
from coursekit.train.gateaudit import gate_audit, gate_problem
from coursekit.train.runfiles import written_by_a_run
from coursekit.train.runners import RUNNERS
from coursekit.train.samplepath import SAMPLES_FILE
from coursekit.train.trainer import (
    CONFIG_FILE,
    HALT_FILE,
    PROFILES,
    SUMMARY_FILE,
    TrainConfig,
    profile_config,
)

__all__ = ["LESSON_PROFILE", "LESSON_SAMPLE_EVERY", "collapse_config", "profile_changes", "fresh_run_dir", "runner_for_the_collapse",
           "halt_facts"]  # fmt: skip

LESSON_PROFILE = "classroom"  # the profile of the lesson's collapse run
LESSON_SAMPLE_EVERY = PROFILES[LESSON_PROFILE]["alarm"]["every"]  # its cadence (the cpu profile: 20; v2: 100)
# What fresh_run_dir may delete: v1's log, and every file a run writes (runfiles.written_by_a_run).
RUN_FILES = {CONFIG_FILE, SAMPLES_FILE, HALT_FILE, SUMMARY_FILE, CKPT_FILE, V1_LOG}


def collapse_config(run_dir: str | Path, runner: str = "firehose") -> TrainConfig:
    """The lesson's collapse run: the classroom profile's collapse scenario, trained by ``runner`` into ``run_dir``."""
    return profile_config(LESSON_PROFILE, scenario="collapse", runner=runner, out_dir=str(run_dir))


def _flat(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        out.update(_flat(value, f"{prefix}{key}.") if isinstance(value, Mapping) else {prefix + key: value})
    return out


def profile_changes(cfg: TrainConfig, base: str | None = None) -> list[str]:
    """Each setting of ``cfg`` that differs from profile ``base``'s (default: its own profile's), as "name: profile
    value -> this value"; the profile's name itself is not a setting."""
    ref = profile_config(base or cfg.profile)
    old, mine = (_flat(json.loads(json.dumps(dataclasses.asdict(c)))) for c in (ref, cfg))
    old.pop("profile"), mine.pop("profile")
    return [f"{k}: {old.get(k)!r} -> {v!r}" for k, v in mine.items() if old.get(k) != v]


def fresh_run_dir(path: str | Path) -> Path:
    """``path`` as an empty run folder: the files of an earlier run there are deleted; anything else is refused."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{path} is a file, not a run folder")
        foreign = sorted(p.name for p in path.iterdir() if p.name not in RUN_FILES and not written_by_a_run(p.name))
        if foreign:
            raise ValueError(f"{path} holds files that no run writes ({', '.join(foreign)}); choose another folder")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def runner_for_the_collapse(name: str = "firehose_v2") -> str:
    """``name`` if that registered runner reaches the gate and stops at its halt (an audit), else "firehose"."""
    problem = gate_problem(gate_audit(name)) if name in RUNNERS else "it is not registered"
    if problem is None:
        return name
    print(f"note: {name} is not wired yet ({problem}); training with coursekit's firehose instead")
    return "firehose"


def halt_facts(run_dir: str | Path) -> dict[str, Any]:
    """What a halted run's files say: halt step, last totals, the loss EMA at the halt and its share of ln(V).

    Also, for telling near misses apart: ``run_start`` (the first of the degenerate samples in a row),
    ``first_totals`` (the run's first samples) and ``loss_at_run_start``.
    """
    run = Path(run_dir)
    halt = json.loads((run / HALT_FILE).read_text(encoding="utf-8"))
    vocab = json.loads((run / CONFIG_FILE).read_text(encoding="utf-8"))["model"]["vocab_size"]
    records = read_log(run / SAMPLES_FILE)[0]
    halted = next((r["step"] for r in records if r.get("halt")), None)  # the log and the report must agree
    if halted != halt["step"]:
        raise ValueError(f"{run}: halt.json says step {halt['step']}, samples.jsonl first halts at {halted}")
    steps = [r["step"] for r in records]
    loss = halt["samples"][-1]["loss_ema"]
    return {
        "halt_step": halt["step"],
        "last_five_totals": [s["total"] for s in halt["samples"]],
        "loss_ema_at_halt": loss,
        "share_of_chance": loss / math.log(vocab),
        "vocab_size": vocab,
        "patience": halt["patience"],
        "threshold": halt["threshold"],
        "run_start": steps[steps.index(halt["step"]) - halt["consecutive"] + 1],
        "first_totals": [r["total"] for r in records[: len(halt["samples"])]],
        "loss_at_run_start": halt["samples"][0]["loss_ema"],
    }
