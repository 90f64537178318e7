"""Grade a class: one confined worker per notebook, ``jobs`` at a time, a progress bar, reports at the end.

For each notebook the runner makes a private copy of the learner's folder, starts a worker (worker.py, with
``python -P`` from a neutral folder, so nothing of the submission is on the grader's ``sys.path``), waits for
its one JSON result with a hard time limit, then kills and verifies gone every process the learner started
(confine.py). The runner never reads a PID or a path from anything a learner wrote: PIDs come from its own
children, from the learner's uid, or from the token in the kernel's environment.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .confine import Limits, grading_uid, kill_leftovers, private_copy, sandbox_available, uid_can_run_python
from .discovery import Submission, collect, lesson_of, problems_of, UnknownLesson
from .judge import ERROR, TIMED_OUT, VERDICTS
from .report import GradeReport, Verdict

__all__ = ["CELL_TIMEOUT_S", "GradeOptions", "grade", "grade_notebook", "confinement_note"]

MARGIN_S = 30  # kernel start and shut-down, on top of the notebook's own limits
# Seconds one cell may run: lesson 05 trains a model in one cell (about 50 s on a 2-core machine), and a grading
# server may be slower or busier than a laptop.
CELL_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class GradeOptions:
    """How a class is graded; ``check()`` says what is wrong with a value (``ValueError``)."""

    cell_timeout: float = CELL_TIMEOUT_S
    notebook_timeout: float = 300
    jobs: int = 1
    limits: Limits = field(default_factory=Limits)

    def check(self) -> GradeOptions:
        for name in ("cell_timeout", "notebook_timeout"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"{name.replace('_', '-')} must be a positive number of seconds, got {v!r}")
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1:
            raise ValueError(f"jobs must be a positive int, got {self.jobs!r}")
        return self


def confinement_note() -> str:
    """One line for stderr: how kernels are confined here (weaker confinement is always announced)."""
    why = sandbox_available()
    who = "your own user"
    if os.geteuid() == 0:
        who = "a uid of their own" if why is None or uid_can_run_python() else "ROOT (a spare uid cannot reach Python)"
    if why is None:
        return f"confinement: bubblewrap sandbox (no network, private copy, own PID namespace), {who}, rlimits"
    return (f"WARNING: weaker confinement: {why}; kernels run as {who} with rlimits and a private working copy, "
            "but can read other files and reach the network (see docs/instructor_guide.md, Grading safely)")


def _error(sub: Submission, message: str, labels: list[str] | None) -> list[Verdict]:
    if not labels:
        return [Verdict(sub.learner, sub.shown, "", ERROR, message)]
    return [Verdict(sub.learner, sub.shown, label, ERROR, message) for label in labels]


def _labels(sub: Submission) -> list[str] | None:
    module = lesson_of(sub.notebook)
    try:
        return list(problems_of(module)) if module else None
    except UnknownLesson:
        return None


def grade_notebook(sub: Submission, opts: GradeOptions, hidden: Iterable[Path] = ()) -> list[Verdict]:
    """Every exercise's verdict for one notebook; whatever goes wrong is this learner's error, never raised."""
    sandboxed = sandbox_available() is None
    if not (os.geteuid() == 0 and (sandboxed or uid_can_run_python())):
        return _grade_as(None, sandboxed, sub, opts, hidden)
    try:
        with grading_uid() as uid:
            return _grade_as(uid, sandboxed, sub, opts, hidden)
    except OSError as e:
        return _error(sub, f"cannot grade: {e}", _labels(sub))


def _grade_as(uid: int | None, sandboxed: bool, sub: Submission, opts: GradeOptions, hidden: Iterable[Path]) -> list[Verdict]:  # fmt: skip
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="coursekit-grade-") as tmp:
        tmp_path = Path(tmp)
        os.chmod(tmp, 0o711)  # the learner's uid passes through to its own copy, and sees nothing else here
        work, runtime = tmp_path / "work", tmp_path / "run"
        try:
            private_copy(sub.folder, work, uid)
        except OSError as e:
            return _error(sub, f"cannot copy the learner's folder: {e}", _labels(sub))
        _share_tokenizer_cache(work / ".cache" / "coursekit", uid)
        runtime.mkdir(mode=0o700)
        if uid is not None:
            os.chown(runtime, uid, uid)
        notebook = work / (sub.notebook.relative_to(sub.folder) if sub.folder != sub.notebook else sub.notebook.name)
        job = {"notebook": str(notebook), "cell_timeout": opts.cell_timeout, "notebook_timeout": opts.notebook_timeout,
               "sandbox": {"workdir": str(work), "runtime": str(runtime), "hidden": [str(p) for p in hidden],
                           "limits": asdict(_with_cpu_backstop(opts)), "uid": uid, "token": token,
                           "use_bwrap": sandboxed}}  # fmt: skip
        limit = 2 * opts.notebook_timeout + opts.cell_timeout + MARGIN_S
        proc = subprocess.Popen([sys.executable, "-P", "-m", "coursekit.course.grader.worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp, start_new_session=True)  # fmt: skip
        try:
            out, err = proc.communicate(json.dumps(job).encode(), timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # our own child's session: its PID is ours, not read from anywhere
            proc.communicate()
            out, err = b"", b""
        finally:
            survivors = kill_leftovers(uid, token)
        verdicts = _verdicts(sub, out, err, proc.returncode, limit)
        if survivors:
            for v in verdicts:
                v.message += f" [{len(survivors)} learner process(es) survived SIGKILL: {survivors}]"
        return verdicts


def _share_tokenizer_cache(dest: Path, uid: int | None) -> None:
    """A copy of the instructor's trained course tokenizers in the kernel's own home (``~/.cache/coursekit``):
    without it every learner's kernel would train the tokenizer again, minutes of CPU each."""
    from coursekit.train.tokenizer import default_cache_dir

    cached = sorted(default_cache_dir().glob("bpe-*.json")) if default_cache_dir().is_dir() else []
    if not cached:
        return
    dest.mkdir(parents=True, exist_ok=True)
    for src in cached:
        if src.is_file() and not src.is_symlink():
            shutil.copyfile(src, dest / src.name)
    if uid is not None:
        for path in (dest.parent, dest, *dest.iterdir()):
            os.chown(path, uid, uid)


def _with_cpu_backstop(opts: GradeOptions) -> Limits:
    """The limits, with CPU seconds (if not set) at what every core could burn in the wall-clock limits."""
    if opts.limits.cpu_seconds:
        return opts.limits
    cpu = math.ceil((2 * opts.notebook_timeout + opts.cell_timeout) * (os.cpu_count() or 1))
    return replace(opts.limits, cpu_seconds=cpu)


def _verdicts(sub: Submission, out: bytes, err: bytes, code: int | None, limit: float) -> list[Verdict]:
    labels = _labels(sub)
    if not out:
        if code is not None and code < 0 and code != -9:
            return _error(sub, f"grading worker killed by signal {-code}", labels)
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"no result in {limit:g} s"]
        verdict = TIMED_OUT if code == -9 else ERROR
        return [Verdict(v.learner, v.notebook, v.exercise, verdict, f"grading worker: {tail[0]}"[:300])
                for v in _error(sub, "", labels)]  # fmt: skip
    try:
        result = json.loads(out)
    except json.JSONDecodeError:
        return _error(sub, "the grading worker's result was not valid JSON", labels)
    if "fatal" in result:
        return _error(sub, str(result["fatal"])[:300], labels)
    verdicts = []
    for rec in result.get("verdicts", []):
        if not isinstance(rec, dict) or rec.get("verdict") not in VERDICTS:
            continue
        answer = rec.get("answer") if isinstance(rec.get("answer"), str) else None
        verdicts.append(Verdict(sub.learner, sub.shown, str(rec.get("label")), rec["verdict"],
                                str(rec.get("message", ""))[:1000], answer))  # fmt: skip
    return verdicts or _error(sub, "the grading worker returned no verdicts", labels)


def _hidden(subs: list[Submission]) -> list[Path]:
    """What each kernel must not see: every submitted notebook, and every learner folder (unless it holds the
    Python or coursekit the kernel itself needs)."""
    import coursekit

    needed = [Path(sys.prefix).resolve(), Path(coursekit.__file__).resolve().parent]
    out = {s.notebook for s in subs}
    for s in subs:
        if s.folder.is_dir() and not any(n == s.folder.resolve() or s.folder.resolve() in n.parents for n in needed):
            out.add(s.folder)
    return sorted(out)


def grade(paths: Iterable[str | os.PathLike], cell_timeout: float = CELL_TIMEOUT_S, notebook_timeout: float = 300, jobs: int = 1,
          progress: Callable[[int, int, str, float], None] | None = None, limits: Limits | None = None) -> GradeReport:  # fmt: skip
    """Grade every notebook under ``paths``, ``jobs`` at a time; one bad notebook never stops the run.

    ``progress(done, total, learner, elapsed_s)`` is called as each notebook starts and ends.
    """
    opts = GradeOptions(cell_timeout, notebook_timeout, jobs, limits or Limits()).check()
    subs = collect(paths)
    hidden = _hidden(subs)
    start, done, lock = time.monotonic(), [0], threading.Lock()

    def one(sub: Submission) -> list[Verdict]:
        try:
            if progress:
                progress(done[0], len(subs), sub.learner, time.monotonic() - start)
            return grade_notebook(sub, opts, hidden)
        finally:
            with lock:
                done[0] += 1
                if progress:
                    progress(done[0], len(subs), sub.learner, time.monotonic() - start)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, subs))
    return GradeReport([v for verdicts in results for v in verdicts], time.monotonic() - start)
