"""The firehose trainer: the machinery every runner shares, checkpoints, resume, DDP, and ``main``.

    from coursekit.train.trainer import main, profile_config
    status = main(profile_config("cpu", scenario="collapse", out_dir="runs/demo"))   # 0 done, 3 halted

A run trains a small GPT (coursekit.train.model) on the course's sources (coursekit.train.corpus), configured by a
``TrainConfig`` (coursekit/train/trainconfig.py, re-exported here with the profiles). The runner named by
``cfg.runner`` (coursekit/train/runners.py) drives the loop through a ``Run``: ``train_step`` for one optimizer step,
``sample`` for the one sample path (coursekit/train/samplepath.py), ``next_step`` for periodic checkpoints.

Files in ``cfg.out_dir`` (rank 0 writes them): ``config.json`` (the config, for ``--resume``),
``samples.jsonl`` (one record per sample, with tokens/s and MFU since the previous one), ``ckpt.pt``
(at step 0, periodic, at a halt and at the end), ``halt.json`` (the halt report), ``summary.json``,
``resumes.json`` (what each resume changed) and ``.lock`` (the folder's lock, coursekit/train/runlock.py).

Exit status: 0 when the run completes, 3 when the gate halts it (``EXIT_HALTED``), and 3 again when a halted
run is resumed without ``continue_after_halt`` (it stays halted; nothing changes). Another trainer in the folder
(``RunFolderBusy``), a corrupt checkpoint (``CorruptCheckpoint``) or a file of the folder that cannot be used
(``RunFileError``) raise ``ValueError`` subclasses naming the file; a full or read-only disk raises ``OSError``.
Run folders are owned by one process at a time (coursekit/train/runlock.py) and read back checked
(coursekit/train/runfiles.py); resume after ``kill -9`` at any moment halts at the step an uninterrupted run does.

DDP: launched with ``torchrun``, every rank trains on its own batches; the loss is averaged across ranks each
step so that every rank's curriculum makes the same choices; rank 0 samples and decides and the sample path
broadcasts its verdict, so all ranks stop at the same step.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any

import torch
import torch.distributed as dist

from .hardware import resolve_device
from .run import CONFIG_FILE, EXIT_COMPLETED, EXIT_HALTED, HALT_FILE, SUMMARY_FILE, Run
from .runners import RUNNERS
from .trainconfig import PROFILES, TrainConfig, profile_config
from .trainreport import format_summary

__all__ = ["TrainConfig", "PROFILES", "profile_config", "Run", "main", "EXIT_COMPLETED", "EXIT_HALTED",
           "CONFIG_FILE", "HALT_FILE", "SUMMARY_FILE"]


def main(cfg: TrainConfig, *, resume: bool = False, tokenizer: Any = None, sources: dict | None = None,
         on_step: Callable[[Run], None] | None = None,
         on_sample: Callable[[Run, dict[str, Any]], None] | None = None, continue_after_halt: bool = False) -> int:
    """Run (or with ``resume``, continue) the training run ``cfg`` describes; returns the exit status (0 or 3).

    ``tokenizer`` and ``sources`` replace the course's data (tests use tiny ones); ``on_step(run)`` is called
    after every training step, before that step's sample (tests use it to kill a run at a chosen step);
    ``on_sample(run, record)`` on rank 0 right after each sample is logged and shown to the gate, with the record
    just written to samples.jsonl (``record["halt"]`` is the gate's verdict): send samples to a dashboard here.
    ``continue_after_halt`` (with ``resume``): train on past the halt the checkpoint records (it is recorded in
    resumes.json, so a later resume after a kill continues too); without it a halted run stays halted (3).
    """
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"main() expects a TrainConfig, got {type(cfg).__name__}")
    if cfg.runner not in RUNNERS:
        raise ValueError(f"unknown runner {cfg.runner!r}; registered: {', '.join(RUNNERS)}")
    device = resolve_device(cfg.device)
    owns_group = False
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():  # launched by torchrun
        if device.startswith("cuda"):
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
        owns_group = True
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True  # the fp32 parts (optimizer, norms) on tensor cores
    threads_before = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        run = Run(cfg, device, tokenizer=tokenizer, sources=sources, on_step=on_step, on_sample=on_sample,
                  resume=resume, continue_after_halt=continue_after_halt)
        try:
            if run.already_halted:
                if run.is_main:
                    print(f"coursekit train: {cfg.out_dir} halted at step {run.step} and stays halted (exit 3); "
                          "resume with --continue-after-halt to train past the halt", file=sys.stderr)
            else:
                RUNNERS[cfg.runner](run)
            summary = run.finish()
        finally:
            run.close()
        if cfg.progress and run.is_main:
            with contextlib.suppress(BrokenPipeError):  # `coursekit train ... | head` still exits 3 on a halt
                print(format_summary(summary), flush=True)
        if owns_group:
            # Leave together: a rank that tears its connections down while a peer still uses them can abort
            # that peer (gloo: "terminate called without an active exception"). Not after an error, though:
            # then a peer may never arrive.
            dist.barrier()
        return summary["exit_status"]
    finally:
        torch.set_num_threads(threads_before)
        if owns_group:
            dist.destroy_process_group()
