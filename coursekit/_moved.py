"""Old module names, from before coursekit was split into layers, kept importable.

Until version 0.2 every module sat directly in ``coursekit/`` (``coursekit.trainer``, ``coursekit.lesson02`` ...).
Code and notebooks written then keep working: importing an old name returns the module at its new place (the
same module object, so ``isinstance`` checks and monkeypatching agree), with a ``DeprecationWarning`` naming the
new place. ``coursekit.metrics`` and ``coursekit.gate`` are the specification's public names and stay
without a warning; ``coursekit.backtest`` is a real package that re-exports what the old module had.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings

__all__ = ["MOVED", "STABLE", "install"]

MOVED = {
    "metrics": "alarm.metrics", "gate": "alarm.gate", "v3gate": "alarm.v3gate", "runlog": "alarm.runlog",
    "sensitivity": "backtest.sensitivity", "plots": "backtest.plots", "gatereport": "backtest.gatereport",
    "model": "train.model", "cudagraph": "train.cudagraph", "tokenizer": "train.tokenizer",
    "corpus": "train.corpus", "stdlib_docstrings": "train.stdlib_docstrings", "curriculum": "train.curriculum",
    "samplepath": "train.samplepath", "runners": "train.runners", "trainer": "train.trainer",
    "trainconfig": "train.trainconfig", "checkpoint": "train.checkpoint", "hardware": "train.hardware",
    "trainreport": "train.trainreport", "live": "train.live", "gateaudit": "train.gateaudit",
    "ngram": "train.ngram", "v1sim": "incident.v1sim", "v1text": "incident.v1text",
    "v1corpus": "incident.v1corpus", "v1firehose": "incident.v1firehose", "exercise": "course.exercise",
    "notebooks": "course.notebooks", "grading": "course.grading", "widgets": "course.widgets",
    "backtest_widget": "course.backtest_widget", "battery": "course.battery", "collapserun": "course.collapserun",
    **{f"lesson0{i}": f"course.lessons.lesson0{i}" for i in range(7)},
}
STABLE = {"metrics", "gate"}  # named by the specification's public API: no warning


class _Alias(importlib.abc.Loader):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def create_module(self, spec):  # noqa: ANN001 - the import system's signature
        return None  # a placeholder module; exec_module swaps the real one in

    def exec_module(self, module) -> None:  # noqa: ANN001
        if self.old.rpartition(".")[2] not in STABLE:
            warnings.warn(f"{self.old} moved to {self.new}; import it from there", DeprecationWarning, stacklevel=2)
        # The import system returns whatever sys.modules holds under the name once this returns.
        sys.modules[self.old] = importlib.import_module(self.new)


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001
        package, _, name = fullname.rpartition(".")
        if package != "coursekit" or name not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(fullname, f"coursekit.{MOVED[name]}"))


def install() -> None:
    """Make the old names importable (idempotent; ``coursekit/__init__.py`` calls it)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
