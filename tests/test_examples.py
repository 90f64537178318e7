"""examples/: each file is short enough to copy (at most 15 lines of user code) and, where it runs in seconds, runs.

The Hugging Face and Lightning files are the same calls tests/test_hf.py and tests/test_lightning.py make with the
real frameworks; the plain loop runs here as written, on a tiny model whose samples are degenerate.
"""

import ast
import importlib.util
import json
from pathlib import Path

import pytest
import torch

from coursekit.alarm.gates import GATES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = sorted(EXAMPLES.glob("*.py"))


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_lines(path: Path) -> int:
    """Lines of code: not blank, not a comment, not part of the module's or a function's docstring."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in [tree, *ast.walk(tree)]:
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines = path.read_text().splitlines()
    return sum(1 for i, line in enumerate(lines, start=1)
               if line.strip() and not line.strip().startswith("#") and i not in docstrings)


def test_there_is_one_example_per_kind_of_loop():
    assert [p.name for p in FILES] == ["hf_trainer.py", "lightning_trainer.py", "torch_loop.py"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_example_is_at_most_15_lines_of_user_code_and_names_a_registered_gate(path):
    assert code_lines(path) <= 15, f"{path.name}: {code_lines(path)} lines of code"
    gates = [kw.value.value for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)
             for kw in node.keywords if kw.arg == "gate"]
    assert gates and all(g in GATES for g in gates), f"{path.name}: gate={gates}"


def test_code_lines_counts_code_only(tmp_path):
    f = tmp_path / "x.py"
    # 1 docstring line, 1 comment, 1 blank, then 3 lines of code (the def, its docstring skipped, two statements).
    f.write_text('"""doc"""\n# note\n\ndef f():\n    """doc\n    more"""\n    a = 1\n    return a\n')
    assert code_lines(f) == 3


class Tiny(torch.nn.Module):
    """``model(x, y)`` returns a loss, as the example's loop expects."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Linear(4, 1)

    def forward(self, x, y):
        return torch.nn.functional.mse_loss(self.w(x), y)


def test_the_plain_loop_example_halts_on_degenerate_samples(tmp_path):
    example = load(EXAMPLES / "torch_loop.py")
    torch.manual_seed(0)
    model = Tiny()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    batches = [(torch.randn(8, 4), torch.randn(8, 1)) for _ in range(1000)]
    log = tmp_path / "run" / "samples.jsonl"
    report = example.train(model, optimizer, batches, lambda m: "region " * 40, log_file=str(log))
    # A sample every 100 steps, every one degenerate: the gate's fifth bad sample is at step 500, where it halts.
    assert report is not None and report["step"] == 500
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["step"] for r in records] == [100, 200, 300, 400, 500] and records[-1]["halt"]
