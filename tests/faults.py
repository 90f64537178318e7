"""Fault injection for the tests: kill -9 a tiny run at a named point, truncate a file, flip a bit, a tiny tmpfs.

    done = run_killed_at(out, "after-checkpoint", nth=3)   # a tiny seeded run (tests/tinyrun.py), SIGKILLed
    flip_bit(out / "ckpt.pt", offset=-5000)                # one bit of the file's bytes
    truncate(out / "samples.jsonl", drop=7)                # the last 7 bytes gone, as a torn write leaves it
    with small_tmpfs(256 * 1024) as folder: ...            # a 256 KiB file system that soon fills up (root only)

The named points are where a real process can die between two writes. The run goes in a child process that
wraps the function at that point so that its ``nth`` call sends the process SIGKILL to itself: no ``finally``,
no ``atexit``, no flush runs after it, exactly as with ``kill -9`` from outside.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# name -> (module, attribute, file, when): the child kills itself before or after the nth call of that function
# (counting only calls whose first argument is a path ending in ``file``, when one is given).
KILL_POINTS = {
    "after-sample": ("coursekit.alarm.runlog", "LogWriter.append", None, "after"),  # a sample line just flushed
    "mid-checkpoint": ("coursekit.alarm.safefile", "os.replace", "ckpt.pt", "before"),  # temp written, not renamed
    "after-checkpoint": ("coursekit.train.checkpoint", "save_checkpoint", None, "after"),  # ckpt.pt just replaced
    "before-halt-json": ("coursekit.train.run", "ckpt.write_json", "halt.json", "before"),  # halting ckpt, no halt.json
    "before-summary": ("coursekit.train.run", "ckpt.write_json", "summary.json", "before"),  # halt.json, no summary
    "mid-rewind": ("coursekit.alarm.safefile", "os.replace", "samples.jsonl", "before"),  # a resume's log rewind
}

_CHILD = """
import os, signal, sys, functools, importlib, json
sys.path.insert(0, {tests!r})
from tinyrun import WordTokenizer, collapse_sources, tiny_config
from coursekit.train.trainer import main
module, attr, suffix, when, nth = {module!r}, {attr!r}, {suffix!r}, {when!r}, {nth!r}
owner = importlib.import_module(module)
*path, name = attr.split(".")
for part in path:
    owner = getattr(owner, part)
real = getattr(owner, name)
calls = [0]
@functools.wraps(real)
def wrapper(*args, **kw):
    hit = suffix is None or str(args[-1] if name == "replace" else args[0]).endswith(suffix)
    calls[0] += hit
    if hit and calls[0] == nth and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    out = real(*args, **kw)
    if hit and calls[0] == nth and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return out
setattr(owner, name, wrapper)
cfg = tiny_config({out!r}, **json.loads({overrides!r}))
sys.exit(main(cfg, tokenizer=WordTokenizer(), sources=collapse_sources(), resume={resume!r}))
"""


def run_killed_at(out: Path, point: str, nth: int = 1, *, resume: bool = False, **overrides) -> int:
    """Run (or resume) the tiny seeded run in ``out`` in a child process that SIGKILLs itself at the ``nth``
    call of ``point`` (a key of KILL_POINTS). Returns the child's exit code (-9 when the kill happened)."""
    import json

    module, attr, suffix, when = KILL_POINTS[point]
    code = _CHILD.format(tests=str(TESTS), module=module, attr=attr, suffix=suffix, when=when, nth=nth, out=str(out),
                         overrides=json.dumps(overrides), resume=resume)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=300)
    if done.returncode not in (-signal.SIGKILL, 0, 3):
        raise AssertionError(f"the child run failed ({done.returncode}):\n{done.stderr.decode()[-3000:]}")
    return done.returncode


def truncate(path: Path, drop: int) -> None:
    """Cut the last ``drop`` bytes off ``path``."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(max(0, size - drop))


def flip_bit(path: Path, offset: int, bit: int = 0) -> None:
    """Flip one bit of ``path`` at byte ``offset`` (negative: from the end)."""
    with open(path, "r+b") as fh:
        fh.seek(offset, os.SEEK_END if offset < 0 else os.SEEK_SET)
        pos = fh.tell()
        byte = fh.read(1)
        fh.seek(pos)
        fh.write(bytes([byte[0] ^ (1 << bit)]))


@contextlib.contextmanager
def small_tmpfs(size: int, *, read_only: bool = False) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` bytes (read-only if asked) for the block; skip the test where mounting is not
    permitted (not root, no CAP_SYS_ADMIN, not Linux)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    folder = Path(tempfile.mkdtemp(prefix="coursekit-tmpfs-"))
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()
