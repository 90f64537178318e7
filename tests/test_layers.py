"""The package's layers hold: import-linter's contracts pass, and fail with the import named when one is broken.

The contracts live in pyproject.toml ([tool.importlinter]); `make test` runs `lint-imports` itself. These tests
show that the check can fail (a deliberately wrong import in a copy of the package is caught and named), keep
the alarm free of torch and matplotlib at run time, keep modules small, and keep the old flat names importable.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import coursekit

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coursekit"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = ("alarm", "integrations", "backtest", "train", "incident", "course")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    """Run lint-imports on the package copy in ``tree`` (with the project's contracts)."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree), "HOME": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("layers")
    shutil.copytree(PACKAGE, tree / "coursekit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


def test_the_contracts_are_kept(package_copy):
    done = _lint(package_copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" in done.stdout and "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "named"),
    [
        # the alarm may not reach up into the trainer ...
        ("alarm/gate.py", "from coursekit.train import trainer", "coursekit.alarm.gate -> coursekit.train.trainer"),
        # ... nor import torch, even directly
        ("alarm/metrics.py", "import torch", "coursekit.alarm.metrics -> torch"),
        # train and backtest are independent of each other
        ("backtest/replay.py", "import coursekit.train.model", "coursekit.backtest.replay -> coursekit.train.model"),
        # the course's framework never imports a lesson
        ("course/exercise.py", "import coursekit.course.lessons.lesson02",
         "coursekit.course.exercise -> coursekit.course.lessons.lesson02"),
        # a cycle between two modules of one package (cudagraph must not import the model that imports it)
        ("train/cudagraph.py", "from coursekit.train import model", "No cycles are allowed in coursekit.train"),
    ],
)
def test_a_wrong_import_fails_the_check_and_is_named(package_copy, tmp_path, module, line, named):
    tree = tmp_path / "tree"
    shutil.copytree(package_copy, tree)
    target = tree / "coursekit" / module
    target.write_text(target.read_text() + f"\n{line}  # deliberately wrong\n")
    done = _lint(tree)
    assert done.returncode != 0, f"lint-imports accepted `{line}` in {module}"
    assert named in done.stdout, done.stdout


def test_importing_the_alarm_loads_neither_torch_nor_matplotlib():
    code = ("import sys, coursekit, coursekit.alarm.metrics, coursekit.alarm.gate, coursekit.alarm.v3gate, "
            "coursekit.alarm.runlog, coursekit.alarm.gates; bad = {'torch', 'matplotlib', 'numpy'} & set(sys.modules); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, f"split these by concept: {long}"


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_says_what_it_is_for_and_what_it_may_import(layer):
    doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text()))
    assert doc and "Layer rule" in doc and "import" in doc


def test_every_module_has_a_docstring():
    missing = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
               if p.name != "__main__.py" and not ast.get_docstring(ast.parse(p.read_text()))]
    assert not missing


def test_old_flat_names_still_import_the_same_module_with_a_warning():
    from coursekit.course.lessons import lesson02
    from coursekit.train import trainer

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import coursekit.lesson02 as old_lesson
        import coursekit.trainer as old_trainer
    assert old_lesson is lesson02 and old_trainer is trainer
    assert any("coursekit.train.trainer" in str(w.message) for w in caught)
    # the specification's public names stay without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from coursekit.gate import CoherenceGate
        from coursekit.metrics import eval_chat_quality

        from coursekit.backtest import backtest, compute_saved  # noqa: F401
    assert CoherenceGate is coursekit.CoherenceGate and eval_chat_quality is coursekit.eval_chat_quality
