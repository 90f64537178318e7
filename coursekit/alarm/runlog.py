"""Run logs: one JSON object per generated sample, one per line, append-only (docs/specification.md §5).

    {"step": 132000, "source": "wiki", "text": "region region ...", "loss_ema": 3.61, ...}

``step`` (int), ``source`` (str) and ``text`` (str) are required; ``loss_ema`` is a float or null; any other key
(the trainer adds the four scores and the gate's counter) is kept as it is. Every real or reconstructed run in
the course uses this one format, so the back-tester, ``coursekit score --log`` and the trainer share this module.

Nothing is lost silently: a line that is not a JSON object with the required keys raises ``MalformedLine``
naming its line number, or, with ``errors="skip"``, is reported to a callback and skipped. Steps must increase
strictly: a repeated or backwards step is reported the same way, since it means a resumed run replayed samples.
A line longer than ``MAX_LINE_CHARS`` (1,048,576 characters: a real sample is a few hundred) is a bad line too,
and is never held in memory whole, so one huge line cannot exhaust memory. A non-finite ``loss_ema`` (NaN,
Infinity: Python's json reads them) is a bad line. Text read from a log may hold anything, terminal escapes
included: print it through ``printable`` (``preview`` does), which escapes control characters.
"""

from __future__ import annotations

import json
import math
import os
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .safefile import replace_atomically

__all__ = ["MalformedLine", "LogWriter", "iter_log", "read_log", "parse_record", "rewind_log", "preview",
           "printable", "MAX_LINE_CHARS"]

REQUIRED = {"step": int, "source": str, "text": str}
MAX_LINE_CHARS = 1 << 20  # a longer line is a bad line; it is skipped in chunks, never read whole
_CHUNK = 1 << 16
# Unicode categories escaped when printing: controls (ESC, BEL...), format characters (right-to-left
# overrides, zero-width joiners), lone surrogates (unprintable: they crash a UTF-8 stdout) and private use.
_ESCAPED = {"Cc", "Cf", "Cs", "Co"}


class MalformedLine(ValueError):
    """A run-log line that cannot be used, with its 1-based line number."""

    def __init__(self, path: str, lineno: int, reason: str) -> None:
        self.path, self.lineno, self.reason = path, lineno, reason
        super().__init__(f"{path}:{lineno}: {reason}")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control and format characters and lone surrogates become escapes.

    An ESC (which starts a sequence that can clear the screen or set the title) becomes the four characters
    backslash, "x1b"; a right-to-left override U+202E becomes backslash, "u202e"; a lone surrogate U+D800 (which a
    UTF-8 terminal cannot even encode) becomes backslash, "ud800". Other text is unchanged.
    """
    if text.isprintable():  # the common case, at C speed
        return text
    out = []
    for ch in text:
        if unicodedata.category(ch) in _ESCAPED:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                       else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def preview(text: str, width: int, ellipsis: str = "…", empty: str = "") -> str:
    """A sample's text on one line for tables: whitespace runs become one space, control characters are
    escaped (``printable``), cut to ``width`` characters."""
    flat = printable(" ".join(text.split())) or empty
    return flat if len(flat) <= width else flat[: width - len(ellipsis)] + ellipsis


def parse_record(line: str) -> dict[str, Any]:
    """Parse one line into a record dict, raising ``ValueError`` with a reason a person can act on."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON ({e.msg} at column {e.colno}); a truncated write?") from None
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, got {type(rec).__name__}")
    for key, kind in REQUIRED.items():
        if key not in rec:
            raise ValueError(f"missing required key {key!r}")
        value = rec[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ValueError(f"{key!r} must be {kind.__name__}, got {type(value).__name__}")
    loss = rec.get("loss_ema")
    if loss is not None and (isinstance(loss, bool) or not isinstance(loss, (int, float))):
        raise ValueError(f"'loss_ema' must be a number or null, got {type(loss).__name__}")
    if loss is not None and not math.isfinite(loss):
        raise ValueError(f"'loss_ema' must be finite, got {loss}")
    return rec


def _bounded_lines(source: TextIO, limit: int) -> Iterator[str | None]:
    """Each line of ``source`` (with its newline), or None for a line over ``limit`` characters (skipped in
    chunks, so memory stays bounded whatever its length). Sources without ``readline`` are iterated."""
    if not hasattr(source, "readline"):
        for line in source:
            yield None if len(line.rstrip("\n")) > limit else line
        return
    while True:
        line = source.readline(limit + 2)  # room for the limit, a "\r\n" and so a cue that the line went on
        if not line:
            return
        if len(line.rstrip("\r\n")) <= limit:
            yield line
            continue
        while not line.endswith("\n"):  # too long: read the rest away, a chunk at a time
            line = source.readline(_CHUNK)
            if not line:
                break
        yield None


def iter_log(
    source: str | os.PathLike | TextIO,
    errors: str = "raise",
    on_error: Callable[[MalformedLine], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield a log's records one at a time (constant memory, whatever the log's length).

    ``errors="raise"`` stops at the first bad line with ``MalformedLine``; ``errors="skip"`` passes each bad
    line to ``on_error`` (which should record it) and goes on. Blank lines are ignored.
    """
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8") as fh:
            yield from iter_log(fh, errors, on_error)
        return
    name = getattr(source, "name", "<stream>")
    last_step: int | None = None
    for lineno, line in enumerate(_bounded_lines(source, MAX_LINE_CHARS), start=1):
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise ValueError(f"line longer than {MAX_LINE_CHARS:,} characters (the limit of a run-log line)")
            rec = parse_record(line)
            if last_step is not None and rec["step"] <= last_step:
                raise ValueError(f"step {rec['step']} does not follow step {last_step} (a repeated or replayed sample?)")
        except ValueError as e:
            err = MalformedLine(str(name), lineno, str(e))
            if errors == "raise":
                raise err from None
            if on_error is not None:
                on_error(err)
            continue
        last_step = rec["step"]
        yield rec


def read_log(source: str | os.PathLike | TextIO, errors: str = "raise") -> tuple[list[dict], list[MalformedLine]]:
    """All records of a (small) log, and the bad lines that ``errors="skip"`` passed over."""
    bad: list[MalformedLine] = []
    return list(iter_log(source, errors, bad.append)), bad


class LogWriter:
    """Appends records to a run log, one flushed line each, so a killed run loses at most the line in flight."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")

    def append(self, record: dict[str, Any]) -> None:
        parse_record(json.dumps(record))  # refuse to write what the reader would reject
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rewind_log(path: str | os.PathLike, last_step: int) -> int:
    """Drop every record after ``last_step`` (and a torn last line), so a resumed run repeats no sample.

    A malformed line anywhere else is not the kill's doing, so it raises ``MalformedLine`` rather than vanish.

    Used when resuming from a checkpoint taken at ``last_step``: samples logged after it will be produced again.
    The file is rewritten atomically (``safefile.replace_atomically``: a full disk or a kill leaves the old log
    and no temp file), and not at all when nothing is dropped. Returns how many lines were dropped.
    """
    path = Path(path)
    if not path.exists():
        return 0
    kept, dropped = 0, 0
    with open(path, encoding="utf-8") as fh:
        lines = list(_bounded_lines(fh, MAX_LINE_CHARS))
    for lineno, line in enumerate(lines, start=1):
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise ValueError(f"line longer than {MAX_LINE_CHARS:,} characters")
            rec = parse_record(line)
        except ValueError as e:
            if lineno == len(lines):  # a line torn by the kill: it will be written again
                dropped += 1
                continue
            raise MalformedLine(str(path), lineno, str(e)) from None
        if rec["step"] <= last_step:
            kept += 1
            lines[kept - 1] = line if line.endswith("\n") else line + "\n"
        else:
            dropped += 1
    if dropped:
        text = "".join(lines[:kept]).encode("utf-8")
        replace_atomically(path, lambda fh: fh.write(text))
    return dropped
