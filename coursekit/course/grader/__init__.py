"""``coursekit grade``: grade a class of learner notebooks safely. One concept per module:

- ``discovery``: which notebooks, learners, lessons and exercises (paths made absolute once);
- ``confine`` and ``launch``: the private copy, the sandbox, rlimits, the learner's uid, no process left behind;
- ``worker`` and ``inkernel``: drive one confined kernel; the kernel only hands values out (``codec``);
- ``hosting`` and ``callcell``: what the grader lends a learner's function (a training run, a runner) stays in the
  grader's process, and the kernel's requests about it are answered while the function runs;
- ``judge``: the lesson's own exercises judge those values in the grader's process;
- ``report``: escaped Markdown and CSV; ``runner``: the class, jobs at a time, with progress.
"""

from .discovery import Submission, collect, lesson_of, problems_of
from .judge import ERROR, FAILED, NOT_ATTEMPTED_V, PASSED, TIMED_OUT
from .report import GradeReport, Verdict
from .runner import GradeOptions, confinement_note, grade, grade_notebook

__all__ = ["PASSED", "FAILED", "NOT_ATTEMPTED_V", "TIMED_OUT", "ERROR", "Verdict", "GradeReport", "GradeOptions",
           "Submission", "collect", "confinement_note", "grade", "grade_notebook", "lesson_of", "problems_of"]
