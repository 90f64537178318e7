"""Reading a run folder's files back, checked: every value is validated, and none ever becomes a path.

A run folder may have been copied from someone else, edited, or damaged, so nothing in it is trusted: each file
is checked on load (types, ranges) and an error names the file and the field (``RunFileError``, a
``ValueError``: the CLI exits 2 with it). File names are the module's constants, never built from a file's
content: an earlier halt's report is renamed after the checkpoint's own (validated) step.

- ``read_json_file``: a JSON file of an expected type, or an error naming it;
- ``check_checkpoint``: the fields a ``Run`` restores from ``ckpt.pt``;
- ``check_halt_report``: ``halt.json``'s fields;
- ``check_reports`` / ``restore_halt_file``: a ``halt.json`` or ``summary.json`` that disagrees with the
  checkpoint is reported and not trusted (moved aside, or rewritten from the checkpoint's own halt report);
- ``ResumeRecord`` / ``read_resumes`` / ``append_resume``: ``resumes.json``, one entry per resume, so what a
  resume changed (``max_steps``, continuing past a halt) outlives a kill of the resumed run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from coursekit.alarm.safefile import TMP_PREFIX

from .checkpoint import CKPT_FILE, write_json
from .runlock import LOCK_FILE
from .samplepath import SAMPLES_FILE

__all__ = ["RunFileError", "written_by_a_run", "read_json_file", "check_checkpoint", "check_halt_report", "check_reports",
           "restore_halt_file", "ResumeRecord", "read_resumes", "append_resume", "RESUMES_FILE", "CONFIG_FILE", "HALT_FILE",
           "SUMMARY_FILE"]

CONFIG_FILE, HALT_FILE, SUMMARY_FILE, RESUMES_FILE = "config.json", "halt.json", "summary.json", "resumes.json"


def written_by_a_run(name: str) -> bool:
    """Whether a file of this name in a run folder is one a run writes (so a tool may delete it with the run)."""
    fixed = {CONFIG_FILE, SAMPLES_FILE, CKPT_FILE, HALT_FILE, SUMMARY_FILE, RESUMES_FILE, LOCK_FILE}
    return (name in fixed or name.startswith((TMP_PREFIX, "halt-step")) or
            (name.endswith("-untrusted.json") and name.split("-")[0] + ".json" in (HALT_FILE, SUMMARY_FILE)))


class RunFileError(ValueError):
    """A run folder's file that cannot be used as it is; the message names the file and the field."""


def read_json_file(path: Path, kind: type = dict) -> Any:
    """``path``'s JSON content, which must be a ``kind``; every failure names the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise RunFileError(f"{path} is not UTF-8 text ({e.reason})") from None
    except OSError as e:
        raise RunFileError(f"{path} is unreadable ({e.strerror or e})") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise RunFileError(f"{path} is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None
    except ValueError as e:
        raise RunFileError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(data, kind):
        raise RunFileError(f"{path} must hold a JSON {'object' if kind is dict else kind.__name__}, "
                           f"got {type(data).__name__}")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _int(where: str, value: Any, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise RunFileError(f"{where} must be an int >= {low}, got {value!r:.60}")
    return value


def _finite(where: str, value: Any, *, optional: bool = False, low: float = -math.inf) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < low:
        raise RunFileError(f"{where} must be a finite number{f' >= {low:g}' if low > -math.inf else ''}, "
                           f"got {value!r:.60}")
    return float(value)


def check_checkpoint(state: dict[str, Any], path: Path, source_names: list[str]) -> None:
    """Check the fields a ``Run`` restores (the digest has already matched: this catches a foreign writer)."""
    need = ("step", "config", "model", "optimizer", "alarm", "data_rng", "rng", "loss_ema", "tokens",
            "source_steps", "elapsed", "curriculum", "halt")  # fmt: skip
    missing = [k for k in need if k not in state]
    if missing:
        raise RunFileError(f"{path} lacks {', '.join(missing)}: not a checkpoint of this coursekit's runs")
    step = _int(f"{path}: step", state["step"])
    _int(f"{path}: tokens", state["tokens"])
    _finite(f"{path}: loss_ema", state["loss_ema"], optional=True)
    _finite(f"{path}: elapsed", state["elapsed"], low=0)
    for key in ("config", "model", "optimizer", "alarm"):
        if not isinstance(state[key], dict):
            raise RunFileError(f"{path}: {key} must be a dict, got {type(state[key]).__name__}")
    steps = state["source_steps"]
    if not isinstance(steps, dict) or sorted(steps) != sorted(source_names):
        raise RunFileError(f"{path}: source_steps must name this run's sources {sorted(source_names)}, "
                           f"got {sorted(steps) if isinstance(steps, dict) else type(steps).__name__}")
    if sum(_int(f"{path}: source_steps[{k!r}]", v) for k, v in steps.items()) != step:
        raise RunFileError(f"{path}: source_steps add up to {sum(steps.values())}, not its step {step}")
    if not isinstance(state["data_rng"], list) or not state["data_rng"]:
        raise RunFileError(f"{path}: data_rng must be a non-empty list")
    if state["halt"] is not None:
        check_halt_report(state["halt"], f"{path}: halt")
        if state["halt"]["step"] != step:
            raise RunFileError(f"{path}: its halt report is for step {state['halt']['step']}, not its step {step}")


def check_halt_report(report: Any, where: str | Path) -> dict[str, Any]:
    """A halt report (halt.json, or the copy inside a checkpoint): a dict with an int ``step``."""
    if not isinstance(report, dict):
        raise RunFileError(f"{where} must be a JSON object, got {type(report).__name__}")
    if "step" not in report:
        raise RunFileError(f"{where} has no 'step' field")
    _int(f"{where}: step", report["step"])
    return report


def check_reports(out: Path, step: int, halt: dict[str, Any] | None) -> None:
    """Before a resumed run trains on from ``step``: keep the report of the halt it continues past (renamed
    after the checkpoint's step, never a file's), and report a halt.json or summary.json that disagrees."""
    halt_path = out / HALT_FILE
    if halt is not None:
        target = out / f"halt-step{int(step)}.json"
        os.replace(halt_path, target) if halt_path.exists() else write_json(target, halt)
    elif halt_path.exists():
        _untrusted(halt_path, f"the checkpoint at step {step} records no halt")
    summary_path = out / SUMMARY_FILE
    if summary_path.exists():
        try:
            claimed = read_json_file(summary_path).get("step")
        except RunFileError as e:
            return _untrusted(summary_path, str(e))
        if isinstance(claimed, bool) or not isinstance(claimed, int) or claimed > step:
            _untrusted(summary_path, f"it claims step {claimed!r:.20}, the checkpoint is at {step}")


def _untrusted(path: Path, why: str) -> None:
    aside = path.with_name(path.stem + "-untrusted.json")
    os.replace(path, aside)
    warnings.warn(f"{path} disagrees with {CKPT_FILE} ({why}): not trusted, moved to {aside.name}",
                  RuntimeWarning, stacklevel=3)


def restore_halt_file(out: Path, step: int, report: dict[str, Any]) -> None:
    """Make halt.json the checkpoint's halt report (at ``step``), saying so if a different one was there."""
    path = out / HALT_FILE
    if path.exists():
        try:
            if check_halt_report(read_json_file(path), path) == report:
                return
            why = f"it is not the report of the halt at step {step}"
        except RunFileError as e:
            why = str(e)
        print(f"{path} disagrees with {CKPT_FILE} ({why}): rewritten from the checkpoint", file=sys.stderr)
    write_json(path, report)


@dataclasses.dataclass(frozen=True)
class ResumeRecord:
    """One resume of a run: from which step, to which ``max_steps``, and whether it continued past a halt."""

    step: int
    max_steps: int
    device: str
    continue_after_halt: bool = False


def read_resumes(out: Path) -> list[ResumeRecord]:
    """The run folder's resumes, oldest first ([] if it was never resumed)."""
    path = out / RESUMES_FILE
    if not path.exists():
        return []
    records = []
    for i, entry in enumerate(read_json_file(path, list)):
        where = f"{path}: entry {i}"
        if not isinstance(entry, dict) or set(entry) != {f.name for f in dataclasses.fields(ResumeRecord)}:
            raise RunFileError(f"{where} must be an object with step, max_steps, device, continue_after_halt")
        if not isinstance(entry["device"], str) or not isinstance(entry["continue_after_halt"], bool):
            raise RunFileError(f"{where}: device must be a string and continue_after_halt true or false")
        records.append(ResumeRecord(_int(f"{where}: step", entry["step"]), _int(f"{where}: max_steps",
                                    entry["max_steps"]), entry["device"], entry["continue_after_halt"]))
    return records


def append_resume(out: Path, record: ResumeRecord) -> None:
    write_json(out / RESUMES_FILE, [dataclasses.asdict(r) for r in (*read_resumes(out), record)])
