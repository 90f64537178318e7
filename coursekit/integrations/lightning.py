"""The alarm in ``lightning.Trainer``: ``CoherenceCallback``.

    from coursekit.integrations.lightning import CoherenceCallback
    alarm = CoherenceCallback(sample_fn=lambda module: my_sample(module), every=100, gate="v3")
    trainer = lightning.Trainer(max_steps=10_000, callbacks=[alarm], default_root_dir="runs/x")
    trainer.fit(module, data)
    alarm.halted, alarm.halt_step

The callback looks at ``trainer.global_step`` (optimizer steps) after each training batch and acts only when it
has moved: with ``accumulate_grad_batches=k`` a batch that did not step the optimizer is passed over, so each
optimizer step is sampled once and nothing is seen twice. Every ``every`` steps the global-zero process runs
``sample_fn(module) -> str`` (or ``(str, {more record keys})``) with the random state forked (coursekit's
``integrations.torch.Alarm`` holds the rules: a failing sampler is a warning, never a crash), scores the text with
the gate and logs it to ``default_root_dir/log_file`` in the course's run-log format. The verdict goes to every
rank through ``trainer.strategy.broadcast``; on a halt every rank sets ``trainer.should_stop``, and rank 0 writes
``halt.json``. Under FSDP or DeepSpeed every rank runs ``sample_fn`` (they must all join the forward passes).

The gate's state is saved in Lightning's checkpoint (``state_dict``; no path in it) and restored by
``trainer.fit(..., ckpt_path=...)``; the log's records after the resumed step are dropped from this run's own log.

This module imports ``lightning`` (``pip install coursekit[lightning]``); in coursekit only lesson 08 imports it too.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback

from .core import AlarmWarning
from .torch import Alarm

__all__ = ["CoherenceCallback", "HALT_FILE"]

HALT_FILE = "halt.json"


def _sharded(trainer: Any) -> bool:
    name = type(trainer.strategy).__name__
    return "FSDP" in name or "DeepSpeed" in name


class CoherenceCallback(Callback):
    """Sample, score, log and gate every ``every`` optimizer steps of a Lightning run."""

    def __init__(self, sample_fn: Callable[[Any], Any], every: int = 100, gate: Any = "v2", *,
                 log_file: str = "samples.jsonl", source: str = "train") -> None:  # fmt: skip
        if not callable(sample_fn):
            raise TypeError(f"sample_fn must be callable (module -> text), got {type(sample_fn).__name__}")
        if not isinstance(log_file, str) or Path(log_file).name != log_file or log_file in ("", ".", ".."):
            raise ValueError(f"log_file is a file name inside the trainer's default_root_dir, not a path; got "
                             f"{log_file!r}")  # fmt: skip
        Alarm(gate, every, log_file=None)  # check the gate and the cadence now
        self.sample_fn, self.every, self.gate, self.log_file, self.source = sample_fn, every, gate, log_file, source
        self.alarm: Alarm | None = None
        self.halted = False
        self.halt_step: int | None = None
        self._loaded: dict[str, Any] | None = None  # the state from a checkpoint, applied at on_train_start
        self._last_step: int | None = None
        self._loss: float | None = None

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        root = Path(trainer.default_root_dir)
        self.alarm = Alarm(self.gate, self.every, log_file=root / self.log_file, source=self.source,
                           is_main=trainer.is_global_zero, all_ranks_generate=_sharded(trainer),
                           share=lambda halt: bool(trainer.strategy.broadcast(halt, src=0)))  # fmt: skip
        self.halted, self.halt_step = False, None
        step = trainer.global_step
        if step > 0 and self._loaded is None:
            warnings.warn(f"RESUMING WITHOUT THE ALARM'S STATE at step {step}: the checkpoint holds no "
                          "CoherenceCallback state, so the gate's counter starts from zero", AlarmWarning,
                          stacklevel=2)  # fmt: skip
        if step > 0:
            self.alarm.load_state_dict(self._loaded, step)
        self._loaded, self._last_step = None, step

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None and hasattr(loss, "item"):
            self._loss = float(loss.detach().item())
        step = trainer.global_step
        if self.alarm is None or step == self._last_step:  # no optimizer step since the last batch
            return
        self._last_step = step
        if self.alarm.step(step, pl_module, loss_ema=self._loss, sample_fn=self.sample_fn):
            self.halted, self.halt_step = True, step
            trainer.should_stop = True
            if trainer.is_global_zero:
                path = Path(trainer.default_root_dir) / HALT_FILE
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self.alarm.report(), indent=2), encoding="utf-8")
                os.replace(tmp, path)

    def state_dict(self) -> dict[str, Any]:
        return {"alarm": None if self.alarm is None else self.alarm.state_dict(), "halted": self.halted,
                "halt_step": self.halt_step}  # fmt: skip

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._loaded = state_dict.get("alarm")
