"""``coursekit.course.grading``: the grader's public names, kept here for code that imports them from here.

The grader itself is the ``coursekit.course.grader`` package (one module per concept; see its docstring).
"""

from .grader import (  # noqa: F401
    ERROR,
    FAILED,
    NOT_ATTEMPTED_V,
    PASSED,
    TIMED_OUT,
    GradeOptions,
    GradeReport,
    Submission,
    Verdict,
    collect,
    confinement_note,
    grade,
    grade_notebook,
    lesson_of,
    problems_of,
)

__all__ = ["PASSED", "FAILED", "NOT_ATTEMPTED_V", "TIMED_OUT", "ERROR", "Verdict", "GradeReport", "GradeOptions",
           "Submission", "collect", "confinement_note", "grade", "grade_notebook", "lesson_of", "problems_of"]
