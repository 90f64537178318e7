"""Does the back-tester stream? Peak memory of back-testing 10k vs 1M synthetic samples: the library call
(tracemalloc) and the command a user runs, ``coursekit backtest LOG`` (the process's peak RSS).

    .venv/bin/python benchmarks/bench_backtest.py            # 10k and 1M records (several minutes on 2 cores)
    .venv/bin/python benchmarks/bench_backtest.py --sizes 10000 100000
    .venv/bin/python benchmarks/bench_backtest.py --cli-only # only the command's figures

The command is measured on a real file (written to a temp folder and removed afterwards) in a child process:
its peak resident set size (``wait4``'s ``ru_maxrss``) includes the interpreter and its imports, so the
10k figure is the baseline and the 1M one should stay close to it (the goal: under 100 MB for 1M samples).

The synthetic log is JSON Lines text produced line by line (never held whole), parsed by the same
coursekit.alarm.runlog.iter_log that reads files. Its samples cycle through a few real texts of the v1
reconstruction, degenerate and healthy, so the gate's counter keeps rising and resetting (a reset every 5
samples: more resets than ``max_resets`` keeps). With ``keep_decisions=False`` the peak should not grow with
the log; with ``keep_decisions=True`` (the default, for plots) it grows linearly, shown for contrast.
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from coursekit.alarm.metrics import eval_chat_quality
from coursekit.alarm.runlog import read_log
from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.replay import backtest


class SyntheticLog:
    """A file-like run log of ``n`` records, generated as it is read."""

    name = "<synthetic>"

    def __init__(self, n: int, texts: list[str]) -> None:
        self.n, self.texts = n, texts

    def read(self) -> str:  # present so backtest() treats this as an open log; never called
        raise NotImplementedError

    def __iter__(self) -> Iterator[str]:
        for i in range(self.n):
            text = self.texts[i % len(self.texts)]
            yield json.dumps({"step": 100 * (i + 1), "source": "synthetic", "text": text, "loss_ema": 3.5}) + "\n"


def pick_texts() -> list[str]:
    """Four degenerate v1 samples then one healthy one: a run of 4, reset, again and again."""
    records, _ = read_log(v1_log_path())
    bad = [r["text"] for r in records if eval_chat_quality(r["text"]).total < 30][:4]
    good = [r["text"] for r in records if eval_chat_quality(r["text"]).total > 90][:1]
    return bad + good


def measure(n: int, texts: list[str], keep: bool) -> tuple[float, float, int]:
    tracemalloc.start()
    t0 = time.perf_counter()
    result = backtest(SyntheticLog(n, texts), keep_decisions=keep)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.n_samples == n
    return peak / 1024, seconds, result.n_resets


def measure_cli(n: int, texts: list[str], folder: Path, *extra: str) -> tuple[float, float, float]:
    """Peak RSS (MiB) and seconds of ``coursekit backtest`` on an n-record log file, and the file's size (MB)."""
    log = folder / f"log{n}.jsonl"
    with open(log, "w", encoding="utf-8") as fh:
        fh.writelines(SyntheticLog(n, texts))
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "coursekit", "backtest", str(log), "--json", *extra],
                            stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0 and json.loads(out)["n_samples"] == n, proc.returncode
    size = log.stat().st_size / 1e6
    log.unlink()
    return usage.ru_maxrss / 1024, seconds, size  # ru_maxrss is in KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    ap.add_argument("--cli-only", action="store_true", help="measure only the coursekit backtest command")
    args = ap.parse_args()
    texts = pick_texts()
    print("coursekit backtest LOG --json (a child process; peak RSS includes Python and the imports):")
    print(f"{'records':>10}  {'log MB':>8}  {'peak RSS MiB':>12}  {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            rss, seconds, size = measure_cli(n, texts, Path(tmp))
            print(f"{n:>10,}  {size:>8,.0f}  {rss:>12,.1f}  {seconds:>8.1f}", flush=True)
    if args.cli_only:
        return
    print()
    print("backtest() in this process (tracemalloc: Python allocations only):")
    print(f"{'records':>10}  {'keep_decisions':>14}  {'peak KiB':>10}  {'seconds':>8}  {'resets':>8}")
    for keep in (False, True):
        for n in args.sizes if not keep else sorted({s for s in args.sizes if s <= 100_000} | {100_000}):
            peak, seconds, resets = measure(n, texts, keep)
            print(f"{n:>10,}  {str(keep):>14}  {peak:>10,.0f}  {seconds:>8.1f}  {resets:>8,}", flush=True)
    print("(tracemalloc slows allocation-heavy code, so the seconds are not the back-tester's normal speed)")


if __name__ == "__main__":
    main()
