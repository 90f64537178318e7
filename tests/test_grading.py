"""`coursekit grade`: a class of synthetic submissions to lesson 02 covering every case the grader must survive.

One grading run (module fixture) over a folder with one learner per group of cases:

    alice  the solution notebook as it is                          -> all passed
    bob    the learner notebook, untouched                         -> all not attempted
    carol  some checks deleted, the rest duplicated and moved to the end, every cell retyped -> all passed
    erin   a wrong Q5 answer, and Q4's answer cell raises          -> Q5 failed, Q4 error, the rest passed
    frank  Q3's answer loops forever (interruptible), then a loop that swallows interrupts before Q5
                                                                   -> Q3 timed out (cell limit), Q5 and Q6
                                                                      timed out (notebook limit), the rest passed
    heidi  a file that is not valid JSON                           -> every exercise error, and the run goes on
"""

import copy
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.course.grading import (
    ERROR,
    FAILED,
    NOT_ATTEMPTED_V,
    PASSED,
    TIMED_OUT,
    grade,
    lesson_of,
    problems_of,
)

ROOT = Path(__file__).resolve().parent.parent
NAME = "02_hand_scoring.ipynb"
SOLUTION = json.loads((ROOT / "notebooks" / "solutions" / NAME).read_text())
LEARNER = json.loads((ROOT / "notebooks" / NAME).read_text())
LABELS = list(problems_of("coursekit.course.lessons.lesson02"))  # "Lesson 02 · Q1" ... "Lesson 02 · Q6"


def src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def is_check(cell) -> bool:
    return cell["cell_type"] == "code" and ".check()" in src(cell)


def answer_cell(nb, name: str):
    return next(c for c in nb["cells"] if c["cell_type"] == "code" and src(c).lstrip("# \n").find(name) >= 0 and "BEGIN SOLUTION" in src(c) and f"{name} =" in src(c))


def variant(edit) -> dict:
    nb = copy.deepcopy(SOLUTION)
    edit(nb)
    return nb


def shuffle_checks(nb):
    checks = [c for c in nb["cells"] if is_check(c)]
    kept = checks[::2]  # delete every other check cell, duplicate the rest at the end in reverse order
    nb["cells"] = [c for c in nb["cells"] if not is_check(c)] + kept + kept[::-1]
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["source"] = src(c).replace(" = ", "  =  ")  # retyped by hand


def set_source(name: str, text: str):
    def edit(nb):
        answer_cell(nb, name)["source"] = text
    return edit


def loops(nb):
    answer_cell(nb, "total_8")["source"] = "total_8 = 0\nwhile True:\n    total_8 += 1"
    cell = answer_cell(nb, "shortest_degenerate")
    swallow = "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass"
    nb["cells"].insert(nb["cells"].index(cell), {"cell_type": "code", "metadata": {}, "outputs": [],
                                                 "execution_count": None, "source": swallow})


def wrong_and_raising(nb):
    answer_cell(nb, "shortest_degenerate")["source"] = "shortest_degenerate = 8"
    answer_cell(nb, "total_64")["source"] = "total_64 = 1 / 0\ndegenerate_64 = True"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    cases = {
        "alice": SOLUTION,
        "bob": LEARNER,
        "carol": variant(shuffle_checks),
        "erin": variant(wrong_and_raising),
        "frank": variant(loops),
    }
    for learner, nb in cases.items():
        (subs / learner).mkdir()
        (subs / learner / NAME).write_text(json.dumps(nb))
    (subs / "heidi").mkdir()
    (subs / "heidi" / NAME).write_text('{"cells": [ oops')
    return grade([subs], cell_timeout=4, notebook_timeout=20, jobs=2)


def verdicts(report, learner):
    return {v.exercise: v.verdict for v in report.verdicts if v.learner == learner}


def expect(**overrides):
    want = {label: PASSED for label in LABELS}
    for q, verdict in overrides.items():
        want[f"Lesson 02 · Q{q[1:]}"] = verdict
    return want


def test_solution_passes_everything(report):
    assert verdicts(report, "alice") == expect()


def test_untouched_learner_notebook_is_not_attempted(report):
    assert verdicts(report, "bob") == {label: NOT_ATTEMPTED_V for label in LABELS}


def test_deleted_duplicated_moved_and_retyped_checks_still_graded_by_name(report):
    assert verdicts(report, "carol") == expect()


def test_wrong_answer_fails_and_raising_cell_errors_only_their_exercises(report):
    assert verdicts(report, "erin") == expect(q5=FAILED, q4=ERROR)
    erin = {v.exercise: v.message for v in report.verdicts if v.learner == "erin"}
    assert "ZeroDivisionError" in erin["Lesson 02 · Q4"]


def test_loops_time_out_their_exercises_only(report):
    # Q3's loop is interrupted at the cell limit; the next loop ignores interrupts, so the notebook limit stops it
    assert verdicts(report, "frank") == expect(q3=TIMED_OUT, q5=TIMED_OUT, q6=TIMED_OUT)


def test_invalid_json_gets_verdicts_and_the_run_goes_on(report):
    assert verdicts(report, "heidi") == {label: ERROR for label in LABELS}
    assert "JSON" in next(v.message for v in report.verdicts if v.learner == "heidi")


def test_free_text_answers_collected(report):
    alice = next(v for v in report.verdicts if v.learner == "alice" and v.exercise.endswith("Q6"))
    assert alice.answer and len(alice.answer) > 50
    assert "## Free-text answers" in report.to_markdown() and alice.answer in report.to_markdown()


def test_csv_and_markdown_tables(report):
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert len(rows) == 6 * len(LABELS)
    assert {r["verdict"] for r in rows} == {PASSED, FAILED, NOT_ATTEMPTED_V, TIMED_OUT, ERROR}
    md = report.to_markdown().splitlines()
    assert md[0].startswith("| learner | Lesson 02 · Q1") and any(line.startswith("| alice |") and "6/6" in line for line in md)


def test_lesson_detection():
    assert lesson_of(Path("x/03_building_the_metrics.ipynb")) == "coursekit.course.lessons.lesson03"
    assert lesson_of(Path("my_work.ipynb"), "from coursekit.course.lessons.lesson04 import q1") == "coursekit.course.lessons.lesson04"
    assert lesson_of(Path("my_work.ipynb"), "print(1)") is None


def test_cli_writes_csv_and_markdown(tmp_path, capsys):
    (tmp_path / "zoe").mkdir()
    (tmp_path / "zoe" / NAME).write_text(json.dumps(LEARNER))
    assert main(["grade", str(tmp_path), "--csv", str(tmp_path / "g.csv"), "--markdown", str(tmp_path / "g.md")]) == 0
    assert "| zoe |" in capsys.readouterr().out
    assert (tmp_path / "g.csv").read_text().count(NOT_ATTEMPTED_V) == len(LABELS)
    assert "| zoe |" in (tmp_path / "g.md").read_text()


def test_cli_nothing_to_grade_exits_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "coursekit", "grade", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and "no .ipynb" in done.stderr
    done = subprocess.run([sys.executable, "-m", "coursekit", "grade", str(tmp_path / "missing")], capture_output=True, text=True)
    assert done.returncode == 2 and "no such file" in done.stderr
