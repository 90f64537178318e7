"""The ``coursekit`` command: a thin layer over the package's functions.

    coursekit score "region region region"      # score a text (or pipe one in on stdin)
    coursekit score --log run/samples.jsonl      # score every sample of a run log
    coursekit score --json --gate v4 ...         # machine-readable; v3's or v4's verdict, with the rules broken
    coursekit backtest [LOG] [--gate v4]         # replay a run log through a gate (default: v1's log, v2)
    coursekit learner-notebooks [--check]        # notebooks/*.ipynb from notebooks/solutions/
    coursekit train --profile cpu --scenario collapse --out runs/demo   # train until done or halted
    coursekit train --resume runs/demo           # continue a stopped, killed or halted run
    coursekit compare-gates [LOG] [--plot g.png] # v2's, v3's and v4's gates, on a log and on healthy logs
    coursekit grade submissions/ --csv g.csv     # grade a class (coursekit/course/grader/command.py)
    coursekit otter-export --out otter/          # the solution notebooks in otter-grader's assign format

Exit status: 0 on success, 2 on unreadable input or bad arguments (with a message on stderr), 1 when
``learner-notebooks --check`` finds a drifted or unclean notebook, 3 when ``train`` is halted by the gate,
130 when ``train`` is interrupted (Ctrl-C; resume from its last checkpoint); the README's "Exit status" table
lists every case. Options are checked before any work (coursekit/cli_options.py); text read from a log is
printed with control characters escaped (``runlog.printable``, via ``preview``).
Each subcommand is one ``_cmd_*`` function plus its parser in ``build_parser`` (``train``: coursekit/cli_train.py).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
from collections.abc import Iterable, Iterator, Sequence

from coursekit.alarm.gate import DEFAULT_PATIENCE
from coursekit.alarm.metrics import DEFAULT_THRESHOLD
from coursekit.alarm.runlog import MalformedLine, iter_log, preview
from coursekit.alarm.gates import make_gate
from coursekit.alarm.v4gate import GATE_NAMES, verdict_of
from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.replay import (
    GPU_WATTS,
    KILL_STEP,
    STATED_STEPS_PER_MIN,
    BacktestResult,
    backtest,
    compute_saved,
    format_report,
    implied_steps_per_min,
)
from coursekit.backtest.sensitivity import SensitivityGrid, sensitivity
from coursekit.cli_options import check_figure, check_output, describe_os_error, integer, number
from coursekit.cli_train import TrainInputError, add_train_parser, cmd_train

EXIT_OK = 0
EXIT_DRIFT = 1  # learner-notebooks --check: a learner notebook differs from its solution's
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Input the command cannot use; main() prints it and exits 2."""


@contextlib.contextmanager
def _reading_log(path: object) -> Iterator[None]:
    """Turn each way a run log can be unreadable into an InputError that says why (exit status 2)."""
    try:
        yield
    except OSError as e:
        raise InputError(f"cannot read log {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"cannot read log {path}: not UTF-8 text ({e.reason})") from None
    except MalformedLine as e:
        raise InputError(f"{e} (use --skip-bad to skip and report such lines)") from None


# --- score ----------------------------------------------------------------------------------------------------


def _score_rows(args: argparse.Namespace) -> Iterable[dict]:
    if args.log is not None:
        if args.text is not None:
            raise InputError("give a text or --log FILE, not both")
        errors = "skip" if args.skip_bad else "raise"
        with _reading_log(args.log):
            for rec in iter_log(args.log, errors=errors, on_error=lambda e: print(f"skipped {e}", file=sys.stderr)):
                yield {"step": rec["step"], "source": rec["source"], "text": rec["text"]}
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


def _cmd_score(args: argparse.Namespace) -> int:
    if args.gate != "v2" and args.threshold is not None:
        raise InputError(f"--threshold is v2's rule; --gate {args.gate} has its own (coursekit.alarm.{args.gate}gate)")
    threshold, rows = DEFAULT_THRESHOLD if args.threshold is None else args.threshold, _score_rows(args)
    first = next(rows, None)  # read before printing anything, so unreadable input prints only the error
    rows = itertools.chain([first] if first is not None else [], rows)
    more = args.gate != "v2"  # v2's output stays as it always was; v3 and v4 add the rules broken
    if args.json:
        for row in rows:
            v = verdict_of(row["text"], args.gate, threshold)
            extra = {"gate": args.gate, "reasons": list(v.reasons), **({"signals": v.signals} if v.signals else {})}
            out = {k: val for k, val in row.items() if val is not None and k != "text"} | v.score.as_dict()
            print(json.dumps(out | {"degenerate": v.bad} | (extra if more else {})))
        return EXIT_OK
    head = f"{'step':>8}  {'bigram':>6}  {'trigram':>7}  {'english':>7}  {'chars':>5}  {'total':>6}  verdict   "
    print(head := head + ("  rules broken          sample" if more else "  sample"), "-" * len(head), sep="\n")
    for row in rows:
        v = verdict_of(row["text"], args.gate, threshold)
        s, step = v.score, "" if row["step"] is None else str(row["step"])
        rules = f"  {','.join(v.reasons) or '-':<20}" if more else ""
        print(f"{step:>8}  {s.bigram:6.2f}  {s.trigram:7.2f}  {s.english:7.2f}  {s.chars:5.2f}  {s.total:6.2f}  "
              f"{'DEGENERATE' if v.bad else 'ok':<10}{rules}  {preview(row['text'], 40)}")  # fmt: skip
    return EXIT_OK


# --- learner-notebooks -----------------------------------------------------------------------------------------


def _cmd_learner_notebooks(args: argparse.Namespace) -> int:
    from coursekit.course.notebooks import (  # nbformat only loads for this command
        SolutionMarkerError,
        sync_learner_notebooks,
    )

    try:
        report = sync_learner_notebooks(args.solutions, args.out, check=args.check)
    except (FileNotFoundError, SolutionMarkerError) as e:
        raise InputError(str(e)) from None
    for line in report:
        print(line)
    if args.check:
        print("learner notebooks: " + (f"{len(report)} problem(s)" if report else "up to date and clean"))
        return EXIT_DRIFT if report else EXIT_OK
    if not report:
        print("learner notebooks: already up to date")
    return EXIT_OK


# --- backtest -------------------------------------------------------------------------------------------------


def _backtest_json(
    result: BacktestResult, args: argparse.Namespace, kill: int | None, grid: SensitivityGrid | None
) -> dict:
    out = {k: getattr(result, k) for k in ("threshold", "patience", "trigger_step", "first_step", "last_step")}
    out.update(n_samples=result.n_samples, n_degenerate=result.n_degenerate, kill_step=kill, saved=None)
    if result.trigger_step is not None and kill is not None:
        steps = max(0, kill - result.trigger_step)
        rates = {"given": args.steps_per_min, "implied": implied_steps_per_min()}
        out["saved"] = {k: vars(compute_saved(steps, r, args.watts)) for k, r in rates.items()}
    out["resets"] = [
        {"step": r.step, "source": r.source, "total": r.score.total, "run_length": r.run_length,
         "run_start": r.run_start}
        for r in result.resets_before_trigger
    ]
    out["bad_lines"] = [{"line": e.lineno, "reason": e.reason} for e in result.bad_lines]
    if grid is not None:
        out["sensitivity"] = {"thresholds": grid.thresholds, "patiences": grid.patiences, "triggers": grid.triggers}
    return out


def _check_outputs(figures: Sequence[str | None] = (), files: Sequence[str | None] = ()) -> None:
    """Before any work: each figure's extension is one matplotlib writes, and every output's folder takes a file."""
    try:
        for path in figures:
            check_figure(path)
        for path in files:
            check_output(path)
    except ValueError as e:
        raise InputError(str(e)) from None


def _cmd_backtest(args: argparse.Namespace) -> int:
    log = args.log or v1_log_path()
    try:
        v2_only = (args.threshold, args.patience, args.sensitivity or None, args.sensitivity_plot)
        if args.gate != "v2" and any(x is not None for x in v2_only):
            raise ValueError(f"--threshold, --patience and --sensitivity are v2's; --gate {args.gate} has its own")
        threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
        patience = DEFAULT_PATIENCE if args.patience is None else args.patience
        gate = make_gate(args.gate, **({"threshold": threshold, "patience": patience} if args.gate == "v2" else {}))
    except (TypeError, ValueError) as e:
        raise InputError(str(e)) from None
    _check_outputs([args.plot, args.sensitivity_plot])
    report_bad = (lambda e: print(f"skipped {e}", file=sys.stderr)) if not args.json else None
    # Streaming unless a figure or the sensitivity grid needs every decision: memory then stays flat
    # whatever the log's length (benchmarks/bench_backtest.py measures this command).
    keep = bool(args.plot or args.sensitivity or args.sensitivity_plot)
    with _reading_log(log):
        result = backtest(log, gate, errors="skip" if args.skip_bad else "raise", on_error=report_bad,
                          keep_decisions=keep)
    kill = result.last_step if args.kill_step is None else args.kill_step
    grid = sensitivity(result) if (args.sensitivity or args.sensitivity_plot) else None
    if args.json:
        print(json.dumps(_backtest_json(result, args, kill, grid)))
    else:
        print(format_report(result, args.steps_per_min, args.watts, kill))
        if grid is not None:
            print()
            print(grid.table(mark=(gate.threshold, gate.patience)))
    if args.plot or args.sensitivity_plot:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        from coursekit.backtest.plots import backtest_figure, sensitivity_figure

        figures = [(args.plot, lambda: backtest_figure(result, kill, args.steps_per_min, args.watts))]
        figures.append((args.sensitivity_plot, lambda: sensitivity_figure(grid, (gate.threshold, gate.patience))))
        for path, make in figures:
            if path:
                try:
                    make().savefig(path, dpi=120)
                except OSError as e:
                    raise InputError(describe_os_error(e, path)) from None
                print(f"wrote {path}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


# --- train (coursekit/cli_train.py) -----------------------------------------------------------------------------


def _cmd_train(args: argparse.Namespace) -> int:
    try:
        return cmd_train(args)
    except TrainInputError as e:
        raise InputError(str(e)) from None


# --- grade ----------------------------------------------------------------------------------------------------


def _cmd_course(args: argparse.Namespace) -> int:
    """grade and otter-export: their modules parse, check (ValueError: exit 2) and run; nbclient loads only then."""
    try:
        return args.run(args)
    except ValueError as e:
        raise InputError(str(e)) from None


# --- compare-gates --------------------------------------------------------------------------------------------


def _cmd_compare_gates(args: argparse.Namespace) -> int:
    from coursekit.backtest.gatereport import GATES, compare_gates, format_comparison

    _check_outputs([args.plot])
    with _reading_log(args.log):
        try:
            reports = compare_gates(args.log, "v1" if args.log is None else None)
        except MalformedLine as e:  # no --skip-bad here: a gate comparison on a partly read log would mislead
            raise InputError(str(e)) from None
    if args.json:
        print(json.dumps({name: {"trigger_step": r.trigger, "steps_earlier_than_v2": r.steps_earlier,
                                 "last_step": r.result.last_step, "false_alarms": r.false_alarms,
                                 "flagged_healthy": r.flagged_healthy} for name, r in reports.items()}))  # fmt: skip
    else:
        print(format_comparison(reports, args.steps_per_min, args.watts))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        from coursekit.backtest.gatereport import gates_figure

        panels = [(f"{name}: {GATES[name][0]}", r.result) for name, r in reports.items()]
        kill = KILL_STEP if args.log is None else None  # v1 was killed by hand; another log just ends
        fig = gates_figure(panels, kill, steps_per_min=args.steps_per_min, watts=args.watts)
        try:
            fig.savefig(args.plot, dpi=120)
        except OSError as e:
            raise InputError(describe_os_error(e, args.plot)) from None
        print(f"wrote {args.plot}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


# --- parser and entry point ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="coursekit", description="Smoke Alarm: catch coherence collapse in training runs.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("score", help="score a text, stdin, or every sample of a run log on the four axes")
    p.add_argument("text", nargs="?", help="the text to score (default: read stdin)")
    p.add_argument("--log", metavar="FILE", help="a JSON Lines run log: score each sample")
    p.add_argument("--skip-bad", action="store_true", help="with --log: skip malformed lines (reported on stderr)")
    p.add_argument("--threshold", type=number(low=0, high=100), help="v2: degenerate below this total (30)")
    p.add_argument("--gate", choices=GATE_NAMES, default="v2", help="v2 (total < 30), v3 (floors), v4 (+ signals)")
    p.add_argument("--json", action="store_true", help="one JSON object per sample instead of a table")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("learner-notebooks", help="generate notebooks/*.ipynb from notebooks/solutions/ (--check: compare)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a learner notebook drifted or a notebook is not clean")
    p.add_argument("--solutions", default="notebooks/solutions", metavar="DIR", help="the solution notebooks (notebooks/solutions)")
    p.add_argument("--out", default="notebooks", metavar="DIR", help="where the learner notebooks go (notebooks)")
    p.set_defaults(func=_cmd_learner_notebooks)

    p = sub.add_parser("backtest", help="replay a run log through the gate: trigger, compute saved, why not earlier")
    p.add_argument("log", nargs="?", help="a JSON Lines run log (default: v1's reconstruction, data/v1/samples.jsonl)")
    p.add_argument("--gate", choices=GATE_NAMES, default="v2", help="v2 (5 in a row), v3 (5 of 10), v4 (5 of 13)")
    p.add_argument("--threshold", type=number(low=0, high=100), help="v2: degenerate below this total (30)")
    p.add_argument("--patience", type=integer(low=1), help="v2: halt after this many in a row (5)")
    p.add_argument("--steps-per-min", type=number(above=0), default=STATED_STEPS_PER_MIN, help="throughput (6, v1's stated)")
    p.add_argument("--watts", type=number(low=0), default=GPU_WATTS, help="GPU power draw for the energy saved (130)")
    p.add_argument("--kill-step", type=integer(low=0), metavar="STEP", help="where the run really stopped (default: last sample)")
    p.add_argument("--plot", metavar="PNG", help="save the back-test figure (scores, loss EMA, trigger, saving)")
    p.add_argument("--sensitivity", action="store_true", help="also print the trigger step over thresholds x patiences")
    p.add_argument("--sensitivity-plot", metavar="PNG", help="save the sensitivity heat map")
    p.add_argument("--skip-bad", action="store_true", help="skip malformed lines (reported on stderr), don't stop")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the report")
    p.set_defaults(func=_cmd_backtest)

    add_train_parser(sub, _cmd_train)

    from coursekit.course import otter_export
    from coursekit.course.grader import command as grade_command  # argparse only: no nbclient yet

    grade_command.add_parser(sub).set_defaults(func=_cmd_course, run=grade_command.run)
    otter_export.add_parser(sub).set_defaults(func=_cmd_course, run=otter_export.run)

    p = sub.add_parser("compare-gates", help="v2's, v3's and v4's gates: where each fires on a log, false alarms on healthy logs")
    p.add_argument("log", nargs="?", help="a JSON Lines run log of a failing run (default: v1's reconstruction)")
    p.add_argument("--steps-per-min", type=number(above=0), default=STATED_STEPS_PER_MIN, help="throughput (6, v1's stated)")
    p.add_argument("--watts", type=number(low=0), default=GPU_WATTS, help="GPU power draw for the energy saved (130)")
    p.add_argument("--plot", metavar="PNG", help="save both gates on the log's timeline")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    p.set_defaults(func=_cmd_compare_gates)

    # (further subcommands: each adds its parser here and a _cmd_* function above)

    return ap


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # argparse has printed the usage and the bad option (exit 2), or --help (0)
        return e.code if isinstance(e.code, int) else EXIT_BAD_INPUT
    try:
        return args.func(args)
    except InputError as e:
        print(f"coursekit {args.command}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `coursekit score --log big.jsonl | head` is fine
        return EXIT_OK
