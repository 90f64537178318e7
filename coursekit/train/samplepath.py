"""THE sample-handling path: generate -> score -> log -> gate. Every runner goes through here.

v1's lesson (docs/specification.md §2, fact 7) is that an alarm only helps if every training code path calls it: the scorer
worked, but the firehose runner had its own sample code that never called it. So there is exactly one place that
handles samples, and the runners (coursekit/train/runners.py) only ever call ``SamplePath.after_step``. Every
``AlarmConfig.every`` steps it:

1. takes a prompt of ``prompt_tokens`` tokens: by default (``prompts="fixed"``) the next of a fixed set of prompts
   cut from the clean sources' held-out text (``clean_prompts``), rotated by the sample's number; with
   ``prompts="source"`` a random window of the source the runner is training on,
2. generates ``new_tokens`` tokens at a time (fixed temperature and top-k) until the continuation holds
   ``words`` whole whitespace words, or ``max_new_tokens`` tokens were generated, and keeps the first ``words``
   words: the composite is length-biased and counts words, so the scored unit is a fixed number of words,
3. scores those words with ``eval_chat_quality`` (through the gate),
4. appends one record to ``samples.jsonl`` (docs/specification.md §5: step, source, text, loss EMA, the four scores, total,
   the gate's counter, the prompt and where it came from, the words scored and the tokens generated), flushed
   at once,
5. asks the ``CoherenceGate`` and returns whether to halt.

On CUDA each decode step is replayed as a CUDA graph (``AlarmConfig.cuda_graph``; coursekit.train.cudagraph): on a fast
GPU an eager decode step is bound by kernel launches, and the alarm's cost is what decides whether people leave it
on. If recording or replaying the graph fails, the sample is drawn again eagerly from the same random state (so
the record is the one an eager run would write), a warning says why, and the run goes on without graphs.

Why fixed clean prompts: a prompt from the source being trained on makes a data fault look like model collapse.
Once a curriculum sits on a shard stuck on ``region region``, even a healthy model continues such a prompt with
``region``; the alarm should ask whether the *model* degenerates, so it prompts every sample with the same kind
of text, which the model has never been trained on. ``prompts="source"`` keeps the other behaviour (gate audits
train on a single stuck source and have no clean text).

Under DDP only rank 0 samples, logs and decides; ``share_halt`` then carries rank 0's verdict to every rank, so
all of them leave the loop at the same step and none is left waiting in a collective.
"""

from __future__ import annotations

import contextlib
import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from coursekit.alarm.gates import GATES
from coursekit.alarm.metrics import DEFAULT_THRESHOLD
from coursekit.integrations.core import REPORT_SAMPLES, first_words
from coursekit.integrations.torch import Alarm

__all__ = ["AlarmConfig", "SamplePath", "SAMPLES_FILE", "REPORT_SAMPLES", "PROMPT_MODES", "clean_prompts",
           "first_words"]

SAMPLES_FILE = "samples.jsonl"
PROMPT_MODES = ("fixed", "source")  # AlarmConfig.prompts: held-out clean prompts, or the current source's text


def clean_prompts(sources: dict[str, Any], n_tokens: int, count: int) -> list[tuple[str, torch.Tensor]]:
    """``count`` prompts of ``n_tokens`` tokens from the clean sources' held-out text, interleaved by source.

    Each clean source gives ``ceil(count / sources)`` evenly spaced windows; the list alternates between sources
    (docs, docstrings, code, docs, ...) and is cut to ``count``. Raises ``ValueError`` when no clean source has
    held-out text long enough (e.g. sources made by hand): use ``AlarmConfig(prompts="source")`` there.
    """
    clean = [s for s in sources.values() if not s.faulty]
    per = -(-count // max(1, len(clean)))
    windows = [[(s.name, w) for w in s.heldout_prompts(n_tokens, per)] for s in clean]
    prompts = [p for group in itertools.zip_longest(*windows) for p in group if p is not None][:count]
    if not prompts:
        names = ", ".join(f"{s.name} ({s.heldout.numel()} held-out tokens)" for s in clean) or "none"
        raise ValueError(f"no fixed prompts of {n_tokens} tokens: the clean sources are {names}; give sources "
                         "held-out text, or sample with AlarmConfig(prompts='source')")
    return prompts


@dataclass
class AlarmConfig:
    every: int = 100  # steps between samples (v2: 100; v1 stored one every 200 and nobody read them)
    prompt_tokens: int = 16  # prompt length in tokens
    new_tokens: int = 64  # tokens generated per round (words=None: the whole sample, a fixed number of tokens)
    words: int | None = 32  # the scored unit: the first `words` whitespace words (the composite counts words)
    max_new_tokens: int = 256  # stop generating here even if `words` are not reached (the sample is scored short)
    prompts: str = "fixed"  # "fixed": rotate held-out clean prompts; "source": the current source's text
    n_prompts: int = 12  # how many fixed prompts to rotate through (split evenly over the clean sources)
    temperature: float = 0.8  # sampling temperature, fixed for the whole run
    top_k: int | None = 50  # sample among the k likeliest tokens (None: all)
    gate: str = "v2"  # the gate, by its name in coursekit.alarm.gates.GATES ("v2", "v3", ...)
    threshold: float = DEFAULT_THRESHOLD  # a sample whose total is below this is degenerate
    patience: int = 5  # the bad samples that halt: in a row for v2, within the window for v3
    cuda_graph: bool | None = None  # replay decode steps as a CUDA graph (None: yes when sampling on CUDA)

    def __post_init__(self) -> None:
        for name in ("every", "prompt_tokens", "new_tokens", "max_new_tokens", "n_prompts", "words"):
            value = getattr(self, name)
            if name == "words" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"AlarmConfig.{name} must be a positive int, got {value!r}")
        if self.max_new_tokens < self.new_tokens:
            raise ValueError(f"AlarmConfig.max_new_tokens ({self.max_new_tokens}) must be at least new_tokens "
                             f"({self.new_tokens})")
        if self.gate not in GATES:
            raise ValueError(f"AlarmConfig.gate must be a registered gate ({', '.join(GATES)}), got {self.gate!r}")
        if self.prompts not in PROMPT_MODES:
            raise ValueError(f"AlarmConfig.prompts must be one of {PROMPT_MODES}, got {self.prompts!r}")
        if self.cuda_graph is not None and not isinstance(self.cuda_graph, bool):
            raise ValueError(f"AlarmConfig.cuda_graph must be True, False or None, got {self.cuda_graph!r}")


class SamplePath:
    """Generate, score, log and gate one sample every ``config.every`` steps; the one place samples are handled.

    The course GPT's half of it (prompts, fixed-length generation, CUDA graphs) is here; cadence, step checks,
    the gate, the log, the halt report and the DDP verdict are ``coursekit.integrations.torch.Alarm``'s, the
    same pieces the Hugging Face and Lightning callbacks use.
    """

    def __init__(
        self,
        config: AlarmConfig,
        out_dir: str | Path,
        tokenizer: Any,
        *,
        seed: int = 0,
        device: str = "cpu",
        is_main: bool = True,
        prompts: list[tuple[str, torch.Tensor]] | None = None,
        share_halt: Callable[[bool], bool] | None = None,
        autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    ) -> None:
        self.config = config
        self.log_path = Path(out_dir) / SAMPLES_FILE
        self.tokenizer = tokenizer
        if config.prompts == "fixed" and not prompts:
            raise ValueError("AlarmConfig(prompts='fixed') needs the fixed prompts: pass prompts=clean_prompts(...)")
        self.prompts = prompts or []  # (source name, (prompt_tokens,) ids): rotated by the sample's number
        self.device = device
        self.is_main = is_main
        self.autocast = autocast
        gate = GATES[config.gate].factory(threshold=config.threshold, patience=config.patience)
        # DDP: share_halt carries rank 0's verdict to every rank. The GPT is replicated (DDP), so rank 0 alone
        # generates; generation uses this path's own seeded generators, so no global random state to fork.
        self.alarm = Alarm(gate, config.every, log_file=self.log_path, is_main=is_main, share=share_halt)
        on_cuda = device.startswith("cuda")
        if config.cuda_graph and not on_cuda:
            raise ValueError(f"AlarmConfig.cuda_graph=True needs sampling on a CUDA device, got device {device!r}")
        self.cuda_graph = on_cuda if config.cuda_graph is None else config.cuda_graph  # False after a failure
        # Prompts index the sources' CPU token tensors; sampling happens on the model's device. Both generators
        # are seeded and checkpointed, so a resumed run draws exactly the samples an uninterrupted one would.
        self.prompt_gen = torch.Generator().manual_seed(seed)
        self.sample_gen = torch.Generator(device=device).manual_seed(seed)

    gate = property(lambda self: self.alarm.gate)
    last = property(lambda self: self.alarm.last)  # the latest record (the progress bar shows its score)
    seconds = property(lambda self: self.alarm.seconds)  # wall time spent here: the alarm's cost

    def due(self, step: int) -> bool:
        return self.alarm.due(step)

    def after_step(self, step: int, model: torch.nn.Module, source: Any, loss_ema: float | None,
                   extra: dict[str, Any] | None = None) -> bool:
        """Call after every training step with the step just finished; True means the gate says halt.

        ``model`` is the bare model (not a DDP or compiled wrapper); ``source`` the TokenSource just trained on;
        ``extra`` more keys for the record (the trainer adds tokens/s and MFU).
        """
        return self.alarm.step(step, model, loss_ema=loss_ema, source=source.name, extra=extra,
                               sample_fn=lambda m: self._sample(step, m, source))  # fmt: skip

    def _prompt(self, step: int, source: Any) -> tuple[str, torch.Tensor]:
        """(where the prompt came from, its ids): the next fixed prompt, or a window of the current source."""
        if self.config.prompts == "source":
            return source.name, source.prompt(self.config.prompt_tokens, self.prompt_gen)
        # Rotated by the sample's number, not a counter: a resumed run picks the same prompt for the same step.
        return self.prompts[(step // self.config.every - 1) % len(self.prompts)]

    def _continuation(self, model: torch.nn.Module, idx: torch.Tensor) -> tuple[str, int]:
        """The scored text and the tokens generated: ``words`` whole words, or the fixed tokens if words is None."""
        cfg = self.config
        out = idx
        while True:
            out = self._generate(model, out)  # (1, T + new_tokens): the model crops what it cannot read
            new = out[0, idx.size(1):].tolist()
            text = self.tokenizer.decode(new)
            if cfg.words is None:
                return text, len(new)
            cut, whole = first_words(text, cfg.words)
            if whole or len(new) + cfg.new_tokens > cfg.max_new_tokens:
                return cut, len(new)

    def _sample(self, step: int, model: torch.nn.Module, source: Any) -> tuple[str, dict[str, Any]]:
        prompt_source, prompt = self._prompt(step, source)  # (prompt_tokens,)
        text, generated = self._continuation(model, prompt.view(1, -1).to(self.device))
        return text, {"prompt": self.tokenizer.decode(prompt.tolist()), "prompt_source": prompt_source,
                      "words": len(text.split()), "new_tokens": generated}  # fmt: skip

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
        return self.alarm.report()

    def state_dict(self) -> dict[str, Any]:
        return {**self.alarm.state_dict(), "prompt_gen": self.prompt_gen.get_state(),
                "sample_gen": self.sample_gen.get_state()}  # fmt: skip

    def resume(self, state: dict[str, Any] | None, step: int) -> int:
        """Restore a checkpoint taken after ``step`` and drop later samples from the log; returns lines dropped.

        Those samples will be produced again, identically, so the log ends up with no step missing or repeated.
        ``state`` None (a run killed before its first checkpoint) only rewinds the log to ``step``.
        """
        if state is not None:
            self.prompt_gen.set_state(state["prompt_gen"])
            self.sample_gen.set_state(state["sample_gen"])
        return self.alarm.load_state_dict(state, step)

    def close(self) -> None:
        self.alarm.close()
