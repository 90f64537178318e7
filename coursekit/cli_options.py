"""The ``coursekit`` command's option checks: numbers that must be finite and in range, output files that must be
writable, figure names whose extension matplotlib can write. Used as argparse ``type=`` functions or called
before a command starts its work, so a bad option exits 2 with a message at once, never a traceback at the end.

    p.add_argument("--watts", type=number(low=0), ...)         # "nan", "inf", "-1" -> exit 2, "must be ..."
    check_output(args.csv)                                     # before a long job: the folder exists, is writable
    check_figure(args.plot)                                    # and the name ends in .png, .pdf, .svg ...
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["number", "integer", "check_output", "check_figure", "describe_os_error", "figure_types"]


def figure_types() -> list[str]:
    """The extensions matplotlib's savefig writes (png, pdf, svg ...); imports matplotlib, so only for --plot."""
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


def number(*, low: float | None = None, high: float | None = None, above: float | None = None) -> Callable[[str], float]:
    """An argparse type: a finite float, >= ``low``, <= ``high`` and > ``above`` where given."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if (low is not None and value < low) or (high is not None and value > high) or (
                above is not None and value <= above):
            raise argparse.ArgumentTypeError(f"must be {_range(low, high, above)}, got {text}")
        return value

    return parse


def integer(*, low: int | None = None) -> Callable[[str], int]:
    """An argparse type: an int >= ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if low is not None and value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    return parse


def _range(low: float | None, high: float | None, above: float | None) -> str:
    parts = [f">= {low:g}" if low is not None else "", f"> {above:g}" if above is not None else "",
             f"<= {high:g}" if high is not None else ""]
    return " and ".join(p for p in parts if p)


def describe_os_error(e: OSError, path: object = None) -> str:
    """One line for a failed write or read: the file and the reason, with a hint for a full or read-only disk."""
    where = e.filename if e.filename is not None else path
    reason = e.strerror or str(e)
    hint = {errno.ENOSPC: " (the disk is full: free some space)",
            errno.EROFS: " (the folder is on a read-only file system: choose another)",
            errno.EDQUOT: " (over the disk quota)"}.get(e.errno, "")  # fmt: skip
    return f"cannot write {where}: {reason}{hint}" if where is not None else f"{reason}{hint}"


def check_output(path: str | os.PathLike | None, what: str = "output file") -> None:
    """Raise ``ValueError`` unless ``path`` can be written: its folder exists and takes a new file, and it is
    not a folder itself. Checked by creating (and removing) a temp file there, which also catches a read-only
    file system that ``os.access`` would not report to root."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{what} {path} is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise ValueError(f"cannot write {what} {path}: the folder {folder} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=".coursekit-probe-", dir=folder)
    except OSError as e:
        raise ValueError(describe_os_error(e, folder)) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def check_figure(path: str | os.PathLike | None) -> None:
    """``check_output`` for a figure, whose name must end in an extension matplotlib writes (.png, .pdf, .svg...)."""
    if path is None:
        return
    suffix = Path(path).suffix.lower().lstrip(".")
    types = figure_types()
    if suffix not in types:
        got = f"'.{suffix}'" if suffix else "no extension"
        raise ValueError(f"cannot tell which image format to write to {path} ({got}); end its name in one of "
                         f"{', '.join('.' + t for t in types)}")
    check_output(path, "figure")
