"""One source, two versions: generate the learner notebooks from the solution notebooks, and keep both clean.

The solution notebooks (notebooks/solutions/*.ipynb) are the source. In their code cells, each answer sits in an
nbgrader-style region::

    uniform_loss = math.log(8449)         <- between the markers below, in the solution version
    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

``make_learner`` replaces each region with a stub that keeps the notebook running, so the check cell after it
reports "not attempted" instead of the learner meeting a NameError or NotImplementedError:

    a region with a ``return`` at its top level   ->  return ...  # your code here
    a region that assigns names                   ->  name = ...  # your answer here   (one line per name)
    anything else                                 ->  ...  # your code here

Committed notebooks carry no outputs, execution counts or saved widget state (git-friendly, and the learner
starts from a blank page), and nbgrader's cell metadata (``with_nbgrader_metadata``: answer cells are
``solution`` cells, check cells locked ``grade`` cells worth a point), so nbgrader can release and autograde them. ``sync_learner_notebooks(check=True)`` (``coursekit learner-notebooks --check``)
reports any learner notebook that has drifted from its solution and any notebook that is not clean.
"""

from __future__ import annotations

import ast
import copy
import re
import textwrap
from typing import Any
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN",
    "END",
    "SolutionMarkerError",
    "learner_source",
    "solution_regions",
    "make_learner",
    "clean",
    "cleanliness_problems",
    "render",
    "sync_learner_notebooks",
    "nbgrader_metadata",
    "with_nbgrader_metadata",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = "# your code here"
ANSWER_STUB = "# your answer here"


class SolutionMarkerError(ValueError):
    """A solution region that cannot be turned into a stub (unbalanced markers, a region in markdown ...)."""


def _stub(region: list[str], indent: str, where: str) -> list[str]:
    """The stub lines that replace one solution region (``region``: the lines between the markers)."""
    try:
        tree = ast.parse(textwrap.dedent("\n".join(region)))
    except SyntaxError as e:
        raise SolutionMarkerError(f"{where}: the solution region does not parse on its own ({e.msg})") from None
    if any(isinstance(node, ast.Return) for node in tree.body):
        return [f"{indent}return ...  {CODE_STUB}"]
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and name.id not in names:
                    names.append(name.id)
    if names:
        return [f"{indent}{name} = ...  {ANSWER_STUB}" for name in names]
    return [f"{indent}...  {CODE_STUB}"]


def _parse(source: str, where: str) -> list[str | tuple[str, list[str]]]:
    """``source`` as plain lines and (indent, region lines) pairs, one per solution region."""
    out: list[str | tuple[str, list[str]]] = []
    region: list[str] | None = None
    for lineno, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if region is not None:
                raise SolutionMarkerError(f"{where}, line {lineno}: {BEGIN} inside another solution region")
            region = []
            out.append((line[: len(line) - len(line.lstrip())], region))
        elif marker == END:
            if region is None:
                raise SolutionMarkerError(f"{where}, line {lineno}: {END} without a {BEGIN}")
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise SolutionMarkerError(f"{where}: {BEGIN} is never closed by {END}")
    return out


def solution_regions(source: str, where: str = "cell") -> list[str]:
    """The code of each solution region in ``source``, dedented (what ``qN.solution()`` should show)."""
    return [textwrap.dedent("\n".join(part[1])) for part in _parse(source, where) if isinstance(part, tuple)]


def learner_source(source: str, where: str = "cell") -> str:
    """``source`` with every solution region replaced by its stub; ``where`` names the cell in errors."""
    out: list[str] = []
    for part in _parse(source, where):
        out += [part] if isinstance(part, str) else _stub(part[1], part[0], where)
    return "\n".join(out)


def make_learner(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The learner version of a solution notebook: regions stubbed, outputs cleared. ``nb`` is not changed."""
    learner = clean(copy.deepcopy(nb))
    for i, cell in enumerate(learner.cells):
        where = f"{name}, cell {i}"
        if cell.cell_type == "code":
            cell.source = learner_source(cell.source, where)
        elif any(line.strip() in (BEGIN, END) for line in cell.source.split("\n")):
            raise SolutionMarkerError(f"{where}: solution markers belong in code cells, not {cell.cell_type} cells")
    return learner


NBGRADER_SCHEMA = 3  # nbgrader's cell metadata schema version
_CHECK_CALL = re.compile(r"^\s*q\d+\.check\(\)", re.M)


def nbgrader_metadata(cell: Any, stem: str, index: int) -> dict | None:
    """nbgrader's metadata for one cell: an answer cell (a solution region) is a ``solution`` cell, a check cell
    (``qN.check()``) an autograded ``grade`` cell worth 1 point, locked; None for any other cell. ``grade_id`` is
    ``<stem>-<cell id>``: cell ids are stable, so are the ids (nbgrader allows letters, digits, _ and -)."""
    if cell.get("cell_type") != "code":
        return None
    source = cell.get("source", "")
    solution = any(line.strip() == BEGIN for line in source.split("\n"))
    grade = bool(_CHECK_CALL.search(source))
    if not (solution or grade):
        return None
    grade_id = re.sub(r"[^A-Za-z0-9_-]", "-", f"{stem}-{cell.get('id') or f'cell{index}'}")
    meta = {"grade": grade, "grade_id": grade_id, "locked": grade and not solution,
            "schema_version": NBGRADER_SCHEMA, "solution": solution, "task": False}  # fmt: skip
    if grade:
        meta["points"] = 1
    return meta


def with_nbgrader_metadata(nb: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    """Set (or clear) every cell's ``nbgrader`` metadata in place; returns ``nb`` for chaining."""
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_metadata(cell, stem, index)
        if meta is None:
            cell.metadata.pop("nbgrader", None)
        else:
            cell.metadata["nbgrader"] = meta
    return nb


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip outputs, execution counts and saved widget state, in place; returns ``nb`` for chaining."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)  # timing metadata that JupyterLab may record
    nb.metadata.pop("widgets", None)
    return nb


def cleanliness_problems(nb: nbformat.NotebookNode, name: str = "notebook") -> list[str]:
    """What keeps ``nb`` from being stored clean, one line each (empty when clean)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{name}, cell {i}: has {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"{name}, cell {i}: has execution count {cell.execution_count}")
        if "execution" in cell.metadata:
            problems.append(f"{name}, cell {i}: has execution timing metadata")
    if "widgets" in nb.metadata:
        problems.append(f"{name}: has saved widget state in its metadata")
    return problems


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook as the text written to disk (nbformat's JSON, ending in a newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def sync_learner_notebooks(solutions: str | Path, out: str | Path, check: bool = False) -> list[str]:
    """Generate ``out/X.ipynb`` from each ``solutions/X.ipynb``, or with ``check=True`` only compare.

    Returns one line per problem found: with ``check``, each drifted or missing learner notebook and each
    notebook that is not clean; without, each file written or cleaned (solution notebooks get their outputs
    stripped in place, since they are committed too). Raises ``FileNotFoundError`` for a missing folder and
    ``SolutionMarkerError`` for a malformed region.
    """
    solutions, out = Path(solutions), Path(out)
    if not solutions.is_dir():
        raise FileNotFoundError(f"no solution notebooks folder at {str(solutions)!r}")
    if not out.is_dir():
        raise FileNotFoundError(f"no learner notebooks folder at {str(out)!r}")
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no .ipynb files in {str(solutions)!r}")
    report: list[str] = []
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        dirty = cleanliness_problems(nb, str(src))
        with_nbgrader_metadata(nb, src.stem)  # nbgrader's cell metadata: in both versions, from the solution's
        stale = not dirty and render(nb) != src.read_text(encoding="utf-8")
        target = out / src.name
        want = render(make_learner(nb, src.name))
        have = target.read_text(encoding="utf-8") if target.exists() else None
        if check:
            report += dirty
            if stale:
                report.append(f"{src}: nbgrader metadata out of date (run `coursekit learner-notebooks`)")
            if have is None:
                report.append(f"{target}: missing (run `coursekit learner-notebooks`)")
            elif have != want:
                report.append(f"{target}: differs from the one made from {src} (run `coursekit learner-notebooks`)")
            continue
        if dirty or stale:
            src.write_text(render(clean(nb)), encoding="utf-8")
            report.append(f"cleaned {src}" if dirty else f"wrote nbgrader metadata into {src}")
        if have != want:
            target.write_text(want, encoding="utf-8")
            report.append(f"wrote {target}")
    return report
