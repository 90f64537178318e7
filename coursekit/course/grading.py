"""Grade a class: run every learner notebook in its own kernel and tabulate learner x exercise verdicts.

    coursekit grade submissions/ --csv grades.csv --markdown grades.md

Each notebook runs in a worker subprocess (``python -m coursekit.course.grading --worker``) that drives a fresh Jupyter
kernel cell by cell with nbclient, so no learner code ever runs in the grader's process. A cell that runs past
the per-cell limit is interrupted and the notebook goes on; a notebook past its own limit is stopped (worker and
kernel killed) and keeps what it had recorded. After the last cell the worker appends one grading cell that
checks *every* exercise of the lesson against the notebook's final variables, by exercise name: a learner who
deleted, duplicated, reordered or retyped cells is graded on what they defined, not on where it stands.

Verdicts: ``passed``, ``failed``, ``not attempted``, ``timed out`` (the exercise is unfinished and a cell using
its names was stopped), ``error`` (unfinished and a cell using its names raised; or the notebook could not be
run at all: not valid JSON, kernel died). Free-text answers are collected for the instructor to read.

Which lesson a notebook is comes from its file name (``02_hand_scoring.ipynb``) or, failing that, from the
``coursekit.lessonNN`` it imports. The learner is the first folder under the path given (``subs/alice/02_...``),
or the file's stem when the notebook sits directly in it.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .exercise import (
    CORRECT,
    GRADE_LOG_ENV,
    INCORRECT,
    NOT_ATTEMPTED,
    FreeTextProblem,
    Problem,
)

__all__ = ["PASSED", "FAILED", "NOT_ATTEMPTED_V", "TIMED_OUT", "ERROR", "Verdict", "GradeReport", "grade", "lesson_of"]

PASSED, FAILED, NOT_ATTEMPTED_V, TIMED_OUT, ERROR = "passed", "failed", "not attempted", "timed out", "error"
_FROM_STATUS = {CORRECT: PASSED, INCORRECT: FAILED, NOT_ATTEMPTED: NOT_ATTEMPTED_V}
_LESSON_IN_NAME = re.compile(r"^(\d\d)_")
_LESSON_IN_SOURCE = re.compile(r"coursekit\.(?:course\.lessons\.)?lesson(\d\d)\b")  # new or pre-0.2 name
KERNEL_MARGIN_S = 15
_GRADE_CELL = "import coursekit.course.grading as _cg\n_cg.grade_in_kernel({module!r}, globals())"


@dataclass
class Verdict:
    """One learner's result on one exercise."""

    learner: str
    notebook: str  # path as given, relative where possible
    exercise: str  # the exercise's label, e.g. "Lesson 02 · Q1"
    verdict: str  # PASSED, FAILED, NOT_ATTEMPTED_V, TIMED_OUT or ERROR
    message: str = ""  # the check's feedback, or what went wrong
    answer: str | None = None  # a free-text answer, for the instructor to read


@dataclass
class GradeReport:
    verdicts: list[Verdict] = field(default_factory=list)

    def exercises(self) -> list[str]:
        return sorted({v.exercise for v in self.verdicts if v.exercise})

    def learners(self) -> list[str]:
        return sorted({v.learner for v in self.verdicts})

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(Verdict.__dataclass_fields__), lineterminator="\n")
        writer.writeheader()
        for v in self.verdicts:
            writer.writerow(asdict(v))
        return out.getvalue()

    def to_markdown(self) -> str:
        """The learner x exercise table, a count of passes per learner, then the free-text answers."""
        exercises = self.exercises()
        cell = {(v.learner, v.exercise): v.verdict for v in self.verdicts}
        lines = ["| learner | " + " | ".join(exercises) + " | passed |", "|---" * (len(exercises) + 2) + "|"]
        for learner in self.learners():
            row = [cell.get((learner, e), "") for e in exercises]
            lines.append(f"| {learner} | " + " | ".join(row) + f" | {row.count(PASSED)}/{len(exercises)} |")
        problems = [v for v in self.verdicts if not v.exercise]
        if problems:
            lines += ["", "Notebooks that could not be graded:", ""]
            lines += [f"- {v.learner}: `{v.notebook}`: {v.message}" for v in problems]
        answers = [v for v in self.verdicts if v.answer]
        if answers:
            lines += ["", "## Free-text answers", ""]
            for v in sorted(answers, key=lambda v: (v.exercise, v.learner)):
                lines.append(f"**{v.exercise}, {v.learner}** ({v.verdict}): {v.answer}")
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"


# --- which lesson, which learner -------------------------------------------------------------------------------


def lesson_of(path: Path, raw: str | None = None) -> str | None:
    """The lesson module a notebook belongs to (``"coursekit.course.lessons.lesson02"``), from its name or its imports."""
    m = _LESSON_IN_NAME.match(path.name)
    if m:
        return f"coursekit.course.lessons.lesson{m.group(1)}"
    if raw is not None:
        m = _LESSON_IN_SOURCE.search(raw)
        if m:
            return f"coursekit.course.lessons.lesson{m.group(1)}"
    return None


def problems_of(module_name: str) -> dict[str, Problem]:
    """The lesson's exercises, by label, in the order q1, q2, ..."""
    module = importlib.import_module(module_name)
    found = [(name, obj) for name, obj in vars(module).items() if re.fullmatch(r"q\d+", name) and isinstance(obj, Problem)]
    found.sort(key=lambda item: int(item[0][1:]))
    return {obj.label: obj for _, obj in found}


def _learner(path: Path, root: Path | None) -> str:
    if root is not None:
        rel = path.relative_to(root)
        if len(rel.parts) > 1:
            return rel.parts[0]
    return path.stem


def collect(paths: Iterable[str | os.PathLike]) -> list[tuple[str, Path]]:
    """(learner, notebook) for every ``.ipynb`` under the given files and folders (checkpoints skipped)."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            for nb in sorted(p.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in nb.parts:
                    found.append((_learner(nb, p), nb))
        elif p.exists():
            found.append((_learner(p, None), p))
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return found


# --- inside the kernel ---------------------------------------------------------------------------------------


def grade_in_kernel(module_name: str, namespace: Mapping[str, Any]) -> None:
    """Run in the learner's kernel by the grading cell: check every exercise against the final variables."""
    from .exercise import record_outcome

    for problem in problems_of(module_name).values():
        values = {n: namespace[n] for n in problem.names if n in namespace}
        record_outcome(problem, problem.grade(**values), values, final=True)


# --- the worker: one notebook, one kernel ------------------------------------------------------------------------


def _emit(log: io.TextIOBase, **record: Any) -> None:
    log.write(json.dumps(record) + "\n")
    log.flush()


def _worker(notebook: Path, log_path: Path, cell_timeout: float, notebook_timeout: float) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import (
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )

    with open(log_path, "a", encoding="utf-8") as log:
        try:
            nb = nbformat.read(notebook, as_version=4)
        except Exception as e:  # not JSON, not a notebook: nothing to run
            _emit(log, kind="fatal", message=f"not a readable notebook: {type(e).__name__}: {e}"[:300])
            return 0
        module = lesson_of(notebook, json.dumps([c.get("source", "") for c in nb.cells]))
        if module is None:
            _emit(log, kind="fatal", message="cannot tell which lesson this is (no NN_ prefix, no coursekit.lessonNN import)")
            return 0
        _emit(log, kind="lesson", module=module)
        nb.cells.append(nbformat.v4.new_code_cell(_GRADE_CELL.format(module=module)))
        os.environ[GRADE_LOG_ENV] = str(log_path)  # the kernel inherits it: checks record their outcomes there
        os.environ.pop("COURSEKIT_GRADING", None)  # checks display rather than raise: every cell gets its turn
        client = NotebookClient(nb, timeout=cell_timeout, interrupt_on_timeout=True, allow_errors=True,
                                kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}})
        start = time.monotonic()
        with client.setup_kernel():
            _emit(log, kind="kernel", pid=client.km.provisioner.pid if client.km.provisioner else None)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if time.monotonic() - start > notebook_timeout:
                    _emit(log, kind="stopped", index=index, message=f"notebook past its {notebook_timeout:.0f} s limit")
                    break
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    _emit(log, kind="cell", index=index, status="timeout", source=cell.source)
                    continue
                except DeadKernelError as e:
                    _emit(log, kind="fatal", message=f"the kernel died: {e}"[:300])
                    break
                except CellExecutionError:
                    pass  # allow_errors records it in the outputs; read below
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                timed_out = any("Cell execution timed out" in " ".join(o.get("traceback", [])) or o.get("ename") == "KeyboardInterrupt" for o in errors)
                status = "timeout" if timed_out else ("error" if errors else "ok")
                _emit(log, kind="cell", index=index, status=status, source=cell.source,
                      ename=errors[0].get("ename") if errors else None)
    return 0


# --- the parent: limits, then verdicts --------------------------------------------------------------------------


def _kill(pid: int | None) -> None:
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)  # the kernel leads a session of its own
        except (ProcessLookupError, PermissionError):
            pass


def _run_worker(notebook: Path, cell_timeout: float, notebook_timeout: float) -> tuple[list[dict], str | None]:
    with tempfile.TemporaryDirectory(prefix="coursekit-grade-") as tmp:
        log_path = Path(tmp) / "log.jsonl"
        log_path.touch()
        cmd = [sys.executable, "-m", "coursekit.course.grading", "--worker", str(notebook), str(log_path),
               str(cell_timeout), str(notebook_timeout)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, cwd=notebook.parent)
        problem = None
        # The worker stops itself at the notebook limit (plus at most one cell); past that, a cell is ignoring
        # interrupts, and the margin covers kernel start and shut-down.
        try:
            _, err = proc.communicate(timeout=notebook_timeout + cell_timeout + KERNEL_MARGIN_S)
            if proc.returncode != 0:
                problem = f"grading worker failed: {err.decode(errors='replace').strip().splitlines()[-1:] or proc.returncode}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            problem = "timeout"
        records = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for rec in records:
            if rec.get("kind") == "kernel":
                _kill(rec.get("pid"))
        return records, problem


def _uses(source: str, names: Sequence[str]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", source) for n in names)


def grade_notebook(learner: str, notebook: Path, cell_timeout: float = 60, notebook_timeout: float = 300) -> list[Verdict]:
    """Every exercise's verdict for one learner notebook."""
    name = str(notebook)
    records, problem = _run_worker(notebook, cell_timeout, notebook_timeout)
    fatal = next((r["message"] for r in records if r.get("kind") == "fatal"), None)
    lesson = next((r["module"] for r in records if r.get("kind") == "lesson"), None) or lesson_of(notebook)
    if lesson is None:
        return [Verdict(learner, name, "", ERROR, fatal or problem or "the notebook could not be run")]
    stopped = problem == "timeout" or any(r.get("kind") == "stopped" for r in records)
    final = {r["label"]: r for r in records if r.get("kind") == "outcome" and r.get("final")}
    last_check = {r["label"]: r for r in records if r.get("kind") == "outcome" and not r.get("final")}
    cells = [r for r in records if r.get("kind") == "cell"]
    verdicts = []
    for label, prob in problems_of(lesson).items():
        rec = final.get(label) or last_check.get(label)
        verdict = _FROM_STATUS[rec["status"]] if rec else NOT_ATTEMPTED_V
        message = rec["message"] if rec else ""
        if verdict != PASSED:
            bad = [c for c in cells if c["status"] != "ok" and _uses(c["source"], prob.names)]
            if any(c["status"] == "timeout" for c in bad):
                verdict, message = TIMED_OUT, "a cell using " + ", ".join(prob.names) + " ran past the time limit"
            elif bad:
                verdict, message = ERROR, f"a cell using {', '.join(prob.names)} raised {bad[-1].get('ename')}"
            elif rec is None and (stopped or fatal):
                verdict = TIMED_OUT if stopped else ERROR
                message = fatal or "the notebook ran out of time before this exercise"
        answer = rec.get("answer") if rec and isinstance(prob, FreeTextProblem) else None
        verdicts.append(Verdict(learner, name, label, verdict, message, answer))
    return verdicts


def grade(
    paths: Iterable[str | os.PathLike], cell_timeout: float = 60, notebook_timeout: float = 300, jobs: int = 1
) -> GradeReport:
    """Grade every notebook under ``paths``, ``jobs`` at a time; one bad notebook never stops the run."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}")
    found = collect(paths)
    # Threads only wait on worker subprocesses: the notebooks themselves run in their own kernels.
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda item: grade_notebook(item[0], item[1], cell_timeout, notebook_timeout), found)
        return GradeReport([v for verdicts in results for v in verdicts])


if __name__ == "__main__":  # the worker: python -m coursekit.course.grading --worker NOTEBOOK LOG CELL_TIMEOUT NB_TIMEOUT
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        sys.exit(_worker(Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])))
    sys.exit("usage: use `coursekit grade PATH...`; --worker is internal")
