"""The trainer's configuration: ``TrainConfig`` (one field per knob, each with its comment) and the profiles.

A profile is a set of overrides of TrainConfig's defaults; ``profile_config`` merges one with your own::

    cfg = profile_config("cpu", scenario="healthy", max_steps=300, alarm={"every": 10})

``cpu`` is sized for a learner's laptop: the collapse scenario is halted by the gate within its 600 steps, in
minutes on two cores (``summary.json`` records each run's wall time); ``classroom`` is cpu made quicker for lesson
05's live run (a smaller batch, a greedier bandit, a sample every 10 steps). ``rtx4090`` is ANDREA-scale: about 120M parameters, 8,449 tokens, v2's cadence of a sample every 100
steps, bf16 autocast and torch.compile, within an RTX 4090's 24 GB.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .curriculum import BanditConfig
from .model import GPTConfig
from .samplepath import AlarmConfig

__all__ = ["TrainConfig", "PROFILES", "profile_config"]


@dataclasses.dataclass
class TrainConfig:
    out_dir: str = "runs/train"  # run directory: samples.jsonl, ckpt.pt, halt.json, summary.json
    profile: str = "cpu"  # the profile the values came from (recorded, not acted on)
    scenario: str = "collapse"  # "collapse" (clean and faulty sources) or "healthy" (clean only)
    runner: str = "firehose"  # a key of coursekit.train.runners.RUNNERS
    seed: int = 0  # seeds the model init, data, curriculum and sampling: a CPU run is reproducible from it
    max_steps: int = 600  # optimizer steps in the whole run
    device: str = "auto"  # "auto" (cuda if available), "cpu" or "cuda"
    threads: int = 0  # torch CPU threads (0: torch's default); on a busy machine 1 can be twice as fast
    model: GPTConfig = dataclasses.field(default_factory=GPTConfig)  # the GPT's shape
    batch_size: int = 16  # sequences per micro-batch and rank, each model.block_size tokens long
    grad_accum: int = 1  # micro-batches per optimizer step: a bigger batch in the same memory
    lr: float = 3e-3  # AdamW peak learning rate, held constant after warm-up
    warmup_steps: int = 20  # linear warm-up from 0, so the first large updates do not wreck the init
    weight_decay: float = 0.1  # on matrices only (not on norms)
    grad_clip: float = 1.0  # clip the global grad norm to this (0: off)
    dtype: str = "float32"  # "bfloat16": autocast the forward pass (GPU profiles)
    compile: bool = False  # torch.compile the training forward/backward (GPU profiles)
    alarm: AlarmConfig = dataclasses.field(default_factory=AlarmConfig)  # the sample path's cadence and gate
    bandit: BanditConfig = dataclasses.field(default_factory=BanditConfig)  # the firehose curriculum
    legacy_switch_every: int = 50  # legacy runner: steps on one source before the next in its phase
    ckpt_every: int = 200  # a periodic checkpoint every this many steps (0: only at a halt and at the end)
    ema_beta: float = 0.98  # smoothing of the loss EMA shown and logged (v1 watched such an EMA)
    extra_files: tuple[str, ...] = ()  # the user's own text files, added as clean sources
    tokenizer_cache: str | None = None  # where the BPE tokenizer is cached (None: coursekit's default)
    progress: bool = True  # progress bar and end-of-run summary on stdout (rank 0)

    def __post_init__(self) -> None:
        for name in ("max_steps", "batch_size", "grad_accum", "ckpt_every", "threads"):
            value = getattr(self, name)
            low = 1 if name in ("batch_size", "grad_accum") else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"TrainConfig.{name} must be an int >= {low}, got {value!r}")
        if self.scenario not in ("collapse", "healthy"):
            raise ValueError(f"TrainConfig.scenario must be 'collapse' or 'healthy', got {self.scenario!r}")
        if self.dtype not in ("float32", "bfloat16"):
            raise ValueError(f"TrainConfig.dtype must be 'float32' or 'bfloat16', got {self.dtype!r}")
        if not 0.0 <= self.ema_beta < 1.0:
            raise ValueError(f"TrainConfig.ema_beta must be in [0, 1), got {self.ema_beta!r}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Rebuild a config from ``dataclasses.asdict`` output (config.json); unknown keys are an error."""
        nested = {"model": GPTConfig, "alarm": AlarmConfig, "bandit": BanditConfig}
        return _build(cls, d, nested)


def _build(cls: type, d: dict[str, Any], nested: dict[str, type] | None = None) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {sorted(unknown)}; known: {sorted(names)}")
    kw = {k: (_build(nested[k], v) if nested and k in nested and isinstance(v, dict) else v) for k, v in d.items()}
    if "extra_files" in kw:
        kw["extra_files"] = tuple(kw["extra_files"])
    return cls(**kw)


# Each profile is a set of overrides of TrainConfig's defaults.
# Small enough that the collapse scenario is halted within its 600 steps in minutes on a 2-core machine (one torch
# thread: on a shared CPU, two threads spin against each other and run 2-3x slower). It samples every 20 steps
# instead of v2's 100, so that 5 samples in a row fit in a short run.
_CPU: dict[str, Any] = dict(
    model=dict(block_size=96, n_layer=2, n_head=4, n_embd=128),
    batch_size=8, lr=1e-2, max_steps=600, warmup_steps=20, ckpt_every=100, threads=1,
    alarm=dict(every=20, prompt_tokens=16, new_tokens=64),
)  # fmt: skip

PROFILES: dict[str, dict[str, Any]] = {
    "cpu": _CPU,
    # The cpu profile made quick enough for a lesson (lesson 05's live run): halted by the gate in about half a
    # minute of training on two cores instead of several. A smaller batch (4, not 8) halves the cost of a step; a
    # greedier bandit (temperature 0.25, not 0.5) with shorter stints (5-30 steps, not v1's 7-42) finds and keeps
    # the stuck shard sooner, the "stronger pull" of the faulty source; a sample every 10 steps (not 20) means the
    # gate's five bad samples in a row span 40 steps from the first, not 80. The model and the data are cpu's.
    "classroom": {
        **_CPU, "batch_size": 4, "bandit": dict(temperature=0.25, min_stint=5, max_stint=30),
        "alarm": {**_CPU["alarm"], "every": 10},
    },
    # ANDREA-scale: about 120M parameters, 8,449 tokens, v2's cadence, bf16 and torch.compile, within 24 GB.
    "rtx4090": dict(
        model=dict(block_size=1024, n_layer=16, n_head=12, n_embd=768),
        batch_size=16, grad_accum=16, lr=6e-4, max_steps=200_000, warmup_steps=500, ckpt_every=2000,
        dtype="bfloat16", compile=True, device="cuda",
        alarm=dict(every=100, prompt_tokens=32, new_tokens=64),
    ),
}  # fmt: skip


def profile_config(name: str, **overrides: Any) -> TrainConfig:
    """The config of profile ``name`` ("cpu", "classroom" or "rtx4090") with ``overrides`` on top (dicts for model/alarm/bandit)."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; expected one of {', '.join(PROFILES)}")
    merged: dict[str, Any] = dataclasses.asdict(TrainConfig())
    for layer in (PROFILES[name], {"profile": name}, overrides):
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    return TrainConfig.from_dict(merged)
