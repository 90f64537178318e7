"""One training run's state and the calls a runner makes on it: ``Run`` (coursekit.train.runners drives it).

``Run`` builds the model, optimizer, data and the one sample path from a ``TrainConfig``, restores it on resume,
and offers runners four calls: ``attach`` (the curriculum), ``next_step`` (periodic checkpoints), ``train_step``
(one optimizer step on a source) and ``sample`` (the sample path: generate, score, log, ask the gate). It writes
the run folder's files: ``config.json``, ``ckpt.pt``, ``halt.json``, ``summary.json`` and ``resumes.json``
(samples.jsonl is the sample path's). ``coursekit.train.trainer.main`` creates a ``Run`` and hands it to the runner
``cfg.runner`` names.

Faults (each has a test in tests/test_run.py, most with a real ``kill -9`` from tests/faults.py):

- the folder is locked (coursekit.train.runlock) for the run's whole life, so two trainers never share it;
- a fresh run checkpoints at step 0, before its first sample, so a log without ``ckpt.pt`` beside it is an
  anomaly that resume refuses, changing nothing;
- the halting checkpoint holds the halt report, and is written before ``halt.json``: a resume after a kill
  between the two finds the halt in the checkpoint, rewrites ``halt.json`` and exits 3 at the same step;
- a halted run stays halted on resume (exit 3) unless ``continue_after_halt``; that, and a new ``max_steps``, are
  recorded (``resumes.json``, ``config.json``), so resuming again after a kill keeps them;
- every file is validated on load (coursekit.train.runfiles), and nothing read from one becomes a path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from coursekit.alarm.runlog import read_log

from coursekit.alarm.safefile import TMP_PREFIX, fsync_file

from . import checkpoint as ckpt
from .hardware import device_peak, mfu
from .model import GPT
from .runfiles import (
    CONFIG_FILE,
    HALT_FILE,
    SUMMARY_FILE,
    ResumeRecord,
    RunFileError,
    append_resume,
    check_checkpoint,
    check_reports,
    read_resumes,
    restore_halt_file,
)
from .runlock import RunLock
from .samplepath import SamplePath, clean_prompts
from .trainconfig import TrainConfig
from .trainreport import Progress

__all__ = ["Run", "EXIT_COMPLETED", "EXIT_HALTED", "CONFIG_FILE", "HALT_FILE", "SUMMARY_FILE", "RESUMABLE"]

EXIT_COMPLETED = 0
EXIT_HALTED = 3
RESUMABLE = {"max_steps", "device", "progress"}  # what --resume may change; anything else would be another run


# --- the run ----------------------------------------------------------------------------------------------------


def _autocast(device: str, dtype: str) -> Callable[[], contextlib.AbstractContextManager]:
    """A factory of the forward pass's autocast context (TrainConfig has checked ``dtype``)."""
    if dtype == "float32":
        return contextlib.nullcontext
    device_type = "cuda" if device.startswith("cuda") else "cpu"
    return lambda: torch.autocast(device_type=device_type, dtype=torch.bfloat16)


def _comparable(cfg_dict: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(cfg_dict))  # tuples become lists, as they are in config.json


class Run:
    """One training run's state, and the calls a runner makes: ``attach``, ``next_step``, ``train_step``, ``sample``."""

    def __init__(self, cfg: TrainConfig, device: str, *, tokenizer: Any = None, sources: dict | None = None,
                 on_step: Callable[[Run], None] | None = None,
                 on_sample: Callable[[Run, dict[str, Any]], None] | None = None, resume: bool = False,
                 continue_after_halt: bool = False) -> None:
        self.cfg, self.device, self.on_step, self.on_sample = cfg, device, on_step, on_sample
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.world = dist.get_world_size() if dist.is_initialized() else 1
        self.is_main = self.rank == 0
        self.out = Path(cfg.out_dir)
        # First of all, before reading or writing anything in the folder: it is this run's alone (rank 0 holds it).
        self.lock = RunLock.acquire(self.out) if self.is_main else None
        try:
            self._set_up(tokenizer, sources, resume, continue_after_halt)
        except BaseException:
            if self.lock is not None:
                self.lock.release()
            raise

    def _set_up(self, tokenizer: Any, sources: dict | None, resume: bool, continue_after_halt: bool) -> None:
        cfg, device = self.cfg, self.device
        if sources is None:
            tokenizer, sources = self._course_data(tokenizer)
        elif tokenizer is None:
            raise ValueError("sources were given without the tokenizer that made them (pass tokenizer= too)")
        if tokenizer.vocab_size != cfg.model.vocab_size:
            raise ValueError(f"the tokenizer has {tokenizer.vocab_size} tokens but model.vocab_size is "
                             f"{cfg.model.vocab_size}; they must match")
        self.tokenizer, self.sources = tokenizer, sources
        self.source_names = list(sources)
        self.clean_sources = [n for n, s in sources.items() if not s.faulty]
        self.faulty_sources = [n for n, s in sources.items() if s.faulty]

        torch.manual_seed(cfg.seed)  # the same init on every rank (DDP would broadcast rank 0's anyway)
        self.raw_model = GPT(cfg.model).to(device)  # the bare model: sampling and checkpoints use it
        model = torch.compile(self.raw_model) if cfg.compile else self.raw_model
        cuda = device.startswith("cuda")
        self.model = DDP(model, device_ids=[torch.device(device).index] if cuda else None) if self.world > 1 else model
        decay = [p for p in self.raw_model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.raw_model.parameters() if p.dim() < 2]
        groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        self.optimizer = torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95), fused=cuda or None)
        self.autocast = _autocast(device, cfg.dtype)
        self.data_gen = torch.Generator().manual_seed(cfg.seed * 1000 + self.rank)  # each rank its own batches
        alarm = cfg.alarm
        prompts = clean_prompts(sources, alarm.prompt_tokens, alarm.n_prompts) if alarm.prompts == "fixed" else None
        self.alarm = SamplePath(cfg.alarm, self.out, tokenizer, seed=cfg.seed, device=device, is_main=self.is_main,
                                share_halt=self._share_halt if self.world > 1 else None, autocast=self.autocast,
                                prompts=prompts)
        self.peak = device_peak(device)
        self.flops_per_token = self.raw_model.flops_per_token()

        self.step = 0  # optimizer steps completed
        self.loss_ema: float | None = None
        self.tokens = 0  # tokens trained on, all ranks together
        self.source_steps = {n: 0 for n in self.source_names}
        self.elapsed_before = 0.0  # wall time of the sessions before a resume
        self.curriculum: Any = None
        self._curriculum_state: dict | None = None
        self.halted = False
        self.already_halted = False  # resumed from a halting checkpoint, not told to continue past it
        self._halt_report: dict[str, Any] | None = None  # the halt this run's state holds (saved in ckpt.pt)
        self._first_ckpt_due = False  # a fresh run checkpoints at step 0, before its first sample
        self._restore(continue_after_halt) if resume else self._start_fresh()
        self.start_step, self.start_tokens = self.step, self.tokens
        self.progress = Progress(cfg.max_steps, self.step, f"{cfg.scenario}/{cfg.runner}", cfg.progress and self.is_main)
        self._t0 = time.perf_counter()
        self._window = (self._t0, self.tokens)  # throughput since the previous sample

    # --- set-up -----------------------------------------------------------------------------------------------

    def _course_data(self, tokenizer: Any) -> tuple[Any, dict]:
        from .corpus import course_sources, load_sources
        from .tokenizer import load_tokenizer

        if self.world > 1 and not self.is_main:
            dist.barrier()  # rank 0 trains and caches the tokenizer first; the others then read its cache
        if tokenizer is None:
            tokenizer = load_tokenizer(self.cfg.model.vocab_size, self.cfg.tokenizer_cache)
        specs = course_sources(self.cfg.scenario)
        sources = load_sources(specs, tokenizer, seed=self.cfg.seed, extra_files=self.cfg.extra_files)
        if self.world > 1 and self.is_main:
            dist.barrier()
        return tokenizer, sources

    def _start_fresh(self, check: bool = True) -> None:
        for name in (ckpt.CKPT_FILE, self.alarm.log_path.name) if check else ():
            if (self.out / name).exists():
                raise FileExistsError(f"{self.out} already holds a run ({name}); resume it with "
                                      f"--resume {self.out}, or choose another --out")
        if self.is_main:
            ckpt.write_json(self.out / CONFIG_FILE, dataclasses.asdict(self.cfg))
        self._first_ckpt_due = True

    def _remove_temp_files(self) -> None:
        # Writes killed mid-way leave unique temp files (coursekit.alarm.safefile); we hold the lock, so no
        # other writer can own them.
        for tmp in self.out.glob(TMP_PREFIX + "*"):
            tmp.unlink(missing_ok=True)

    def _restore(self, continue_after_halt: bool) -> None:
        path = self.out / ckpt.CKPT_FILE
        if self.is_main:
            self._remove_temp_files()
        if not path.exists():
            log = self.alarm.log_path
            if log.exists() and log.stat().st_size > 0:  # a run checkpoints before its first sample
                raise RunFileError(f"cannot resume {self.out}: {log} holds samples but there is no "
                                   f"{ckpt.CKPT_FILE} beside it (deleted or moved?); nothing was changed")
            return self._start_fresh(check=False)  # killed before its first checkpoint: nothing to keep
        state = ckpt.load_checkpoint(path)
        check_checkpoint(state, path, self.source_names)
        # The saved config is rebuilt through TrainConfig first, so a field added since it was saved compares
        # at its default rather than as a difference.
        saved_cfg = dataclasses.asdict(TrainConfig.from_dict(state["config"]))
        mine, saved = _comparable(dataclasses.asdict(self.cfg)), _comparable(saved_cfg)
        changed = sorted(k for k in mine if k not in RESUMABLE | {"out_dir"} and mine[k] != saved.get(k))
        if changed:
            raise ValueError(f"cannot resume {path} with a different {', '.join(changed)}; only "
                             f"{', '.join(sorted(RESUMABLE))} may change on resume")
        if len(state["data_rng"]) != self.world:
            raise ValueError(f"{path} was saved by {len(state['data_rng'])} processes; resume it with as many, "
                             f"not {self.world}")
        self.raw_model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.data_gen.set_state(state["data_rng"][self.rank])
        ckpt.restore_rng(state["rng"])
        self._curriculum_state = state["curriculum"]
        self.step, self.loss_ema, self.tokens = state["step"], state["loss_ema"], state["tokens"]
        self.source_steps, self.elapsed_before = dict(state["source_steps"]), state["elapsed"]
        resumes = read_resumes(self.out)
        if self.world > 1:
            dist.barrier()  # every rank has read resumes.json before rank 0 adds to it
        halt = state["halt"]
        continued = continue_after_halt or any(r.continue_after_halt and r.step == self.step for r in resumes)
        if halt is not None and not continued:  # a halted run stays halted
            self.already_halted = self.halted = True
            self._halt_report = halt
            self.alarm.resume(state["alarm"], self.step)
            return
        if self.cfg.max_steps < self.step:
            raise ValueError(f"cannot resume {self.out} with max_steps {self.cfg.max_steps}: its checkpoint is "
                             f"at step {self.step} already")
        self.alarm.resume(state["alarm"], self.step)
        if not self.is_main:
            return
        check_reports(self.out, self.step, halt)
        append_resume(self.out, ResumeRecord(self.step, self.cfg.max_steps, self.cfg.device, continued))
        ckpt.write_json(self.out / CONFIG_FILE, dataclasses.asdict(self.cfg))  # a later plain resume keeps these

    def restore_halt_files(self) -> None:
        """For a resumed run that is already halted: put back halt.json from the checkpoint if it is missing
        or disagrees (a kill between the halting checkpoint and halt.json)."""
        if self.is_main:
            restore_halt_file(self.out, self.step, self._halt_report)

    def _share_halt(self, halt: bool) -> bool:
        flag = torch.tensor([int(halt)], device=self.device if dist.get_backend() == "nccl" else "cpu")
        dist.broadcast(flag, src=0)  # rank 0's verdict, on every rank
        return bool(flag.item())

    # --- what runners call ------------------------------------------------------------------------------------

    def attach(self, curriculum: Any) -> Any:
        """Adopt the runner's curriculum: it is checkpointed with the run, and restored on resume."""
        if self._curriculum_state is not None:
            curriculum.load_state_dict(self._curriculum_state)
        self.curriculum = curriculum
        return curriculum

    def next_step(self) -> bool:
        """Call at the top of the loop: takes a periodic checkpoint when one is due; False when no steps remain."""
        every = self.cfg.ckpt_every
        if self._first_ckpt_due or (every and self.step > self.start_step and self.step % every == 0):
            self._first_ckpt_due = False
            self.save()
        return self.step < self.cfg.max_steps

    def train_step(self, name: str) -> float:
        """One optimizer step on a batch of source ``name``; returns the loss (averaged over ranks)."""
        if name not in self.sources:
            raise KeyError(f"unknown source {name!r}; this run has {self.source_names}")
        cfg = self.cfg
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.lr * min(1.0, (self.step + 1) / max(1, cfg.warmup_steps))
        loss = torch.zeros((), device=self.device)
        for micro in range(cfg.grad_accum):
            x, y = self.sources[name].get_batch(cfg.batch_size, cfg.model.block_size, self.data_gen)  # (B, T) each
            x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            # Under DDP, gradients are all-reduced on the last micro-batch's backward only.
            last = micro == cfg.grad_accum - 1
            sync = self.model.no_sync() if self.world > 1 and not last else contextlib.nullcontext()
            with sync:
                with self.autocast():
                    _, micro_loss = self.model(x, y)
                (micro_loss / cfg.grad_accum).backward()
            loss += micro_loss.detach() / cfg.grad_accum
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.raw_model.parameters(), cfg.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.world > 1:
            dist.all_reduce(loss)  # the mean over ranks, so every rank's curriculum makes the same choice
            loss /= self.world
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss is {value} at step {self.step + 1} (source {name!r})")
        self.step += 1
        self.tokens += cfg.batch_size * cfg.grad_accum * cfg.model.block_size * self.world
        self.source_steps[name] += 1
        self.loss_ema = value if self.loss_ema is None else cfg.ema_beta * self.loss_ema + (1 - cfg.ema_beta) * value
        self.progress.update(self.loss_ema, name, self.alarm.last, cfg.alarm.patience)
        if self.on_step is not None:
            self.on_step(self)
        return value

    def sample(self, name: str) -> bool:
        """The runner's call into THE sample path (generate -> score -> log -> gate); True means halt."""
        extra = self._throughput() if self.alarm.due(self.step) and self.is_main else None
        self.halted = self.alarm.after_step(self.step, self.raw_model, self.sources[name], self.loss_ema, extra)
        if self.halted and self.is_main:
            self._halt_report = {**self.alarm.report(), "checkpoint": str(self.out / ckpt.CKPT_FILE),
                                 "exit_status": EXIT_HALTED}
        if extra is not None:  # a sample was just taken: show its score and the gate's counter at once
            self.progress.show(self.loss_ema, name, self.alarm.last, self.cfg.alarm.patience)
            if self.on_sample is not None:
                self.on_sample(self, self.alarm.last)
        return self.halted

    def _throughput(self) -> dict[str, Any]:
        now = time.perf_counter()
        t, tokens = self._window
        self._window = (now, self.tokens)
        tokens_per_s = (self.tokens - tokens) / max(now - t, 1e-9)
        return {"tokens_per_s": tokens_per_s, "mfu": mfu(tokens_per_s / self.world, self.flops_per_token, self.peak)}

    # --- checkpoints and the end of the run -------------------------------------------------------------------

    def save(self) -> None:
        """Write ckpt.pt (every rank must call this: it gathers each rank's data position)."""
        data_rng = [self.data_gen.get_state()]
        if self.world > 1:
            data_rng = [None] * self.world
            dist.all_gather_object(data_rng, self.data_gen.get_state())
        if not self.is_main:
            return
        fsync_file(self.alarm.log_path)  # the samples up to here outlive a power cut, as the checkpoint will
        ckpt.save_checkpoint(self.out / ckpt.CKPT_FILE, {
            "step": self.step, "config": dataclasses.asdict(self.cfg), "model": self.raw_model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "curriculum": None if self.curriculum is None else self.curriculum.state_dict(),
            "alarm": self.alarm.state_dict(), "data_rng": data_rng, "rng": ckpt.capture_rng(),
            "loss_ema": self.loss_ema, "tokens": self.tokens, "source_steps": self.source_steps,
            "elapsed": self.elapsed(), "halt": self._halt_report if self.halted else None,
        })  # fmt: skip

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self._t0

    def finish(self) -> dict[str, Any]:
        """After the runner returns: the final checkpoint (holding the halt report if halted), then halt.json,
        then the summary. A resumed run that was already halted writes no checkpoint: it changes nothing."""
        if not self.already_halted:
            self.save()
        status = EXIT_HALTED if self.halted else EXIT_COMPLETED
        if not self.is_main:
            return {"exit_status": status}
        files = [str(self.alarm.log_path), str(self.out / ckpt.CKPT_FILE)]
        if self.already_halted:
            self.restore_halt_files()
            files.append(str(self.out / HALT_FILE))
        elif self.halted:
            ckpt.write_json(self.out / HALT_FILE, self._halt_report)
            files.append(str(self.out / HALT_FILE))
        records = read_log(self.alarm.log_path)[0] if self.alarm.log_path.exists() else []
        wall = time.perf_counter() - self._t0
        tokens_per_s = (self.tokens - self.start_tokens) / max(wall, 1e-9)
        total_steps = max(1, sum(self.source_steps.values()))
        summary = {
            "halted": self.halted, "exit_status": status, "step": self.step, "max_steps": self.cfg.max_steps,
            "profile": self.cfg.profile, "scenario": self.cfg.scenario, "runner": self.cfg.runner,
            "device": self.peak.name, "world_size": self.world, "params": self.raw_model.num_params(),
            "vocab_size": self.cfg.model.vocab_size, "wall_s": wall, "elapsed_s": self.elapsed(),
            "tokens_per_s": tokens_per_s, "mfu": mfu(tokens_per_s / self.world, self.flops_per_token, self.peak),
            "mfu_note": self.peak.note, "compiled": self.cfg.compile, "dtype": self.cfg.dtype,
            "loss_ema": self.loss_ema, "samples": len(records), "threshold": self.cfg.alarm.threshold,
            "degenerate": sum(r["total"] < self.cfg.alarm.threshold for r in records),
            "last_totals": [r["total"] for r in records[-5:]], "alarm_s": self.alarm.seconds,
            "alarm_share": self.alarm.seconds / max(self.elapsed(), 1e-9),
            "source_shares": {n: c / total_steps for n, c in self.source_steps.items()},
            "out_dir": str(self.out), "files": files,
        }  # fmt: skip
        ckpt.write_json(self.out / SUMMARY_FILE, summary)
        return summary

    def close(self) -> None:
        self.progress.close()
        self.alarm.close()
        if self.lock is not None:
            self.lock.release()
