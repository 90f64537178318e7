"""Which notebooks, which learner, which lesson, which exercises: everything decided before a kernel starts.

The learner is the first folder under the path given (``subs/alice/02_...``), or the file's stem when the
notebook sits directly in it. The lesson comes from the file name (``02_hand_scoring.ipynb``) or, failing that,
from the ``coursekit.lessonNN`` it imports; a lesson the course does not have is that learner's error, never the
run's. Paths are made absolute here, once, so relative and absolute paths grade the same.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..exercise import Problem

__all__ = ["Submission", "collect", "lesson_of", "problems_of", "UnknownLesson"]

_LESSON_IN_NAME = re.compile(r"^(\d\d)_")
_LESSON_IN_SOURCE = re.compile(r"coursekit\.(?:course\.lessons\.)?lesson(\d\d)\b")  # new or pre-0.2 name
_PROBLEM_NAME = re.compile(r"q\d+")


class UnknownLesson(LookupError):
    """A notebook whose lesson the course does not have (``07_extra.ipynb``)."""


@dataclass(frozen=True)
class Submission:
    """One notebook to grade."""

    learner: str
    notebook: Path  # absolute
    shown: str  # the path as the instructor gave it, for reports
    folder: Path  # what is copied for its kernel: the learner's folder, or the lone notebook


def lesson_of(path: Path, raw: str | None = None) -> str | None:
    """The lesson module a notebook belongs to (``"coursekit.course.lessons.lesson02"``), from its name or its imports."""
    m = _LESSON_IN_NAME.match(path.name)
    if m is None and raw is not None:
        m = _LESSON_IN_SOURCE.search(raw)
    return f"coursekit.course.lessons.lesson{m.group(1)}" if m else None


def problems_of(module_name: str) -> dict[str, Problem]:
    """The lesson's exercises, by label, in the order q1, q2, ...; ``UnknownLesson`` if there is no such lesson."""
    if not re.fullmatch(r"coursekit\.course\.lessons\.lesson\d\d", module_name):
        raise UnknownLesson(f"not a lesson module: {module_name!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        raise UnknownLesson(f"the course has no lesson {module_name[-2:]} ({module_name})") from None
    found = [(n, obj) for n, obj in vars(module).items() if _PROBLEM_NAME.fullmatch(n) and isinstance(obj, Problem)]
    found.sort(key=lambda item: int(item[0][1:]))
    return {obj.label: obj for _, obj in found}


def collect(paths: Iterable[str | os.PathLike]) -> list[Submission]:
    """Every ``.ipynb`` under the given files and folders (checkpoints skipped), in a stable order."""
    found = []
    for given in map(Path, paths):
        root = given.absolute()
        if root.is_dir():
            for nb in sorted(root.rglob("*.ipynb")):
                rel = nb.relative_to(root)
                if ".ipynb_checkpoints" in rel.parts:
                    continue
                shown = str(given / rel)
                if len(rel.parts) > 1:
                    found.append(Submission(rel.parts[0], nb, shown, root / rel.parts[0]))
                else:
                    found.append(Submission(nb.stem, nb, shown, nb))
        elif root.is_file():
            found.append(Submission(root.stem, root, str(given), root))
        else:
            raise FileNotFoundError(f"no such file or folder: {given}")
    return found
