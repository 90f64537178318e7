"""The course machinery: exercises, notebooks, grading, widgets, and the lessons built on them.

- ``exercise``: ``Problem`` with ``check()`` / ``hint()`` / ``solution()``, and ``ReferenceFunction``;
- ``freetext``: ``FreeTextProblem``, the explain-or-argue exercise an instructor reads;
- ``learnertest``: running a test the learner wrote, on good inputs and on broken ones in an unknown order;
- ``notebooks``: generating learner notebooks from the solution notebooks; ``grading``: ``coursekit grade``;
- ``widgets`` and ``backtest_widget``: the interactive scorer and the threshold x patience explorer;
- ``battery``: the failure-mode battery's generators; ``collapserun``: lesson 05's live collapse run;
- ``lessons``: one module per lesson (``from coursekit.course.lessons.lesson02 import q1``).

Layer rule (import-linter): the top library layer; it may import every other layer. Inside it, ``lessons``
sits above the rest: the framework never imports a lesson.
"""
