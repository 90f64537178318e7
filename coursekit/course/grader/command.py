"""The ``coursekit grade`` command's options, checks and output (coursekit/cli.py stays a thin layer).

Every option is checked before any notebook runs: positive finite timeouts, ``--jobs`` at least 1, notebooks
to grade, and ``--csv`` / ``--markdown`` paths that can be written (an unwritable path found only after the
whole class was graded would waste the run). Bad input raises ``ValueError``; the CLI turns it into exit 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import TextIO

from .runner import CELL_TIMEOUT_S

__all__ = ["add_parser", "run", "Progress"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("grade", help="grade a class: learner x exercise verdicts for a folder of learner notebooks")
    p.add_argument("paths", nargs="+", metavar="PATH", help="notebooks, or folders of them (one sub-folder per learner)")
    p.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT_S, metavar="S",
                   help=f"seconds a cell may run ({CELL_TIMEOUT_S:g})")
    p.add_argument("--notebook-timeout", type=float, default=300, metavar="S", help="seconds a notebook may run (300)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="notebooks graded at once (1); one kernel each")
    p.add_argument("--csv", metavar="FILE", help="also write one row per learner x exercise as CSV")
    p.add_argument("--markdown", metavar="FILE", help="also write the table and free-text answers as Markdown")
    return p


def _check_writable(path: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"cannot write {path}: it is a folder")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"cannot write {path}: no folder {folder}")
    if (target.exists() and not os.access(target, os.W_OK)) or not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {path}: permission denied")


class Progress:
    """A one-line progress bar on ``out``: notebooks done of total, who is being graded, elapsed and left."""

    def __init__(self, out: TextIO = sys.stderr, width: int = 24) -> None:
        self.out, self.width, self.tty = out, width, out.isatty()

    def __call__(self, done: int, total: int, learner: str, elapsed: float) -> None:
        filled = self.width * done // max(total, 1)
        left = f"~{_clock(elapsed / done * (total - done))} left" if done else "estimating"
        who = "".join(ch if ch.isprintable() else "?" for ch in learner)[:30]  # a name cannot move the cursor
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} notebooks · {who} · {_clock(elapsed)} elapsed · {left}"
        self.out.write(("\r" + line + "\033[K") if self.tty else line + "\n")
        if self.tty and done == total:
            self.out.write("\n")
        self.out.flush()


def _clock(seconds: float) -> str:
    s = int(seconds) if math.isfinite(seconds) else 0
    return f"{s // 60}:{s % 60:02d}"


def run(args: argparse.Namespace) -> int:
    """Grade, print the Markdown table, write the reports, end with a one-line summary on stderr."""
    from . import GradeOptions, collect, confinement_note, grade

    GradeOptions(args.cell_timeout, args.notebook_timeout, args.jobs).check()
    for path in (args.csv, args.markdown):
        if path:
            _check_writable(path)
    try:
        if not collect(args.paths):
            raise ValueError("no .ipynb notebooks found under " + " ".join(args.paths))
    except FileNotFoundError as e:
        raise ValueError(str(e)) from None
    print(confinement_note(), file=sys.stderr)
    report = grade(args.paths, cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                   jobs=args.jobs, progress=Progress())  # fmt: skip
    markdown = report.to_markdown()
    print(markdown, end="")
    for path, text in ((args.csv, report.to_csv()), (args.markdown, markdown)):
        if path:
            Path(path).write_text(text, encoding="utf-8")
            print(f"wrote {path}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return 0
