"""The ``coursekit`` command: a thin layer over the package's functions.

    coursekit score "region region region"      # score a text (or pipe one in on stdin)
    coursekit score --log run/samples.jsonl      # score every sample of a run log
    coursekit score --json ...                   # machine-readable output
    coursekit backtest [LOG] [--plot v1.png]     # replay a run log through the gate (default: v1's)
    coursekit learner-notebooks [--check]        # notebooks/*.ipynb from notebooks/solutions/
    coursekit train --profile cpu --scenario collapse --out runs/demo   # train until done or halted
    coursekit train --resume runs/demo           # continue a stopped, killed or halted run
    coursekit compare-gates [LOG] [--plot g.png] # v2's gate against v3's, on a log and on healthy logs
    coursekit grade submissions/ --csv g.csv     # grade a class (coursekit/course/grader/command.py)
    coursekit otter-export --out otter/          # the solution notebooks in otter-grader's assign format

Exit status: 0 on success, 2 on unreadable input or bad arguments (with a message on stderr), 1 when
``learner-notebooks --check`` finds a drifted or unclean notebook, 3 when ``train`` is halted by the gate,
130 when ``train`` is interrupted (Ctrl-C; resume from its last checkpoint).
Each subcommand is one ``_cmd_*`` function plus its parser in ``build_parser``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
from collections.abc import Iterable, Iterator, Sequence

from coursekit.alarm.gate import DEFAULT_PATIENCE, CoherenceGate
from coursekit.alarm.metrics import DEFAULT_THRESHOLD, SampleScore, eval_chat_quality
from coursekit.alarm.runlog import MalformedLine, iter_log, preview
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


def _verdict(score: SampleScore, threshold: float) -> str:
    return "DEGENERATE" if score.degenerate(threshold) else "ok"


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
            f"{_verdict(s, args.threshold):<10}  {preview(row['text'], 40)}"
        )
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


def _cmd_backtest(args: argparse.Namespace) -> int:
    log = args.log or v1_log_path()
    try:
        gate = CoherenceGate(args.threshold, args.patience)
        if args.steps_per_min <= 0 or args.watts < 0:
            raise ValueError(f"--steps-per-min must be > 0 and --watts >= 0, got {args.steps_per_min}, {args.watts}")
    except (TypeError, ValueError) as e:
        raise InputError(str(e)) from None
    report_bad = (lambda e: print(f"skipped {e}", file=sys.stderr)) if not args.json else None
    with _reading_log(log):
        result = backtest(log, gate, errors="skip" if args.skip_bad else "raise", on_error=report_bad)
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
                    raise InputError(f"cannot write {path}: {e.strerror or e}") from None
                print(f"wrote {path}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


# --- train ----------------------------------------------------------------------------------------------------

_TRAIN_DEFAULTS = {"profile": "cpu", "scenario": "collapse", "runner": "firehose"}
_RESUME_MAY_CHANGE = ("max_steps", "device")  # what --resume accepts along with it: the rest is the run's own


def _train_config(args: argparse.Namespace):
    from coursekit.train.trainer import (  # torch loads only for this command
        CONFIG_FILE,
        TrainConfig,
        profile_config,
    )

    overrides = {k: getattr(args, k) for k in ("max_steps", "seed", "device") if getattr(args, k) is not None}
    if args.resume is not None:
        fixed = [f"--{k.replace('_', '-')}" for k in (*_TRAIN_DEFAULTS, "out", "seed", "sample_every", "extra_file")
                 if getattr(args, k) not in (None, [])]  # fmt: skip
        if fixed:
            raise InputError(f"--resume continues a run as it was configured; {', '.join(fixed)} cannot change "
                             f"(only --max-steps and --device can)")
        path = f"{args.resume}/{CONFIG_FILE}"
        try:
            with open(path, encoding="utf-8") as fh:
                saved = json.load(fh)
        except OSError as e:
            raise InputError(f"cannot resume {args.resume}: {path} is unreadable ({e.strerror or e})") from None
        except json.JSONDecodeError as e:
            raise InputError(f"cannot resume {args.resume}: {path} is not valid JSON ({e.msg})") from None
        saved.update(overrides, out_dir=args.resume, progress=True)
        return TrainConfig.from_dict(saved)
    chosen = {k: getattr(args, k) or default for k, default in _TRAIN_DEFAULTS.items()}
    out = args.out or f"runs/{chosen['profile']}-{chosen['scenario']}-{chosen['runner']}"
    if args.sample_every is not None:
        overrides["alarm"] = {"every": args.sample_every}
    if args.extra_file:
        overrides["extra_files"] = tuple(args.extra_file)
    return profile_config(chosen["profile"], scenario=chosen["scenario"], runner=chosen["runner"], out_dir=out,
                          **overrides)  # fmt: skip


def _cmd_train(args: argparse.Namespace) -> int:
    from coursekit.train.trainer import main as train

    try:
        cfg = _train_config(args)
        return train(cfg, resume=args.resume is not None)
    except (ValueError, FileExistsError, FileNotFoundError) as e:
        raise InputError(str(e)) from None
    except KeyboardInterrupt:
        out = args.resume or args.out or "the run directory"
        print(f"\ninterrupted; continue from the last checkpoint with: coursekit train --resume {out}", file=sys.stderr)
        return 130


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

    if args.steps_per_min <= 0 or args.watts < 0:
        raise InputError(f"--steps-per-min must be > 0 and --watts >= 0, got {args.steps_per_min}, {args.watts}")
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
            raise InputError(f"cannot write {args.plot}: {e.strerror or e}") from None
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
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="degenerate below this total (30)")
    p.add_argument("--json", action="store_true", help="one JSON object per sample instead of a table")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("learner-notebooks", help="generate notebooks/*.ipynb from notebooks/solutions/ (--check: compare)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a learner notebook drifted or a notebook is not clean")
    p.add_argument("--solutions", default="notebooks/solutions", metavar="DIR", help="the solution notebooks (notebooks/solutions)")
    p.add_argument("--out", default="notebooks", metavar="DIR", help="where the learner notebooks go (notebooks)")
    p.set_defaults(func=_cmd_learner_notebooks)

    p = sub.add_parser("backtest", help="replay a run log through the gate: trigger, compute saved, why not earlier")
    p.add_argument("log", nargs="?", help="a JSON Lines run log (default: v1's reconstruction, data/v1/samples.jsonl)")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="degenerate below this total (30)")
    p.add_argument("--patience", type=int, default=DEFAULT_PATIENCE, help="halt after this many in a row (5)")
    p.add_argument("--steps-per-min", type=float, default=STATED_STEPS_PER_MIN, help="throughput (6, v1's stated)")
    p.add_argument("--watts", type=float, default=GPU_WATTS, help="GPU power draw for the energy saved (130)")
    p.add_argument("--kill-step", type=int, metavar="STEP", help="where the run really stopped (default: last sample)")
    p.add_argument("--plot", metavar="PNG", help="save the back-test figure (scores, loss EMA, trigger, saving)")
    p.add_argument("--sensitivity", action="store_true", help="also print the trigger step over thresholds x patiences")
    p.add_argument("--sensitivity-plot", metavar="PNG", help="save the sensitivity heat map")
    p.add_argument("--skip-bad", action="store_true", help="skip malformed lines (reported on stderr), don't stop")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the report")
    p.set_defaults(func=_cmd_backtest)

    p = sub.add_parser("train", help="train the firehose GPT with the coherence gate wired in (exit 3: halted)")
    p.add_argument("--profile", choices=["cpu", "rtx4090"], help="model size and cadence (cpu)")
    p.add_argument("--scenario", choices=["collapse", "healthy"], help="with faulty sources, or clean only (collapse)")
    p.add_argument("--runner", choices=["firehose", "legacy"], help="bandit curriculum or fixed phases (firehose)")
    p.add_argument("--out", metavar="DIR", help="run directory (runs/PROFILE-SCENARIO-RUNNER)")
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its last checkpoint")
    p.add_argument("--max-steps", type=int, metavar="N", help="steps in the whole run (profile's)")
    p.add_argument("--seed", type=int, help="seed for init, data, curriculum and sampling (0)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to train (auto: cuda if available)")
    p.add_argument("--sample-every", type=int, metavar="N", help="steps between gated samples (cpu 20, rtx4090 100)")
    p.add_argument("--extra-file", action="append", metavar="TXT", help="your own text file as one more clean source")
    p.set_defaults(func=_cmd_train)

    from coursekit.course import otter_export
    from coursekit.course.grader import command as grade_command  # argparse only: no nbclient yet

    grade_command.add_parser(sub).set_defaults(func=_cmd_course, run=grade_command.run)
    otter_export.add_parser(sub).set_defaults(func=_cmd_course, run=otter_export.run)

    p = sub.add_parser("compare-gates", help="v2's gate against v3's: where each fires on a log, false alarms on healthy logs")
    p.add_argument("log", nargs="?", help="a JSON Lines run log of a failing run (default: v1's reconstruction)")
    p.add_argument("--steps-per-min", type=float, default=STATED_STEPS_PER_MIN, help="throughput (6, v1's stated)")
    p.add_argument("--watts", type=float, default=GPU_WATTS, help="GPU power draw for the energy saved (130)")
    p.add_argument("--plot", metavar="PNG", help="save both gates on the log's timeline")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    p.set_defaults(func=_cmd_compare_gates)

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
