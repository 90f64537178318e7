"""Graded exercises: the ``Problem`` base class behind ``q1.check()``, ``q1.hint()`` and ``q1.solution()``.

A lesson module (``coursekit.course.lessons.lesson01`` ...) defines one ``Problem`` per exercise. In a notebook::

    uniform_loss = ...          # the learner replaces ... with an answer
    q1.check()                  # reads `uniform_loss` from the notebook and says what it thinks
    q1.hint()                   # the next hint (several levels); q1.hint(2) shows hint 2
    q1.solution()               # the reference answer

A check has three outcomes: *correct*, *incorrect* (with a message that helps without giving the answer away)
and *not attempted* (a name is missing or still ``...``). Expected values always come from coursekit's reference
code, never from literals typed into the check.

Two ways of reporting, switched by the environment variable ``COURSEKIT_GRADING``:

- interactive (unset): the outcome is *displayed* (HTML in Jupyter, text elsewhere) and nothing is raised, so
  "Run All" goes on past a wrong answer and the learner sees every piece of feedback without a traceback;
- grading (``COURSEKIT_GRADING=1``, set by notebooks/conftest.py under ``pytest --nbval-lax``): an incorrect or
  unattempted check raises ``ExerciseFailed``, so its cell, and only its cell, fails. The exception renders as
  the same short feedback (IPython's ``_render_traceback_``) rather than a stack trace.
"""

from __future__ import annotations

import html
import json
import math
import numbers
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GRADING_ENV",
    "GRADE_LOG_ENV",
    "record_outcome",
    "CORRECT",
    "INCORRECT",
    "NOT_ATTEMPTED",
    "ERROR",
    "NBGRADER_ENV",
    "Outcome",
    "Incorrect",
    "NotAttempted",
    "ExerciseFailed",
    "Problem",
    "ReferenceFunction",
    "grading_mode",
    "show",
    "as_number",
    "close",
    "expect_number",
    "call_learner",
]

GRADING_ENV = "COURSEKIT_GRADING"
GRADE_LOG_ENV = "COURSEKIT_GRADE_LOG"  # if set, checks append outcomes here; `coursekit grade` no longer reads it
CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"
ERROR = "error"  # the check itself raised on this answer: reported, never propagated (Problem.grade)
NBGRADER_ENV = "NBGRADER_EXECUTION"  # set by nbgrader while it autogrades or validates: grading mode too

_STYLE = {  # status -> (symbol, heading, border colour, background)
    CORRECT: ("✓", "Correct", "#2e7d32", "#e8f5e9"),
    INCORRECT: ("✗", "Incorrect", "#c62828", "#ffebee"),
    NOT_ATTEMPTED: ("…", "Not attempted yet", "#8d6e00", "#fff8e1"),
    ERROR: ("!", "The check could not judge this answer", "#6a1b9a", "#f3e5f5"),
}


def grading_mode() -> bool:
    """True when checks should raise on failure: ``COURSEKIT_GRADING`` is 1/true/yes, or nbgrader is executing
    the notebook (``NBGRADER_EXECUTION`` set, as ``nbgrader autograde`` and ``validate`` do), unless
    ``COURSEKIT_GRADING`` says 0/false/no."""
    flag = os.environ.get(GRADING_ENV, "").strip().lower()
    if flag in ("1", "true", "yes"):
        return True
    return flag not in ("0", "false", "no") and bool(os.environ.get(NBGRADER_ENV, "").strip())


def _inline_html(text: str) -> str:
    """Escape ``text`` and turn `backticks` into <code>, the only markup feedback messages use."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text)).replace("\n", "<br>")


class _Note:
    """A block of feedback (a hint, a solution): HTML in Jupyter, plain text elsewhere."""

    def __init__(self, heading: str, body: str, code: str | None = None) -> None:
        self.heading, self.body, self.code = heading, body, code

    def __str__(self) -> str:
        parts = [f"{self.heading}: {self.body}" if self.body else self.heading]
        if self.code:
            parts.append(self.code)
        return "\n".join(parts)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text/plain: the same as print()
        printer.text(str(self))

    def _repr_html_(self) -> str:
        code = f"<pre>{html.escape(self.code)}</pre>" if self.code else ""
        return (
            '<div style="border-left:4px solid #1565c0;background:#e3f2fd;color:#1b1b1b;padding:6px 10px;margin:4px 0">'
            f"<b>{html.escape(self.heading)}</b> {_inline_html(self.body)}{code}</div>"
        )


@dataclass(frozen=True)
class Outcome:
    """The result of checking one exercise."""

    problem: str  # the exercise's label, e.g. "Lesson 01 · Q2"
    status: str  # CORRECT, INCORRECT, NOT_ATTEMPTED or ERROR
    message: str  # what to do next (never the answer itself)
    heading: str | None = None  # shown instead of the status's own ("Correct" ...), e.g. "Recorded" for free text

    @property
    def passed(self) -> bool:
        return self.status == CORRECT

    @property
    def _sentence(self) -> str:
        return self.message[:1].upper() + self.message[1:]

    def __str__(self) -> str:
        symbol, heading, _, _ = _STYLE[self.status]
        return f"{symbol} {self.problem}: {self.heading or heading}. {self._sentence}".rstrip()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text/plain: the same as print()
        printer.text(str(self))

    def _repr_html_(self) -> str:
        symbol, heading, border, background = _STYLE[self.status]
        heading = self.heading or heading
        return (
            f'<div style="border-left:4px solid {border};background:{background};color:#1b1b1b;'
            'padding:6px 10px;margin:4px 0">'
            f"<b>{symbol} {html.escape(self.problem)}: {heading}.</b> {_inline_html(self._sentence)}</div>"
        )


class Incorrect(Exception):
    """Raised inside a check: the answer is wrong; the message says where to look."""


class NotAttempted(Exception):
    """Raised inside a check: there is no answer yet (a name is missing or still ``...``)."""


class ExerciseFailed(AssertionError):
    """Raised by ``check()`` in grading mode when an exercise is not correct: fails its notebook cell."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        super().__init__(str(outcome))

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a stack trace: the feedback is the whole story.
        return [str(self.outcome)]


def show(obj: Any) -> None:
    """Display ``obj`` with IPython's rich display when in a kernel, else print its text form."""
    try:
        from IPython import get_ipython
    except ImportError:  # coursekit works without IPython installed
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        from IPython.display import display

        display(obj)
    else:
        print(str(obj))


def _is_stub(value: Any) -> bool:
    return value is Ellipsis


def as_number(value: Any, name: str) -> float:
    """``value`` as a float, or ``Incorrect`` naming what it got instead (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Incorrect(f"`{name}` should be a number, but it is a {type(value).__name__}: {value!r:.60}.")
    value = float(value)
    if math.isnan(value):
        raise Incorrect(f"`{name}` is NaN (not a number): somewhere a 0/0 or a 0 * log(0) crept in.")
    return value


def close(got: float, want: float, tol: float = 1e-6, absolute: bool = False) -> bool:
    """``got`` within ``tol`` of ``want``: an absolute tolerance, or (default) relative once ``|want|`` > 1."""
    return abs(got - want) <= tol * (1.0 if absolute else max(1.0, abs(want)))


def expect_number(
    value: Any,
    name: str,
    want: float,
    otherwise: str,
    slips: Iterable[tuple[float, str]] = (),
    tol: float = 1e-6,
    absolute: bool = False,
) -> float:
    """Accept ``value`` if it is ``close`` to ``want`` (see there for ``tol``); else raise ``Incorrect``.

    ``slips`` are (value, message) pairs for the usual mistakes (a sum for a mean, a log in the wrong base): the
    first one ``value`` matches gives its message, which says what went wrong without saying the answer;
    ``otherwise`` is the message for anything else.
    """
    got = as_number(value, name)
    if close(got, want, tol, absolute):
        return got
    for slip, message in slips:
        if close(got, slip, tol, absolute):
            raise Incorrect(message)
    raise Incorrect(otherwise)


def call_learner(fn: Callable, *args: Any, case: str) -> Any:
    """Call a learner's function; a crash becomes ``Incorrect`` naming ``case``, a stub ``NotAttempted``."""
    try:
        result = fn(*args)
    except Exception as e:  # any bug in the learner's code is feedback, not a crash of the check
        stub = " (a function it calls still returns `...`?)" if "ellipsis" in str(e) else ""
        raise Incorrect(f"on {case}, your function raised {type(e).__name__}: {e}{stub}") from None
    if _is_stub(result):
        raise NotAttempted(f"`{fn.__name__}` still returns `...`: replace the stub with your code.")
    return result


def record_outcome(problem: Problem, outcome: Outcome, values: Mapping[str, Any], final: bool = False) -> None:
    """Append ``outcome`` to the file named by ``COURSEKIT_GRADE_LOG``, if set (``coursekit grade`` reads it).

    ``final`` marks the grader's own end-of-notebook check; free-text answers travel with their outcome.
    """
    path = os.environ.get(GRADE_LOG_ENV)
    if not path:
        return
    record = {"kind": "outcome", "label": problem.label, "status": outcome.status, "message": outcome.message,
              "final": final}
    answer = values.get("answer") if problem.collects_answer else None
    if isinstance(answer, str):
        record["answer"] = answer
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


class Problem:
    """One exercise: subclasses set the class attributes and implement ``evaluate``.

    ``evaluate(**values)`` receives the learner's values (one keyword per name in ``names``) and either returns
    a short success message or raises ``Incorrect`` / ``NotAttempted``. Every name being present and not ``...``
    is checked before it is called.
    """

    label: str = "Exercise"  # shown in feedback, e.g. "Lesson 01 · Q2"
    names: tuple[str, ...] = ()  # the notebook variables (or functions) the learner defines
    hints: tuple[str, ...] = ()  # from a gentle nudge to nearly the answer
    passed_heading: str | None = None  # what a passed check is called, if not "Correct" (free text: "Recorded")
    collects_answer = False  # True: the grade log carries the learner's `answer` text for the instructor
    solution_code: str = ""  # the solved notebook's answer: defines every name in ``names`` (tests run it)
    context_code: str = ""  # what the notebook has defined by then that solution_code uses (tests run it first)
    solution_note: str = ""  # a sentence shown above the solution code

    def __init__(self) -> None:
        self._hints_shown = 0

    def __repr__(self) -> str:
        return f"<{self.label}: define {', '.join(self.names)}, then .check(); .hint(), .solution() help>"

    def evaluate(self, **values: Any) -> str:
        raise NotImplementedError

    def grade(self, **values: Any) -> Outcome:
        """Check the given values and return the outcome, without displaying or raising anything."""
        missing = [n for n in self.names if n not in values]
        stubs = [n for n in self.names if n in values and _is_stub(values[n])]
        if missing or stubs:
            todo = ", ".join(f"`{n}`" for n in missing + stubs)
            how = "define" if missing and not stubs else "replace the `...` in"
            return Outcome(self.label, NOT_ATTEMPTED, f"{how} {todo}, then run this check again.")
        try:
            message = self.evaluate(**{n: values[n] for n in self.names})
        except Incorrect as e:
            return Outcome(self.label, INCORRECT, str(e))
        except NotAttempted as e:
            return Outcome(self.label, NOT_ATTEMPTED, str(e))
        except Exception as e:  # an answer the check did not foresee: this exercise's error, never a crash
            return Outcome(self.label, ERROR, f"the check raised {type(e).__name__} on this answer: {e}"[:500])
        return Outcome(self.label, CORRECT, str(message or ""), heading=self.passed_heading)

    def check(self, namespace: Mapping[str, Any] | None = None) -> None:
        """Check the learner's answer, read from ``namespace`` (default: the calling notebook's globals).

        Interactive use displays the outcome; in grading mode a wrong or missing answer raises ``ExerciseFailed``.
        """
        if namespace is None:
            namespace = sys._getframe(1).f_globals  # the notebook cell's globals, as learntools does
        values = {n: namespace[n] for n in self.names if n in namespace}
        outcome = self.grade(**values)
        record_outcome(self, outcome, values)
        if grading_mode() and not outcome.passed:
            raise ExerciseFailed(outcome)
        show(outcome)

    def hint(self, level: int | None = None) -> None:
        """Show the next hint, or hint number ``level`` (1-based)."""
        if not self.hints:
            show(_Note(f"{self.label}: no hints", "this one has none; try `.solution()`."))
            return
        if level is None:
            self._hints_shown = min(self._hints_shown + 1, len(self.hints))
            level = self._hints_shown
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= len(self.hints):
            raise ValueError(f"{self.label} has hints 1 to {len(self.hints)}, got {level!r}")
        more = "run `.hint()` again for the next one." if level < len(self.hints) else "that was the last hint."
        show(_Note(f"Hint {level} of {len(self.hints)}", f"{self.hints[level - 1]} ({more})"))

    def solution(self) -> None:
        """Show the reference answer."""
        show(_Note(f"{self.label}: solution", self.solution_note, self.solution_code.strip()))


class ReferenceFunction(Problem):
    """A function the learner writes, compared with ``reference`` on every case of ``cases()`` to 1e-9.

    Subclasses set ``reference`` and ``names`` (one function) and give ``cases()`` as (what it is, text) pairs;
    ``extra_args`` are the argument tuples tried after the text, and ``cases_note`` says in the success message
    what the cases were.
    """

    reference: Callable[..., float]
    extra_args: tuple[tuple[Any, ...], ...] = ((),)
    cases_note = ""

    def cases(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def evaluate(self, **values: Any) -> str:
        (name,) = self.names
        fn = values[name]
        if not callable(fn):
            raise Incorrect(f"`{name}` should be a function, but it is a {type(fn).__name__}.")
        if fn is self.reference:
            raise Incorrect(f"that is coursekit's own `{name}`, imported; write yours in the cell above.")
        cases = self.cases()
        for extra in self.extra_args:
            for case, text in cases:
                got = as_number(call_learner(fn, text, *extra, case=case), f"{name}(...)")
                want = self.reference(text, *extra)
                if not close(got, want, 1e-9):
                    preview = text if len(text) <= 50 else text[:49] + "…"
                    called = f" (called with the text{''.join(f', {a!r}' for a in extra)})" if extra else ""
                    raise Incorrect(f"on {case}{called}, {preview!r}, your function returned {got:.6g}; "
                                    f"the reference: {want:.6g}.")
        return f"matches the reference on all {len(cases)} cases ({self.cases_note})."
