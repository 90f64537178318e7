"""coursekit imports without transformers or lightning: only coursekit.integrations.hf / .lightning need them."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BLOCKED = textwrap.dedent("""
    import importlib.abc, sys

    class Blocker(importlib.abc.MetaPathFinder):   # as if neither framework were installed
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("transformers", "lightning", "pytorch_lightning"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, Blocker())
    import coursekit, coursekit.cli, coursekit.integrations.core, coursekit.integrations.torch
    import coursekit.train.trainer, coursekit.backtest.gatereport, coursekit.course.collapserun
    for name in ("hf", "lightning"):
        try:
            __import__(f"coursekit.integrations.{name}")
        except ModuleNotFoundError as e:
            print(name, "needs", e.name)
    print("loaded:", sorted(m for m in sys.modules if m.split(".")[0] in ("transformers", "lightning")))
""")


def test_coursekit_imports_without_the_frameworks():
    done = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["hf needs transformers", "lightning needs lightning", "loaded: []"]
