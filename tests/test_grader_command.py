"""`coursekit grade` on the command line: options checked before any kernel starts, progress, reports, summary."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.course.grader.command import Progress

ROOT = Path(__file__).resolve().parent.parent
NAME = "02_hand_scoring.ipynb"


def grade_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "coursekit", "grade", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def one(tmp_path):
    (tmp_path / "zoe").mkdir()
    (tmp_path / "zoe" / NAME).write_text((ROOT / "notebooks" / NAME).read_text())
    return tmp_path


@pytest.mark.parametrize("flags, says", [
    (["--jobs", "0"], "jobs must be a positive int, got 0"),
    (["--cell-timeout", "nan"], "cell-timeout must be a positive number of seconds, got nan"),
    (["--notebook-timeout", "-5"], "notebook-timeout must be a positive number of seconds, got -5.0"),
    (["--cell-timeout", "inf"], "cell-timeout must be a positive number"),
    (["--csv", "/no/such/folder/g.csv"], "cannot write /no/such/folder/g.csv: no folder"),
    (["--markdown", "."], "cannot write .: it is a folder"),
])  # fmt: skip
def test_bad_options_exit_2_before_grading(one, flags, says, capsys):
    assert main(["grade", str(one), *flags]) == 2
    err = capsys.readouterr().err
    assert says in err and "confinement" not in err  # refused before any kernel was started


def test_nothing_to_grade_exits_2(tmp_path):
    done = grade_cli(str(tmp_path))
    assert done.returncode == 2 and "no .ipynb" in done.stderr
    done = grade_cli(str(tmp_path / "missing"))
    assert done.returncode == 2 and "no such file" in done.stderr


def test_cli_grades_with_a_relative_path_and_writes_reports(one):
    done = grade_cli(".", "--csv", "g.csv", "--markdown", "g.md", "--cell-timeout", "20", cwd=one)
    assert done.returncode == 0, done.stderr
    assert "| zoe |" in done.stdout and (one / "g.csv").read_text().count("not attempted") == 6
    assert "| zoe |" in (one / "g.md").read_text()
    err = done.stderr.splitlines()
    assert err[0].startswith(("confinement:", "WARNING: weaker confinement"))
    assert any("1/1 notebooks" in line for line in err)
    assert err[-1].startswith("graded 1 learner(s): 0/6 exercises passed")


def test_progress_bar():
    out = io.StringIO()
    bar = Progress(out, width=10)
    bar(0, 4, "alice", 0.0)
    bar(2, 4, "bob\x1b[2J", 30.0)  # 15 s a notebook so far: 30 s left; an escape sequence in a name is defused
    lines = out.getvalue().splitlines()
    assert lines[0] == "[..........] 0/4 notebooks · alice · 0:00 elapsed · estimating"
    assert lines[1] == "[#####.....] 2/4 notebooks · bob?[2J · 0:30 elapsed · ~0:30 left"
    assert json.dumps(lines)  # plain text
