"""THE sample-handling path: generate -> score -> log -> gate. Every runner goes through here.

v1's lesson (docs/specification.md §2, fact 7) is that an alarm only helps if every training code path calls it: the scorer
worked, but the firehose runner had its own sample code that never called it. So there is exactly one place that
handles samples, and the runners (coursekit/train/runners.py) only ever call ``SamplePath.after_step``. Every
``AlarmConfig.every`` steps it:

1. draws a prompt of ``prompt_tokens`` tokens from the source the runner is training on,
2. generates a fixed ``new_tokens`` continuation (fixed temperature and top-k: the composite is length-biased,
   so a sample's length must never vary during a run),
3. scores the continuation with ``eval_chat_quality`` (through the gate),
4. appends one record to ``samples.jsonl`` (docs/specification.md §5: step, source, text, loss EMA, the four scores, total,
   the gate's counter), flushed at once,
5. asks the ``CoherenceGate`` and returns whether to halt.

On CUDA each decode step is replayed as a CUDA graph (``AlarmConfig.cuda_graph``; coursekit.train.cudagraph): on a fast
GPU an eager decode step is bound by kernel launches, and the alarm's cost is what decides whether people leave it
on. If recording or replaying the graph fails, the sample is drawn again eagerly from the same random state (so
the record is the one an eager run would write), a warning says why, and the run goes on without graphs.

Under DDP only rank 0 samples, logs and decides; ``share_halt`` then carries rank 0's verdict to every rank, so
all of them leave the loop at the same step and none is left waiting in a collective.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.metrics import DEFAULT_THRESHOLD
from coursekit.alarm.runlog import LogWriter, rewind_log

__all__ = ["AlarmConfig", "SamplePath", "SAMPLES_FILE", "REPORT_SAMPLES"]

SAMPLES_FILE = "samples.jsonl"
REPORT_SAMPLES = 5  # samples quoted in a halt report: v2's patience, so the report shows the whole bad run


@dataclass
class AlarmConfig:
    every: int = 100  # steps between samples (v2: 100; v1 stored one every 200 and nobody read them)
    prompt_tokens: int = 16  # prompt length: a random window of the source being trained on
    new_tokens: int = 64  # sample length in tokens, fixed for the whole run (the composite is length-biased)
    temperature: float = 0.8  # sampling temperature, fixed for the whole run
    top_k: int | None = 50  # sample among the k likeliest tokens (None: all)
    threshold: float = DEFAULT_THRESHOLD  # a sample whose total is below this is degenerate
    patience: int = 5  # halt after this many degenerate samples in a row
    cuda_graph: bool | None = None  # replay decode steps as a CUDA graph (None: yes when sampling on CUDA)

    def __post_init__(self) -> None:
        for name in ("every", "prompt_tokens", "new_tokens"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"AlarmConfig.{name} must be a positive int, got {value!r}")
        if self.cuda_graph is not None and not isinstance(self.cuda_graph, bool):
            raise ValueError(f"AlarmConfig.cuda_graph must be True, False or None, got {self.cuda_graph!r}")


class SamplePath:
    """Generate, score, log and gate one sample every ``config.every`` steps; the one place samples are handled."""

    def __init__(
        self,
        config: AlarmConfig,
        out_dir: str | Path,
        tokenizer: Any,
        *,
        seed: int = 0,
        device: str = "cpu",
        is_main: bool = True,
        share_halt: Callable[[bool], bool] | None = None,
        autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    ) -> None:
        self.config = config
        self.log_path = Path(out_dir) / SAMPLES_FILE
        self.tokenizer = tokenizer
        self.device = device
        self.is_main = is_main
        self.share_halt = share_halt  # DDP: (rank 0's verdict or False) -> rank 0's verdict, on every rank
        self.autocast = autocast
        self.gate = CoherenceGate(config.threshold, config.patience)
        on_cuda = device.startswith("cuda")
        if config.cuda_graph and not on_cuda:
            raise ValueError(f"AlarmConfig.cuda_graph=True needs sampling on a CUDA device, got device {device!r}")
        self.cuda_graph = on_cuda if config.cuda_graph is None else config.cuda_graph  # False after a failure
        # Prompts index the sources' CPU token tensors; sampling happens on the model's device. Both generators
        # are seeded and checkpointed, so a resumed run draws exactly the samples an uninterrupted one would.
        self.prompt_gen = torch.Generator().manual_seed(seed)
        self.sample_gen = torch.Generator(device=device).manual_seed(seed)
        self.recent: deque[dict[str, Any]] = deque(maxlen=REPORT_SAMPLES)  # the last records, for halt.json
        self.last: dict[str, Any] | None = None  # the latest record (the progress bar shows its score)
        self.seconds = 0.0  # wall time spent here (sampling + scoring + logging): the alarm's cost
        self._writer: LogWriter | None = None  # opened on the first sample, after any rewind on resume

    def due(self, step: int) -> bool:
        return step % self.config.every == 0

    def after_step(self, step: int, model: torch.nn.Module, source: Any, loss_ema: float | None,
                   extra: dict[str, Any] | None = None) -> bool:
        """Call after every training step with the step just finished; True means the gate says halt.

        ``model`` is the bare model (not a DDP or compiled wrapper); ``source`` the TokenSource just trained on;
        ``extra`` more keys for the record (the trainer adds tokens/s and MFU).
        """
        if not self.due(step):
            return False
        halt = False
        if self.is_main:
            if self.device.startswith("cuda"):
                torch.cuda.synchronize()  # charge the training step's queued GPU work to training, not here
            t0 = time.perf_counter()
            record = self._sample(step, model, source, loss_ema, extra or {})
            halt = record["halt"]
            self.seconds += time.perf_counter() - t0
        if self.share_halt is not None:
            halt = self.share_halt(halt)
        return halt

    def _sample(self, step: int, model: torch.nn.Module, source: Any, loss_ema: float | None,
                extra: dict[str, Any]) -> dict[str, Any]:
        cfg = self.config
        prompt = source.prompt(cfg.prompt_tokens, self.prompt_gen)  # (prompt_tokens,)
        idx = prompt.view(1, -1).to(self.device)  # (1, T0)
        out = self._generate(model, idx)  # (1, T0 + new_tokens)
        text = self.tokenizer.decode(out[0, idx.size(1):].tolist())
        decision = self.gate.observe(step, text)
        record = {
            "step": step,
            "source": source.name,
            "text": text,
            "loss_ema": None if loss_ema is None else float(loss_ema),
            **decision.score.as_dict(),  # bigram, trigram, english, chars, total
            "consecutive": decision.consecutive,
            "halt": decision.halt,
            "prompt": self.tokenizer.decode(prompt.tolist()),
            **extra,
        }
        if self._writer is None:
            self._writer = LogWriter(self.log_path)
        self._writer.append(record)
        self.recent.append(record)
        self.last = record
        return record

    def _generate(self, model: torch.nn.Module, idx: torch.Tensor) -> torch.Tensor:
        cfg = self.config

        def generate(**mode: bool) -> torch.Tensor:
            # inference_mode also skips autograd's bookkeeping that no_grad keeps: ~6% faster on the cpu profile.
            with torch.inference_mode(), self.autocast():
                return model.generate(idx, cfg.new_tokens, temperature=cfg.temperature, top_k=cfg.top_k,
                                      generator=self.sample_gen, **mode)

        if not self.cuda_graph:
            return generate()
        rng = self.sample_gen.get_state()
        try:
            return generate(cuda_graph=True)
        except RuntimeError as e:  # torch's CUDA errors (capture, out of memory) are RuntimeErrors
            self.cuda_graph = False
            warnings.warn(f"CUDA-graph sampling failed ({type(e).__name__}: {e}); sampling eagerly from now on",
                          RuntimeWarning, stacklevel=3)
            self.sample_gen.set_state(rng)  # draw the very sample an eager run would have drawn
            return generate()

    def report(self) -> dict[str, Any]:
        """The halt report (halt.json): the step, the reason, and the last samples with their scores."""
        if not self.gate.halted:
            raise RuntimeError(f"report() is for a halted run; the gate has not halted ({self.gate!r})")
        last = self.recent[-1]
        return {
            "step": last["step"],
            "reason": (f"{self.gate.consecutive} consecutive samples scored below {self.gate.threshold:g} "
                       f"(patience {self.gate.patience}); the last one scored {last['total']:.2f}"),
            "threshold": self.gate.threshold,
            "patience": self.gate.patience,
            "consecutive": self.gate.consecutive,
            "samples": list(self.recent),
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate.state_dict(),
            "prompt_gen": self.prompt_gen.get_state(),
            "sample_gen": self.sample_gen.get_state(),
            "recent": list(self.recent),
            "seconds": self.seconds,
        }

    def resume(self, state: dict[str, Any] | None, step: int) -> int:
        """Restore a checkpoint taken after ``step`` and drop later samples from the log; returns lines dropped.

        Those samples will be produced again, identically, so the log ends up with no step missing or repeated.
        ``state`` None (a run killed before its first checkpoint) only rewinds the log to ``step``.
        """
        if self._writer is not None:
            raise RuntimeError("resume() must come before the first sample: the log is already open")
        if state is None:
            return rewind_log(self.log_path, step) if self.is_main else 0
        self.gate.load_state_dict(state["gate"])
        self.prompt_gen.set_state(state["prompt_gen"])
        self.sample_gen.set_state(state["sample_gen"])
        self.recent = deque(state["recent"], maxlen=REPORT_SAMPLES)
        self.last = self.recent[-1] if self.recent else None
        self.seconds = state["seconds"]
        return rewind_log(self.log_path, step) if self.is_main else 0

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
