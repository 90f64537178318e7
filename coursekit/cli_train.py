"""The ``coursekit train`` subcommand: its options, the config they make, and what each failure prints.

    coursekit train --profile cpu --scenario collapse --out runs/demo    # 0 completed, 3 halted by the gate
    coursekit train --resume runs/demo [--max-steps N] [--continue-after-halt]

A thin layer over ``coursekit.train.trainer.main`` (torch loads only when this command runs). A fresh run's
options become a ``TrainConfig``; ``--resume DIR`` reads DIR/config.json back (checked: it must be a JSON object
of known fields) with only ``--max-steps`` and ``--device`` changed. A second trainer in the folder, a corrupt
checkpoint, an unusable file of the run folder, a full or read-only disk: each is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from coursekit.alarm.gates import GATES
from coursekit.cli_options import describe_os_error, integer

__all__ = ["add_train_parser", "cmd_train", "train_config", "EXIT_INTERRUPTED"]

EXIT_INTERRUPTED = 130
# The trainer's profiles by name, without importing torch to build the parser (tests/test_cli_train.py checks
# this list against coursekit.train.trainconfig.PROFILES).
PROFILE_NAMES = ["cpu", "classroom", "rtx4090"]
_TRAIN_DEFAULTS = {"profile": "cpu", "scenario": "collapse", "runner": "firehose"}


class TrainInputError(Exception):
    """Options or run-folder files the command cannot use (the CLI prints it and exits 2)."""


def add_train_parser(sub: Any, handler: Any) -> None:
    p = sub.add_parser("train", help="train the firehose GPT with the coherence gate wired in (exit 3: halted)")
    p.add_argument("--profile", choices=PROFILE_NAMES, help="model size and cadence (cpu; classroom: lesson 05's quick run)")
    p.add_argument("--scenario", choices=["collapse", "healthy"], help="with faulty sources, or clean only (collapse)")
    p.add_argument("--runner", choices=["firehose", "legacy"], help="bandit curriculum or fixed phases (firehose)")
    p.add_argument("--out", metavar="DIR", help="run directory (runs/PROFILE-SCENARIO-RUNNER)")
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its last checkpoint")
    p.add_argument("--continue-after-halt", action="store_true",
                   help="with --resume: train on past the gate's halt (recorded in DIR/resumes.json)")
    p.add_argument("--max-steps", type=integer(low=0), metavar="N", help="steps in the whole run (profile's)")
    p.add_argument("--seed", type=integer(low=0), help="seed for init, data, curriculum and sampling (0)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to train (auto: cuda if available)")
    p.add_argument("--sample-every", type=integer(low=1), metavar="N", help="steps between gated samples (cpu 20, rtx4090 100)")
    p.add_argument("--gate", choices=list(GATES), help="the gate that judges the samples (v2, as the course teaches it; "
                   "v4 is the one to use on your own runs)")
    p.add_argument("--extra-file", action="append", metavar="TXT", help="your own text file as one more clean source")
    p.set_defaults(func=handler)


def train_config(args: argparse.Namespace):
    """The ``TrainConfig`` the options describe (for ``--resume``: the run's own, read back from config.json)."""
    from coursekit.train.runfiles import read_json_file
    from coursekit.train.trainer import (  # torch loads only for this command
        CONFIG_FILE,
        TrainConfig,
        profile_config,
    )

    overrides = {k: getattr(args, k) for k in ("max_steps", "seed", "device") if getattr(args, k) is not None}
    if args.resume is None and args.continue_after_halt:
        raise TrainInputError("--continue-after-halt goes with --resume DIR (a fresh run has no halt to pass)")
    if args.resume is not None:
        fixed = [f"--{k.replace('_', '-')}" for k in (*_TRAIN_DEFAULTS, "out", "seed", "sample_every", "gate", "extra_file")
                 if getattr(args, k) not in (None, [])]  # fmt: skip
        if fixed:
            raise TrainInputError(f"--resume continues a run as it was configured; {', '.join(fixed)} cannot "
                                  f"change (only --max-steps and --device can)")
        from pathlib import Path

        path = Path(args.resume) / CONFIG_FILE
        if not path.exists():
            raise TrainInputError(f"cannot resume {args.resume}: {path} is unreadable (no such file)")
        saved = read_json_file(path)  # a JSON object, or an error naming the file
        saved.update(overrides, out_dir=args.resume, progress=True)
        try:
            return TrainConfig.from_dict(saved)
        except (TypeError, ValueError) as e:
            raise TrainInputError(f"cannot resume {args.resume}: {path}: {e}") from None
    chosen = {k: getattr(args, k) or default for k, default in _TRAIN_DEFAULTS.items()}
    out = args.out or f"runs/{chosen['profile']}-{chosen['scenario']}-{chosen['runner']}"
    alarm = {k: v for k, v in (("every", args.sample_every), ("gate", args.gate)) if v is not None}
    if alarm:
        overrides["alarm"] = alarm
    if args.extra_file:
        overrides["extra_files"] = tuple(args.extra_file)
    return profile_config(chosen["profile"], scenario=chosen["scenario"], runner=chosen["runner"], out_dir=out,
                          **overrides)  # fmt: skip


def cmd_train(args: argparse.Namespace) -> int:
    """Run the command; raises ``TrainInputError`` for what the CLI reports with exit status 2."""
    from coursekit.train import trainer

    try:
        cfg = train_config(args)
        return trainer.main(cfg, resume=args.resume is not None, continue_after_halt=args.continue_after_halt)
    except (ValueError, FileExistsError, FileNotFoundError) as e:  # runfiles, runlock, checkpoint errors included
        raise TrainInputError(str(e)) from None
    except OSError as e:  # a full disk at a checkpoint, a read-only folder
        raise TrainInputError(describe_os_error(e, args.resume or args.out)) from None
    except KeyboardInterrupt:
        out = args.resume or args.out or "the run directory"
        print(f"\ninterrupted; continue from the last checkpoint with: coursekit train --resume {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
