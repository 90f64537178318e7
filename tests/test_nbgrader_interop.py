"""nbgrader, for real: `generate_assignment` with the shipped nbgrader_config.py releases exactly the course's
learner notebooks, and `autograde` gives an untouched notebook 0 and the solved one full marks."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader is pinned in requirements.txt: run make setup")

ROOT = Path(__file__).resolve().parent.parent
LESSON = "00_start_here.ipynb"


def run_nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    cmd = [sys.executable, "-m", "nbgrader", *args]
    return subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=600)


def cells(path: Path) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nbformat.read(path, as_version=4).cells]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("nbgrader")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "notebooks" / "solutions", course / "source" / "course", ignore=shutil.ignore_patterns(".*"))
    done = run_nbgrader(course, "generate_assignment", "course", "--force")
    assert done.returncode == 0, done.stderr[-2000:]
    return course


def test_generate_assignment_releases_exactly_the_learner_notebooks(course):
    for solution in sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb")):
        assert cells(course / "release" / "course" / solution.name) == cells(ROOT / "notebooks" / solution.name), solution.name


def test_autograde_gives_the_right_marks(course):
    for student, source in (("empty", course / "release" / "course"), ("solved", course / "source" / "course")):
        (course / "submitted" / student / "course").mkdir(parents=True)
        shutil.copy(source / LESSON, course / "submitted" / student / "course" / LESSON)
    done = run_nbgrader(course, "autograde", "course", "--create", "--force")
    assert done.returncode == 0, done.stderr[-2000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        stem = LESSON.removesuffix(".ipynb")
        empty, solved = (gb.find_submission_notebook(stem, "course", student) for student in ("empty", "solved"))
        # lesson 00 has two exercises, one check cell each, 1 point each: 0/2 untouched, 2/2 solved
        assert (empty.score, empty.max_score) == (0.0, 2.0)
        assert (solved.score, solved.max_score) == (2.0, 2.0)
