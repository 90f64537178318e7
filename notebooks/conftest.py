"""Grading mode for the notebooks: under ``pytest --nbval-lax notebooks/...`` every exercise check raises on a
wrong or missing answer, so that its cell, and only its cell, fails (coursekit/course/exercise.py).

nbval starts each notebook's kernel from this process's environment, so setting the variable here reaches the
checks. Set ``COURSEKIT_GRADING=0`` yourself to run the notebooks under pytest without grading them.
"""

import os

from coursekit.course.exercise import GRADING_ENV

os.environ.setdefault(GRADING_ENV, "1")
