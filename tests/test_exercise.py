"""The exercise framework: outcomes, the grading-mode switch, hints, solutions, free-text self-checks."""

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.course.exercise import (
    CORRECT,
    ERROR,
    GRADING_ENV,
    INCORRECT,
    NBGRADER_ENV,
    NOT_ATTEMPTED,
    ExerciseFailed,
    Incorrect,
    Outcome,
    Problem,
    as_number,
    call_learner,
    close,
    expect_number,
    grading_mode,
)
from coursekit.course.freetext import FreeTextProblem, KeyIdea, count_sentences


class Double(Problem):
    """A toy exercise: set `doubled` to 2 x 21."""

    label = "Toy · Q1"
    names = ("doubled",)
    hints = ("Multiply.", "By two.", "21 * 2")
    solution_code = "doubled = 2 * 21"

    def evaluate(self, doubled):
        expect_number(doubled, "doubled", 42, "not 42.", [(21, "you forgot to double it.")])
        return "well done."


class Explain(FreeTextProblem):
    label = "Toy · Q2"
    min_sentences, max_sentences = 1, 2
    min_words = 3
    ideas = (KeyIdea("the colour", (r"blue",)),)
    model_answer = "The sky is blue."


@pytest.fixture
def interactive(monkeypatch):
    monkeypatch.delenv(GRADING_ENV, raising=False)


@pytest.fixture
def grading(monkeypatch):
    monkeypatch.setenv(GRADING_ENV, "1")


# --- outcomes ------------------------------------------------------------------------------------------------


def test_the_three_outcomes():
    q = Double()
    assert q.grade(doubled=42) == Outcome("Toy · Q1", CORRECT, "well done.")
    assert q.grade(doubled=41).status == INCORRECT
    assert q.grade(doubled=...).status == NOT_ATTEMPTED
    assert q.grade().status == NOT_ATTEMPTED  # the name is not defined at all


def test_slips_get_their_own_message_and_other_answers_the_generic_one():
    q = Double()
    assert q.grade(doubled=21).message == "you forgot to double it."
    assert q.grade(doubled=40).message == "not 42."


def test_not_attempted_names_what_is_missing():
    q = Double()
    assert "`doubled`" in q.grade(doubled=...).message and "replace" in q.grade(doubled=...).message
    assert q.grade().message.startswith("define `doubled`")


def test_a_non_number_is_incorrect_and_says_what_it_got():
    for bad, kind in [("42", "str"), (True, "bool"), (None, "NoneType")]:
        outcome = Double().grade(doubled=bad)
        assert outcome.status == INCORRECT and kind in outcome.message


def test_outcome_text_and_html():
    outcome = Outcome("Toy · Q1", INCORRECT, "look at `x` <here>")
    assert str(outcome) == "✗ Toy · Q1: Incorrect. Look at `x` <here>"
    html = outcome._repr_html_()
    assert "<code>x</code>" in html and "&lt;here&gt;" in html  # escaped, backticks become <code>


# --- check(): interactive vs grading -------------------------------------------------------------------------


def test_check_reads_the_callers_globals_and_displays_without_raising(interactive, capsys):
    doubled = 41  # noqa: F841 - a local is not what check() reads
    globals()["doubled"] = 42
    try:
        Double().check()
    finally:
        del globals()["doubled"]
    assert "Correct" in capsys.readouterr().out


def test_interactive_check_never_raises(interactive, capsys):
    Double().check({"doubled": 7})
    Double().check({})
    out = capsys.readouterr().out
    assert "Incorrect" in out and "Not attempted yet" in out


@pytest.mark.parametrize("namespace, status", [({"doubled": 7}, INCORRECT), ({"doubled": ...}, NOT_ATTEMPTED)])
def test_grading_mode_raises_on_failure(grading, namespace, status):
    with pytest.raises(ExerciseFailed) as info:
        Double().check(namespace)
    assert info.value.outcome.status == status
    # IPython shows these lines instead of a stack trace
    assert info.value._render_traceback_() == [str(info.value.outcome)]


def test_grading_mode_passes_a_correct_answer(grading, capsys):
    Double().check({"doubled": 42})
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("value, on", [("1", True), ("true", True), ("YES", True), ("0", False), ("", False)])
def test_grading_mode_switch(monkeypatch, value, on):
    monkeypatch.delenv(NBGRADER_ENV, raising=False)
    monkeypatch.setenv(GRADING_ENV, value)
    assert grading_mode() is on


@pytest.mark.parametrize("ours, nbgrader, on", [(None, "autograde", True), (None, "validate", True), (None, "", False),
                                                ("0", "autograde", False), ("1", None, True)])  # fmt: skip
def test_grading_mode_under_nbgrader(monkeypatch, ours, nbgrader, on):
    # nbgrader autograde / validate set NBGRADER_EXECUTION, not COURSEKIT_GRADING; an explicit 0 still wins
    for name, value in ((GRADING_ENV, ours), (NBGRADER_ENV, nbgrader)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert grading_mode() is on


class Fragile(Problem):
    """A check that does not foresee odd input: it indexes into whatever it gets."""

    label = "Toy · Q3"
    names = ("cycle",)

    def evaluate(self, cycle):
        return "length " + str(len(set(cycle)))  # a list inside the list: TypeError (unhashable)


def test_grade_never_raises_an_odd_answer_is_an_error_outcome():
    q = Fragile()
    assert q.grade(cycle=["a", "b"]).status == CORRECT
    outcome = q.grade(cycle=[["a"], "b"])
    assert outcome.status == ERROR and "TypeError" in outcome.message and outcome.problem == "Toy · Q3"
    assert "!" in str(outcome) and "<b>!" in outcome._repr_html_()  # shown like any other outcome


# --- hints and solutions -------------------------------------------------------------------------------------


def test_hints_advance_one_level_per_call_and_stop_at_the_last(capsys):
    q = Double()
    for _ in range(4):
        q.hint()
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["Hint 1 of 3", "Hint 2 of 3", "Hint 3 of 3", "Hint 3 of 3"]
    assert "last hint" in out[-1]


def test_a_hint_by_number_and_a_bad_number(capsys):
    Double().hint(2)
    assert capsys.readouterr().out.startswith("Hint 2 of 3: By two.")
    for bad in (0, 4, "1", True):
        with pytest.raises(ValueError, match="hints 1 to 3"):
            Double().hint(bad)


def test_solution_shows_the_code(capsys):
    Double().solution()
    assert "doubled = 2 * 21" in capsys.readouterr().out


def test_problem_solution_code_passes_its_own_check():
    ns = {}
    exec(Double.solution_code, ns)
    assert Double().grade(doubled=ns["doubled"]).passed


# --- free text -----------------------------------------------------------------------------------------------


def test_free_text_outcomes():
    q = Explain()
    assert q.grade(answer="The sky is blue.").passed
    assert q.grade(answer=...).status == NOT_ATTEMPTED
    assert q.grade(answer="   ").status == NOT_ATTEMPTED
    assert q.grade(answer="...").status == NOT_ATTEMPTED  # the stub typed inside the quotes
    assert "string" in q.grade(answer=42).message
    assert "words" in q.grade(answer="Blue.").message  # 1 word, fewer than min_words = 3: not yet an attempt
    assert "sentences" in q.grade(answer="Blue sky. Blue sky. Blue sky. Blue sky. Blue sky.").message  # 5 > 2 x 2


def test_free_text_is_never_failed_or_passed_on_keywords():
    q = Explain()
    # a real attempt without the key idea's words passes; the feedback names the idea as advice
    other_words = q.grade(answer="The sky is the colour of the sea.")
    assert other_words.passed and "does not seem to mention the colour" in other_words.message
    assert "Advice, not a grade" in other_words.message and "The sky is blue." in other_words.message
    # with the words, the outcome is the same pass, without the nudge
    with_words = q.grade(answer="The sky is blue today.")
    assert with_words.passed and "does not seem" not in with_words.message
    # a pass is shown as "Recorded", never "Correct": the check did not judge the argument
    assert str(with_words).startswith("✓ Toy · Q2: Recorded.") and "Correct" not in with_words._repr_html_()


def test_free_text_model_answer_passes_and_is_shown(capsys):
    q = Explain()
    ns = {}
    exec(q.solution_code, ns)
    assert q.grade(answer=ns["answer"]).passed
    q.solution()
    assert "The sky is blue." in capsys.readouterr().out


@pytest.mark.parametrize(
    "text, n",
    [
        ("One. Two.", 2),  # two full stops
        ("One, e.g. this. Two", 2),  # "e.g." ends nothing; an unterminated last sentence counts
        ("It costs 9.04 nats! Why? Because.", 3),  # a decimal point is not a full stop
        ("", 0),
        ("no punctuation at all", 1),
    ],
)
def test_count_sentences(text, n):
    assert count_sentences(text) == n


@given(st.lists(st.text(alphabet="abc ", min_size=1).filter(str.strip), min_size=1, max_size=6))
def test_count_sentences_counts_joined_sentences(parts):
    # k sentences, each ending in ". ", count as k
    assert count_sentences(" ".join(p.strip() + "." for p in parts)) == len(parts)


# --- helpers -------------------------------------------------------------------------------------------------


def test_call_learner_turns_crashes_and_stubs_into_outcomes():
    with pytest.raises(Incorrect, match="on case X, your function raised ZeroDivisionError"):
        call_learner(lambda: 1 / 0, case="case X")
    with pytest.raises(Incorrect, match="still returns `...`"):
        call_learner(lambda: ... + 1, case="case X")  # a stub further down the call chain

    def stub():
        return ...

    from coursekit.course.exercise import NotAttempted

    with pytest.raises(NotAttempted, match="`stub` still returns"):
        call_learner(stub, case="case X")


def test_as_number_and_close():
    assert as_number(3, "x") == 3.0
    with pytest.raises(Incorrect, match="NaN"):
        as_number(math.nan, "x")
    assert close(100.0, 100.00005) and not close(100.0, 100.001)  # relative above 1
    assert close(0.0, 5e-7) and not close(0.0, 2e-6)  # absolute below 1
    assert close(5.83, 5.8333, tol=0.006, absolute=True) and not close(5.8, 5.8333, tol=0.006, absolute=True)


@given(st.floats(-1e6, 1e6))
def test_expect_number_accepts_exactly_the_close_values(x):
    try:
        expect_number(x, "x", 1.0, "no")
        accepted = True
    except Incorrect:
        accepted = False
    assert accepted == close(x, 1.0)


# --- every lesson's problems ---------------------------------------------------------------------------------

import importlib  # noqa: E402
import pkgutil  # noqa: E402

from coursekit.course import lessons  # noqa: E402

LESSONS = [
    importlib.import_module(f"{lessons.__name__}.{m.name}")
    for m in sorted(pkgutil.iter_modules(lessons.__path__), key=lambda m: m.name)
    if re.fullmatch(r"lesson\d\d", m.name)
]
assert len(LESSONS) >= 7, "no lesson modules found: the test below would check nothing"


# Lessons whose answers read a training run's files: their own test file makes the run and does this check.
NEEDS_A_TRAINING_RUN = {
    "coursekit.course.lessons.lesson05": "Q4 reads a halted run: tests/test_lesson05.py runs this check with one",
}


def lesson_problems(module):
    return [(name, q) for name, q in vars(module).items() if isinstance(q, Problem) and name[0] == "q"]


@pytest.mark.parametrize("module", LESSONS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_reference_solution_passes_and_every_stub_is_not_attempted(module):
    # The solutions run one after another in one namespace, as the cells of a notebook do.
    if module.__name__ in NEEDS_A_TRAINING_RUN:
        pytest.skip(NEEDS_A_TRAINING_RUN[module.__name__])
    namespace = dict(vars(module))
    problems = lesson_problems(module)
    assert [name for name, _ in problems] == [f"q{i}" for i in range(1, len(problems) + 1)]
    for name, q in problems:
        exec(q.context_code, namespace)
        exec(q.solution_code, namespace)
        outcome = q.grade(**{n: namespace[n] for n in q.names})
        assert outcome.passed, f"{module.__name__}.{name}: {outcome}"
        assert q.grade(**{n: ... for n in q.names}).status == NOT_ATTEMPTED
        if callable(namespace[q.names[0]]):  # a function to write: the learner notebook's stub returns `...`
            stub = lambda *args: ...  # noqa: E731
            stub.__name__ = q.names[0]
            assert q.grade(**{q.names[0]: stub}).status == NOT_ATTEMPTED, name
        assert q.label.endswith(f"Q{name[1:]}")
        assert len(q.hints) >= 2 or isinstance(q, FreeTextProblem), f"{name} needs hints"
