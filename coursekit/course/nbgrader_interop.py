"""nbgrader interop: the cell metadata nbgrader needs, and a ``ClearSolutions`` that makes the course's own stubs.

``coursekit learner-notebooks`` writes nbgrader metadata into every notebook (``with_nbgrader_metadata`` in
notebooks.py): an answer cell (one holding a ``### BEGIN SOLUTION`` region) is a ``solution`` cell;
a check cell (``qN.check()``) is an autograded ``grade`` cell worth 1 point, ``locked``; ``grade_id`` is
``<notebook stem>-<cell id>`` (cell ids are stable, so are the ids). Under ``nbgrader autograde`` the checks raise
on a wrong or missing answer, because ``grading_mode()`` honours ``NBGRADER_EXECUTION``.

``CourseClearSolutions`` (nbgrader_config.py at the repository root puts it in place of nbgrader's own) replaces
each region with the stub ``make_learner`` writes, so ``nbgrader generate_assignment`` releases exactly the
course's learner notebooks instead of ``raise NotImplementedError()`` stubs. nbgrader is imported only when
``course_preprocessors`` is called.
"""

from __future__ import annotations

from typing import Any

from .notebooks import learner_source

__all__ = ["course_preprocessors"]


def course_preprocessors() -> list:
    """nbgrader's ``GenerateAssignment`` preprocessors with ``CourseClearSolutions`` in place of its own."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions

    class CourseClearSolutions(ClearSolutions):
        """Stub each solution region as ``coursekit learner-notebooks`` does (``return ...``, ``name = ...``)."""

        def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> tuple[Any, Any]:
            if cell.cell_type == "code":
                cell.source = learner_source(cell.source, f"cell {cell_index}")
            return cell, resources

    default = GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default()
    return [CourseClearSolutions if p is ClearSolutions else p for p in default]
