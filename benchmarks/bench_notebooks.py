"""How long each solution notebook takes to execute headless (the course's budget: 90 s each on 2 CPU cores).

    .venv/bin/python benchmarks/bench_notebooks.py                 # every notebook in notebooks/solutions/
    .venv/bin/python benchmarks/bench_notebooks.py notebooks/solutions/01_loss_vs_coherence.ipynb

Each notebook runs in a fresh kernel (kernel start-up included, as a learner's "Restart and Run All" would),
with the checks in grading mode, so a failing cell shows up here as an error. Prints one line per notebook and
exits 1 if any errored or went over budget.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from coursekit.course.exercise import GRADING_ENV

BUDGET_S = 90.0  # docs/specification.md §3: each solution notebook executes headless in <= 90 s on 2 CPU cores
ROOT = Path(__file__).resolve().parent.parent


def run(path: Path) -> tuple[float, str]:
    """Execute ``path`` in a fresh kernel; (seconds, "ok" or the error's first line)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        status = "ok"
    except Exception as e:  # report and go on to the next notebook
        status = f"ERROR {type(e).__name__}: {str(e).strip().splitlines()[-1][:120]}"
    return time.perf_counter() - start, status


def main(argv: list[str]) -> int:
    os.environ[GRADING_ENV] = "1"  # the kernel inherits it: a wrong solution fails loudly
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    print(f"{'notebook':<40} {'seconds':>8}  status   (budget {BUDGET_S:.0f} s, {os.cpu_count()} CPUs)")
    bad = 0
    for path in paths:
        seconds, status = run(path)
        over = seconds > BUDGET_S
        bad += over or status != "ok"
        print(f"{path.name:<40} {seconds:>8.1f}  {status}{'  OVER BUDGET' if over else ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
