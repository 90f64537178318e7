"""The ``coursekit`` command: a thin layer over the package's functions.

    coursekit score "region region region"      # score a text (or pipe one in on stdin)
    coursekit score --log run/samples.jsonl      # score every sample of a run log
    coursekit score --json ...                   # machine-readable output

Exit status: 0 on success, 2 on unreadable input or bad arguments (with a message on stderr).
Each subcommand is one ``_cmd_*`` function plus its parser in ``build_parser``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable, Sequence

from .metrics import DEFAULT_THRESHOLD, SampleScore, eval_chat_quality
from .runlog import MalformedLine, iter_log

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Input the command cannot use; main() prints it and exits 2."""


# --- score ----------------------------------------------------------------------------------------------------


def _score_rows(args: argparse.Namespace) -> Iterable[dict]:
    if args.log is not None:
        if args.text is not None:
            raise InputError("give a text or --log FILE, not both")
        errors = "skip" if args.skip_bad else "raise"
        try:
            for rec in iter_log(args.log, errors=errors, on_error=lambda e: print(f"skipped {e}", file=sys.stderr)):
                yield {"step": rec["step"], "source": rec["source"], "text": rec["text"]}
        except OSError as e:
            raise InputError(f"cannot read log {args.log}: {e.strerror or e}") from None
        except UnicodeDecodeError as e:
            raise InputError(f"cannot read log {args.log}: not UTF-8 text ({e.reason})") from None
        except MalformedLine as e:
            raise InputError(f"{e} (use --skip-bad to skip and report such lines)") from None
        return
    if args.text is not None:
        text = args.text
    elif sys.stdin is None or sys.stdin.isatty():
        raise InputError("give a text to score, pipe one in on stdin, or use --log FILE")
    else:
        try:  # decode strictly: the C locale would otherwise smuggle bad bytes in as surrogates
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"cannot read stdin: not UTF-8 text ({e.reason})") from None
    yield {"step": None, "source": None, "text": text}


def _verdict(score: SampleScore, threshold: float) -> str:
    return "DEGENERATE" if score.degenerate(threshold) else "ok"


def _preview(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _cmd_score(args: argparse.Namespace) -> int:
    rows = _score_rows(args)
    first = next(rows, None)  # read before printing anything, so unreadable input prints only the error
    rows = itertools.chain([first] if first is not None else [], rows)
    if args.json:
        for row in rows:
            score = eval_chat_quality(row["text"])
            out = {k: v for k, v in row.items() if v is not None and k != "text"}
            out.update(score.as_dict(), degenerate=score.degenerate(args.threshold))
            print(json.dumps(out))
        return EXIT_OK
    header = f"{'step':>8}  {'bigram':>6}  {'trigram':>7}  {'english':>7}  {'chars':>5}  {'total':>6}  verdict     sample"
    print(header)
    print("-" * len(header))
    for row in rows:
        s = eval_chat_quality(row["text"])
        step = "" if row["step"] is None else str(row["step"])
        print(
            f"{step:>8}  {s.bigram:6.2f}  {s.trigram:7.2f}  {s.english:7.2f}  {s.chars:5.2f}  {s.total:6.2f}  "
            f"{_verdict(s, args.threshold):<10}  {_preview(row['text'])}"
        )
    return EXIT_OK


# --- parser and entry point ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="coursekit", description="Smoke Alarm: catch coherence collapse in training runs.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("score", help="score a text, stdin, or every sample of a run log on the four axes")
    p.add_argument("text", nargs="?", help="the text to score (default: read stdin)")
    p.add_argument("--log", metavar="FILE", help="a JSON Lines run log: score each sample")
    p.add_argument("--skip-bad", action="store_true", help="with --log: skip malformed lines (reported on stderr)")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="degenerate below this total (30)")
    p.add_argument("--json", action="store_true", help="one JSON object per sample instead of a table")
    p.set_defaults(func=_cmd_score)

    # (further subcommands: each adds its parser here and a _cmd_* function above)

    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:
        print(f"coursekit {args.command}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `coursekit score --log big.jsonl | head` is fine
        return EXIT_OK
