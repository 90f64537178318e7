"""``coursekit otter-export``: the solution notebooks in otter-grader's assign format, ready for ``otter assign``.

    coursekit otter-export --out otter/        # otter/02_hand_scoring.ipynb ... one per lesson

Each exercise becomes an otter question block: ``# BEGIN QUESTION`` (name ``qN``, 1 point), each answer cell in a
``# BEGIN SOLUTION`` block with the course's ``### BEGIN SOLUTION`` markers rewritten as otter's ``# BEGIN
SOLUTION``, then one test cell that asserts the course's own check passes on the notebook's values (silent on a
right answer, an AssertionError otherwise), then the course's check cell as it was. ``otter assign`` then strips
the answers from the student version and turns the test cells into its autograder tests.
"""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path
from typing import Any

# nbformat and notebooks.py load inside the functions: `coursekit --help` must not import them

__all__ = ["otter_notebook", "export", "add_parser"]

_CHECK = re.compile(r"^\s*(q\d+)\.check\(\)", re.M)
_TEST = "assert {q}.grade(**{{n: v for n, v in globals().items() if n in {q}.names}}).passed, {q}.label"


def _raw(text: str) -> Any:
    import nbformat

    return nbformat.v4.new_raw_cell(text)


def _is_answer(cell: Any) -> bool:
    from .notebooks import BEGIN

    return cell.cell_type == "code" and any(line.strip() == BEGIN for line in cell.source.split("\n"))


def _otter_markers(source: str) -> str:
    from .notebooks import BEGIN, END

    lines = source.split("\n")
    swap = {BEGIN: "# BEGIN SOLUTION", END: "# END SOLUTION"}
    return "\n".join(line[: len(line) - len(line.lstrip())] + swap[line.strip()] if line.strip() in swap else line
                     for line in lines)  # fmt: skip


def otter_notebook(nb: Any, name: str) -> Any:
    """The otter-assign version of one solution notebook (``nb`` is not changed)."""
    import nbformat

    from .notebooks import clean

    out = clean(copy.deepcopy(nb))
    cells = [_raw(f"# ASSIGNMENT CONFIG\nname: {name}\nexport_cell: false\ncheck_all_cell: false")]
    pending: list[Any] = []
    for cell in out.cells:
        cell.metadata.pop("nbgrader", None)
        m = _CHECK.search(cell.source) if cell.cell_type == "code" else None
        first = next((i for i, c in enumerate(pending) if _is_answer(c)), None)
        if m is None or first is None:
            pending.append(cell)
            continue
        q = m.group(1)
        cells += pending[:first] + [_raw(f"# BEGIN QUESTION\nname: {q}\npoints: 1")]
        for c in pending[first:]:
            if _is_answer(c):
                c.source = _otter_markers(c.source)
                cells += [_raw("# BEGIN SOLUTION"), c, _raw("# END SOLUTION")]
            else:
                cells.append(c)
        test = nbformat.v4.new_code_cell(_TEST.format(q=q))
        cells += [_raw("# BEGIN TESTS"), test, _raw("# END TESTS"), _raw("# END QUESTION"), cell]
        pending = []
    out.cells = cells + pending
    return out


def export(solutions: str | Path, out: str | Path) -> list[str]:
    """Write ``out/X.ipynb`` for each ``solutions/X.ipynb``; one line per file written."""
    import nbformat

    from .notebooks import render

    solutions, out = Path(solutions), Path(out)
    sources = sorted(solutions.glob("*.ipynb")) if solutions.is_dir() else []
    if not sources:
        raise ValueError(f"no solution notebooks in {str(solutions)!r}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        nb = otter_notebook(nbformat.read(src, as_version=4), src.stem)
        (out / src.name).write_text(render(nb), encoding="utf-8")
        written.append(f"wrote {out / src.name}")
    return written


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("otter-export", help="write the solution notebooks in otter-grader's format, for `otter assign`")
    p.add_argument("--solutions", default="notebooks/solutions", metavar="DIR", help="the solution notebooks (notebooks/solutions)")
    p.add_argument("--out", required=True, metavar="DIR", help="where the otter notebooks go")
    return p


def run(args: argparse.Namespace) -> int:
    for line in export(args.solutions, args.out):
        print(line)
    return 0
