"""`coursekit grade` on a real class: honest, empty, broken and hostile notebooks, graded with a relative path.

One grading run (module fixture, two kernels at a time) over a folder with one learner per group of cases:

    alice    lesson 02's solution notebook as it is                 -> all passed
    bob      the learner notebook, untouched                        -> all not attempted
    carol    some checks deleted, the rest duplicated and moved to the end, every cell retyped -> all passed
    erin     a wrong Q5 answer, and Q4's answer cell raises         -> Q5 failed, Q4 error, the rest passed
    frank    Q3's answer loops (interruptible), then a loop that swallows interrupts before Q5
                                                                   -> Q3 timed out; Q5, Q6 timed out; the rest passed
    heidi    a file that is not valid JSON                          -> every exercise error, and the run goes on
    zed      99_extra.ipynb: a lesson the course does not have      -> one error row, and the run goes on
    mallory  the empty notebook plus every trick of issue 13: patch Problem.grade and the exercises, a post-run
             hook writing "correct" records, SIGKILL to PID 1 and to its parent, a daemon that outlives the
             kernel and writes into another learner's notebook and the grades CSV, reading another learner's
             notebook into its free-text answer, a csv.py beside the notebook
                                                                   -> all not attempted; nobody else affected,
                                                                      no file changed, no process left
    trudy|![x](https:e.vil)<img ...>   the solution, with a free-text answer that is a spreadsheet formula and
             Markdown (a fake row and heading)                      -> escaped in both reports
    walt     lesson 03's solution, but Q1 wraps the reference, Q2 imports it, Q3's function loops forever, and
             Q4's check cell is deleted                             -> Q1, Q2 failed "calls the reference", Q3 and
                                                                      Q5 (which calls Q3's) timed out, Q4 passed
"""

import copy
import csv
import hashlib
import io
import json
import secrets
from pathlib import Path

import pytest

from coursekit.course.grader.confine import sandbox_available
from coursekit.course.grader.report import md_escape
from coursekit.course.grading import (
    ERROR,
    FAILED,
    NOT_ATTEMPTED_V,
    PASSED,
    TIMED_OUT,
    grade,
    problems_of,
)

ROOT = Path(__file__).resolve().parent.parent
NAME = "02_hand_scoring.ipynb"
SOLUTION = json.loads((ROOT / "notebooks" / "solutions" / NAME).read_text())
LEARNER = json.loads((ROOT / "notebooks" / NAME).read_text())
LESSON03 = "03_building_the_metrics.ipynb"
SOLUTION03 = json.loads((ROOT / "notebooks" / "solutions" / LESSON03).read_text())
LABELS = list(problems_of("coursekit.course.lessons.lesson02"))  # "Lesson 02 · Q1" ... "Lesson 02 · Q6"
TRUDY = "trudy|![x](https:e.vil)<img src=x onerror=y>"  # no slash: a folder name
FORMULA = '=HYPERLINK("http://e.vil/")\n| fake | row |\n## A fake heading. Two sentences.'
MARKER = "ck13-daemon-" + secrets.token_hex(6)  # names the hostile daemon's command line, to look for it after


def src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def code(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}


def is_check(cell, q: str = "") -> bool:
    return cell["cell_type"] == "code" and f"{q}.check()" in src(cell)


def answer_cell(nb, name: str):
    return next(c for c in nb["cells"] if c["cell_type"] == "code" and "BEGIN SOLUTION" in src(c)
                and (f"{name} =" in src(c) or f"def {name}(" in src(c)))  # fmt: skip


def variant(nb, edit) -> dict:
    nb = copy.deepcopy(nb)
    edit(nb)
    return nb


def shuffle_checks(nb):
    checks = [c for c in nb["cells"] if is_check(c)]
    kept = checks[::2]  # delete every other check cell, duplicate the rest at the end in reverse order
    nb["cells"] = [c for c in nb["cells"] if not is_check(c)] + kept + kept[::-1]
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["source"] = src(c).replace(" = ", "  =  ")  # retyped by hand


def loops(nb):
    answer_cell(nb, "total_8")["source"] = "total_8 = 0\nwhile True:\n    total_8 += 1"
    cell = answer_cell(nb, "shortest_degenerate")
    swallow = "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass"
    nb["cells"].insert(nb["cells"].index(cell), code(swallow))


def wrong_and_raising(nb):
    answer_cell(nb, "shortest_degenerate")["source"] = "shortest_degenerate = 8"
    answer_cell(nb, "total_64")["source"] = "total_64 = 1 / 0\ndegenerate_64 = True"


def hostile(victim: Path, report: Path, marker_file: Path) -> str:
    daemon = (f"import time, sys  # {MARKER}\ntime.sleep(1.5)\nfor p in sys.argv[1:]:\n"
              "    try:\n        open(p, 'a').write('=HACKED')\n    except OSError:\n        pass\ntime.sleep(60)")  # fmt: skip
    return f"""
import os, subprocess, sys
from coursekit.course import exercise as ex
from coursekit.course.lessons import lesson02
ex.Problem.grade = lambda self, **values: ex.Outcome(self.label, ex.CORRECT, "patched")
for n in ("q1", "q2", "q3", "q4", "q5", "q6"):
    getattr(lesson02, n).evaluate = lambda **values: "patched"
log = os.environ.get("COURSEKIT_GRADE_LOG") or {str(victim.parent / 'log.jsonl')!r}
def forge(*args):
    try:
        with open(log, "a") as fh:
            fh.write('{{"kind": "outcome", "label": "Lesson 02 · Q1", "status": "correct", "final": true}}\\n')
            fh.write('{{"kind": "kernel", "pid": 1}}\\n')
    except OSError:
        pass
get_ipython().events.register("post_run_cell", forge)
for pid in (1, os.getppid()):
    try:
        os.kill(pid, 9)
    except OSError:
        pass
subprocess.Popen([sys.executable, "-c", {daemon!r}, {str(victim)!r}, {str(report)!r}], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    open({str(victim)!r}, "a").write("tampered")
except OSError:
    pass
import csv  # the csv.py shipped beside this notebook, if the kernel finds it first: harmless in here
try:
    answer = open({str(victim)!r}).read()[:400]  # another learner's work as this one's free-text answer
except OSError:
    pass
"""


def trudy(nb):
    answer_cell(nb, "answer")["source"] = f"answer = {FORMULA!r}"


def cheats03(nb):
    answer_cell(nb, "bigram_diversity")["source"] = "def bigram_diversity(text):\n    return ref.bigram_diversity(text)"
    answer_cell(nb, "trigram_diversity")["source"] = "from coursekit.alarm.metrics import trigram_diversity"
    answer_cell(nb, "english_word_presence")["source"] = "def english_word_presence(text):\n    while True:\n        pass"
    nb["cells"] = [c for c in nb["cells"] if not is_check(c, "q4")]


def hashes(folder: Path) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    top = tmp_path_factory.mktemp("class")
    subs = top / "submissions"
    cases = {
        "alice": (NAME, SOLUTION),
        "bob": (NAME, LEARNER),
        "carol": (NAME, variant(SOLUTION, shuffle_checks)),
        "erin": (NAME, variant(SOLUTION, wrong_and_raising)),
        "frank": (NAME, variant(SOLUTION, loops)),
        "zed": ("99_extra.ipynb", LEARNER),
        TRUDY: (NAME, variant(SOLUTION, trudy)),
        "walt": (LESSON03, variant(SOLUTION03, cheats03)),
    }
    for learner, (name, nb) in cases.items():
        (subs / learner).mkdir(parents=True)
        (subs / learner / name).write_text(json.dumps(nb))
    (subs / "heidi").mkdir()
    (subs / "heidi" / NAME).write_text('{"cells": [ oops')
    report_csv, marker_file = top / "grades.csv", top / "csv-py-was-imported"
    if sandbox_available() is None:  # without the sandbox, other learners' files are reachable (documented)
        mallory = copy.deepcopy(LEARNER)
        mallory["cells"].append(code(hostile(subs / "alice" / NAME, report_csv, marker_file)))
        (subs / "mallory").mkdir()
        (subs / "mallory" / NAME).write_text(json.dumps(mallory))
        (subs / "mallory" / "csv.py").write_text(f"open({str(marker_file)!r}, 'w').write('imported')\n")
    before = hashes(subs)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(top)  # a relative path, exactly as the README calls it
        report = grade(["submissions"], cell_timeout=8, notebook_timeout=60, jobs=2)
    return {"report": report, "before": before, "subs": subs, "csv": report_csv, "marker": marker_file}


def verdicts(report, learner):
    return {v.exercise: v.verdict for v in report.verdicts if v.learner == learner}


def expect(lesson="02", labels=LABELS, **overrides):
    want = {label: PASSED for label in labels}
    for q, verdict in overrides.items():
        want[f"Lesson {lesson} · Q{q[1:]}"] = verdict
    return want


def test_solution_passes_everything_with_a_relative_path(graded):
    assert verdicts(graded["report"], "alice") == expect()
    assert {v.notebook for v in graded["report"].verdicts if v.learner == "alice"} == {f"submissions/alice/{NAME}"}


def test_untouched_learner_notebook_is_not_attempted(graded):
    assert verdicts(graded["report"], "bob") == {label: NOT_ATTEMPTED_V for label in LABELS}


def test_deleted_duplicated_moved_and_retyped_checks_still_graded_by_name(graded):
    assert verdicts(graded["report"], "carol") == expect()


def test_wrong_answer_fails_and_raising_cell_errors_only_their_exercises(graded):
    assert verdicts(graded["report"], "erin") == expect(q5=FAILED, q4=ERROR)
    erin = {v.exercise: v.message for v in graded["report"].verdicts if v.learner == "erin"}
    assert "ZeroDivisionError" in erin["Lesson 02 · Q4"]


def test_loops_time_out_their_exercises_only(graded):
    # Q3's loop is interrupted at the cell limit; the next loop ignores interrupts, which stops the kernel there
    assert verdicts(graded["report"], "frank") == expect(q3=TIMED_OUT, q5=TIMED_OUT, q6=TIMED_OUT)


def test_invalid_json_and_unknown_lesson_are_one_learners_error(graded):
    assert verdicts(graded["report"], "heidi") == {label: ERROR for label in LABELS}
    assert "JSON" in next(v.message for v in graded["report"].verdicts if v.learner == "heidi")
    (zed,) = [v for v in graded["report"].verdicts if v.learner == "zed"]
    assert zed.verdict == ERROR and "no lesson 99" in zed.message


@pytest.mark.skipif(sandbox_available() is not None, reason=f"no bubblewrap sandbox here: {sandbox_available()}")
def test_hostile_learner_gets_nothing_and_changes_nothing(graded):
    assert verdicts(graded["report"], "mallory") == {label: NOT_ATTEMPTED_V for label in LABELS}
    assert hashes(graded["subs"]) == graded["before"]  # no submission touched, the victim's notebook included
    assert not graded["csv"].exists() and not graded["marker"].exists()
    assert processes_with(MARKER) == []  # the daemon did not outlive the learner's grading


def test_reference_wrappers_fail_and_a_looping_function_times_out_by_name(graded):
    labels = list(problems_of("coursekit.course.lessons.lesson03"))
    assert verdicts(graded["report"], "walt") == expect("03", labels, q1=FAILED, q2=FAILED, q3=TIMED_OUT, q5=TIMED_OUT)
    walt = {v.exercise: v.message for v in graded["report"].verdicts if v.learner == "walt"}
    assert "calls the reference" in walt["Lesson 03 · Q1"] and "calls the reference" in walt["Lesson 03 · Q2"]


def test_reports_are_escaped(graded):
    report = graded["report"]
    assert verdicts(report, TRUDY)["Lesson 02 · Q1"] == PASSED
    md = report.to_markdown()
    assert "![x]" not in md and "\n## A fake" not in md and "| fake | row |" not in md
    assert md_escape(TRUDY) in md
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    (q6,) = [r for r in rows if r["learner"] == TRUDY and r["exercise"].endswith("Q6")]
    assert q6["answer"] == "'" + FORMULA  # a leading apostrophe: text, not a formula
    assert all(not r[k].startswith(("=", "+", "-", "@")) for r in rows for k in r if r[k])


def test_free_text_answers_collected(graded):
    alice = next(v for v in graded["report"].verdicts if v.learner == "alice" and v.exercise.endswith("Q6"))
    assert alice.answer and len(alice.answer) > 50
    assert "## Free-text answers" in graded["report"].to_markdown() and md_escape(alice.answer) in graded["report"].to_markdown()


def test_summary_counts(graded):
    summary = graded["report"].summary()
    assert summary.startswith(f"graded {len(graded['report'].learners())} learner(s): ") and "passed" in summary
