"""`coursekit otter-export`: question blocks around each exercise, and the real `otter assign` strips the answers
and finds every test passing on the solutions."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.cli import main
from coursekit.course.notebooks import solution_regions
from coursekit.course.otter_export import otter_notebook

ROOT = Path(__file__).resolve().parent.parent
LESSON = "00_start_here.ipynb"


def test_each_exercise_becomes_a_question_block():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Set `x`."),
                nbformat.v4.new_code_cell("    ### BEGIN SOLUTION\nx = 42\n    ### END SOLUTION"),
                nbformat.v4.new_code_cell("q1.check()"), nbformat.v4.new_markdown_cell("The end.")]  # fmt: skip
    out = otter_notebook(nb, "toy")
    kinds = [(c.cell_type, c.source.split("\n")[0]) for c in out.cells]
    assert kinds == [("raw", "# ASSIGNMENT CONFIG"), ("markdown", "Set `x`."), ("raw", "# BEGIN QUESTION"),
                     ("raw", "# BEGIN SOLUTION"), ("code", "    # BEGIN SOLUTION"), ("raw", "# END SOLUTION"),
                     ("raw", "# BEGIN TESTS"), ("code", out.cells[7].source), ("raw", "# END TESTS"),
                     ("raw", "# END QUESTION"), ("code", "q1.check()"), ("markdown", "The end.")]  # fmt: skip
    assert "name: q1" in out.cells[2].source and "points: 1" in out.cells[2].source
    # the test is silent on a right answer and raises on a wrong one
    assert out.cells[7].source.startswith("assert q1.grade(") and "### BEGIN" not in out.cells[4].source
    assert "### BEGIN" in nb.cells[1].source  # the solution notebook itself is not changed


def test_bad_folder_exits_2(tmp_path, capsys):
    assert main(["otter-export", "--solutions", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no solution notebooks" in capsys.readouterr().err


def test_otter_assign_strips_answers_and_passes_its_tests_on_the_solutions(tmp_path):
    pytest.importorskip("otter", reason="otter-grader is pinned in requirements.txt: run make setup")
    (tmp_path / "sol").mkdir()
    shutil.copy(ROOT / "notebooks" / "solutions" / LESSON, tmp_path / "sol" / LESSON)
    assert main(["otter-export", "--solutions", str(tmp_path / "sol"), "--out", str(tmp_path / "otter")]) == 0
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "otter", "assign", "-v", LESSON, str(tmp_path / "dist")],
                          cwd=tmp_path / "otter", env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All autograder tests passed." in done.stdout + done.stderr  # otter ran each test on the solutions
    student = "\n".join(c.source for c in nbformat.read(tmp_path / "dist" / "student" / LESSON, as_version=4).cells)
    solution = nbformat.read(ROOT / "notebooks" / "solutions" / LESSON, as_version=4)
    answers = [line.strip() for c in solution.cells if c.cell_type == "code"
               for region in solution_regions(c.source) for line in region.split("\n") if line.strip()]  # fmt: skip
    assert answers and not [a for a in answers if a in student.split("\n") or f"\n{a}\n" in student]
    assert 'grader.check("q1")' in student and 'grader.check("q2")' in student
