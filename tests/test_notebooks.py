"""Notebooks: learner generation, clean storage, and grading with nbval in both directions.

The nbval run executes every notebook in notebooks/ and notebooks/solutions/ once, in one pytest subprocess
(about 40 s on 2 cores), and the tests below read its JUnit report: every solution cell passes, and in the
learner notebooks exactly the exercise-check cells fail, each with the exercise's feedback.
"""

import importlib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from coursekit.cli import main
from coursekit.course.exercise import GRADING_ENV, Problem
from coursekit.course.freetext import FreeTextProblem
from coursekit.course.notebooks import (
    SolutionMarkerError,
    clean,
    cleanliness_problems,
    learner_source,
    make_learner,
    render,
    solution_regions,
    sync_learner_notebooks,
    with_nbgrader_metadata,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
# Every solution notebook NN_name.ipynb has its exercises in coursekit.lessonNN (the grader relies on it too).
LESSONS = {p.stem: importlib.import_module(f"coursekit.course.lessons.lesson{p.name[:2]}") for p in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))}
CHECK_CALL = re.compile(r"^(q\d+)\.check\(\)", re.MULTILINE)


# --- learner_source: the stubs --------------------------------------------------------------------------------


def test_a_function_body_becomes_return_ellipsis():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION"
    assert learner_source(src) == "def f(x):\n    return ...  # your code here"


def test_assignments_become_one_stub_per_name_in_order():
    src = "# keep me\n### BEGIN SOLUTION\nb, a = 1, 2\nc: int = 3\nb = 4\n### END SOLUTION\nprint(a)"
    assert learner_source(src) == (
        "# keep me\nb = ...  # your answer here\na = ...  # your answer here\nc = ...  # your answer here\nprint(a)"
    )


def test_anything_else_becomes_an_ellipsis_at_the_same_indent():
    src = "for i in x:\n    ### BEGIN SOLUTION\n    print(i)\n    ### END SOLUTION"
    assert learner_source(src) == "for i in x:\n    ...  # your code here"


def test_source_without_markers_is_unchanged():
    assert learner_source("x = 1\n# ### BEGIN SOLUTION is only a marker on a line of its own") == (
        "x = 1\n# ### BEGIN SOLUTION is only a marker on a line of its own"
    )


def test_solution_regions_are_dedented():
    src = (
        "def f():\n    ### BEGIN SOLUTION\n    if x:\n        return 1\n    ### END SOLUTION\n"
        "### BEGIN SOLUTION\ny = 2\n### END SOLUTION"
    )
    assert solution_regions(src) == ["if x:\n    return 1", "y = 2"]


@pytest.mark.parametrize(
    "src, match",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without a"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
        ("### BEGIN SOLUTION\nx = (\n### END SOLUTION", "does not parse"),
    ],
)
def test_malformed_regions_are_reported_with_the_cell(src, match):
    with pytest.raises(SolutionMarkerError, match=f"cell 7.*{match}|{match}"):
        learner_source(src, where="cell 7")


# --- whole notebooks ----------------------------------------------------------------------------------------


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for i, (kind, src) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(src) if kind == "code" else nbformat.v4.new_markdown_cell(src)
        cell.id = f"c{i}"
        nb.cells.append(cell)
    return nb


def test_make_learner_stubs_regions_and_clears_outputs_without_touching_the_source():
    nb = _notebook(("markdown", "Set `x`."), ("code", "### BEGIN SOLUTION\nx = 42\n### END SOLUTION"))
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="42")]
    nb.cells[1].execution_count = 3
    learner = make_learner(nb)
    assert learner.cells[1].source == "x = ...  # your answer here"
    assert learner.cells[1].outputs == [] and learner.cells[1].execution_count is None
    assert learner.cells[0].source == "Set `x`."
    assert nb.cells[1].execution_count == 3 and "42" in nb.cells[1].source  # the solution is untouched


def test_markers_in_markdown_are_refused():
    with pytest.raises(SolutionMarkerError, match="markdown"):
        make_learner(_notebook(("markdown", "### BEGIN SOLUTION\nsecret\n### END SOLUTION")), "nb")


def test_cleanliness_problems_and_clean():
    nb = _notebook(("code", "1"))
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1)]
    nb.cells[0].execution_count = 1
    nb.metadata["widgets"] = {"state": {}}
    problems = cleanliness_problems(nb, "nb")
    assert len(problems) == 3 and "output" in problems[0] and "widget" in problems[2]
    assert cleanliness_problems(clean(nb)) == []


def test_sync_writes_then_checks_then_catches_drift(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path
    sol.mkdir()
    (sol / "a.ipynb").write_text(render(_notebook(("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))))
    missing = f"{out / 'a.ipynb'}: missing (run `coursekit learner-notebooks`)"
    stale = f"{sol / 'a.ipynb'}: nbgrader metadata out of date (run `coursekit learner-notebooks`)"
    assert sync_learner_notebooks(sol, out, check=True) == [stale, missing]
    assert sync_learner_notebooks(sol, out) == [f"wrote nbgrader metadata into {sol / 'a.ipynb'}", f"wrote {out / 'a.ipynb'}"]
    assert sync_learner_notebooks(sol, out, check=True) == []
    assert sync_learner_notebooks(sol, out) == []  # nothing to do the second time
    (out / "a.ipynb").write_text((out / "a.ipynb").read_text().replace("x = ...", "x = 2"))  # a hand edit
    assert "differs" in sync_learner_notebooks(sol, out, check=True)[0]


def test_nbgrader_metadata_marks_answer_cells_and_locked_check_cells():
    nb = _notebook(("markdown", "Set `x`."), ("code", "### BEGIN SOLUTION\nx = 42\n### END SOLUTION"),
                   ("code", "q1.check()\n# q1.hint()"), ("code", "print(x)  # q1.check() in a comment is not a check"))
    nb.cells[1].id, nb.cells[2].id = "answer-1", "check 1"  # a space nbgrader would refuse in an id: replaced
    with_nbgrader_metadata(nb, "02_x")
    answer, check = nb.cells[1].metadata["nbgrader"], nb.cells[2].metadata["nbgrader"]
    assert answer == {"grade": False, "grade_id": "02_x-answer-1", "locked": False, "schema_version": 3,
                      "solution": True, "task": False}  # fmt: skip
    assert check == {"grade": True, "grade_id": "02_x-check-1", "locked": True, "points": 1, "schema_version": 3,
                     "solution": False, "task": False}  # fmt: skip
    assert "nbgrader" not in nb.cells[0].metadata and "nbgrader" not in nb.cells[3].metadata
    assert make_learner(nb).cells[2].metadata["nbgrader"] == check  # the learner version carries it too


def test_sync_cleans_solution_outputs(tmp_path):
    sol = tmp_path / "solutions"
    sol.mkdir()
    nb = _notebook(("code", "print(1)"))
    nb.cells[0].execution_count = 5
    (sol / "a.ipynb").write_text(render(nb))
    assert "execution count 5" in sync_learner_notebooks(sol, tmp_path, check=True)[0]
    assert f"cleaned {sol / 'a.ipynb'}" in sync_learner_notebooks(sol, tmp_path)
    assert sync_learner_notebooks(sol, tmp_path, check=True) == []


def test_cli_exit_statuses(tmp_path, capsys):
    sol = tmp_path / "solutions"
    sol.mkdir()
    (sol / "a.ipynb").write_text(render(_notebook(("code", "x = 1"))))
    args = ["learner-notebooks", "--solutions", str(sol), "--out", str(tmp_path)]
    assert main(args + ["--check"]) == 1  # missing learner notebook
    assert main(args) == 0
    assert main(args + ["--check"]) == 0
    assert "up to date and clean" in capsys.readouterr().out
    assert main(["learner-notebooks", "--solutions", str(tmp_path / "nope")]) == 2
    assert "no solution notebooks folder" in capsys.readouterr().err


# --- the committed notebooks --------------------------------------------------------------------------------


def test_committed_notebooks_are_clean_and_learner_versions_up_to_date():
    assert sync_learner_notebooks(SOLUTIONS, NOTEBOOKS, check=True) == []


@pytest.mark.parametrize("stem", LESSONS)
def test_each_lesson_checks_every_problem_once_in_a_cell_of_its_own(stem):
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    calls = [CHECK_CALL.findall(c.source) for c in nb.cells if c.cell_type == "code"]
    checked = [name for found in calls for name in found]
    problems = [n for n, q in vars(LESSONS[stem]).items() if isinstance(q, Problem) and n[0] == "q"]
    assert checked == problems and all(len(found) <= 1 for found in calls)


def _lines(code):
    return [line.strip() for line in code.splitlines() if line.strip()]


@pytest.mark.parametrize("stem", LESSONS)
def test_solved_notebook_answers_are_what_solution_shows(stem):
    # One source: the answer in the solved notebook is the code `qN.solution()` shows (a function's body sits
    # inside its def), and a free-text answer is the model answer.
    module = LESSONS[stem]
    regions: list[str] = []
    for cell in nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4).cells:
        if cell.cell_type != "code":
            continue
        regions += solution_regions(cell.source)
        for name in CHECK_CALL.findall(cell.source):
            q, answer = getattr(module, name), "\n".join(regions)
            regions = []
            if isinstance(q, FreeTextProblem):
                namespace = {}
                exec(answer, namespace)
                assert namespace["answer"] == q.model_answer, name
            else:
                want, got = _lines(q.solution_code), _lines(answer)
                assert any(want[i : i + len(got)] == got for i in range(len(want))), f"{stem} {name}"


# --- grading with nbval ---------------------------------------------------------------------------------------


def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.fixture(scope="module")
def nbval_report(tmp_path_factory):
    """Run ``pytest --nbval-lax`` on every notebook once; {notebook path: {cell number: failure text or None}}."""
    xml = tmp_path_factory.mktemp("nbval") / "report.xml"
    env = dict(os.environ, **{GRADING_ENV: "1"})
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
           "-q", f"--junitxml={xml}", "notebooks"]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert xml.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    report: dict[Path, dict[int, str | None]] = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        path = ROOT / (case.get("classname").removesuffix(".ipynb").replace(".", "/") + ".ipynb")
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        cell = int(case.get("name").removeprefix("Cell "))
        report.setdefault(path, {})[cell] = None if failure is None else (failure.text or failure.get("message"))
    return report


def test_nbval_ran_every_notebook(nbval_report):
    expected = {*NOTEBOOKS.glob("*.ipynb"), *SOLUTIONS.glob("*.ipynb")}
    assert set(nbval_report) == expected
    for path, cells in nbval_report.items():
        assert sorted(cells) == list(range(len(_code_cells(path)))), path


def test_every_solution_cell_passes(nbval_report):
    for path in SOLUTIONS.glob("*.ipynb"):
        failed = {cell: text[-600:] for cell, text in nbval_report[path].items() if text is not None}
        assert failed == {}, f"{path.name}: {failed}"


def test_learner_notebooks_fail_exactly_their_check_cells(nbval_report):
    for path in NOTEBOOKS.glob("*.ipynb"):
        checks = {i for i, c in enumerate(_code_cells(path)) if CHECK_CALL.search(c.source)}
        failed = {cell for cell, text in nbval_report[path].items() if text is not None}
        assert checks and failed == checks, f"{path.name}: failed {sorted(failed)}, checks {sorted(checks)}"
        for cell in failed:  # each failure is the exercise's own feedback, not a crash
            assert "Not attempted yet" in nbval_report[path][cell], nbval_report[path][cell][-600:]


def test_run_all_in_a_live_kernel_shows_feedback_and_never_stops(monkeypatch):
    # Interactive use: a learner's "Run All" goes through every cell, and each check shows its feedback as HTML,
    # with no error and no traceback anywhere.
    from nbclient import NotebookClient

    monkeypatch.setenv(GRADING_ENV, "0")  # the kernel inherits this process's environment
    nb = nbformat.read(NOTEBOOKS / "02_hand_scoring.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [(cell, out) for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for _, out in outputs if out.output_type == "error"]
    feedback = [out.data["text/html"] for cell, out in outputs if CHECK_CALL.search(cell.source) and "data" in out]
    assert len(feedback) == len(CHECK_CALL.findall("\n".join(c.source for c in nb.cells if c.cell_type == "code")))
    assert all("Not attempted yet" in html and "Traceback" not in html for html in feedback)
