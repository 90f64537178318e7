"""The alarm in ``transformers.Trainer``: ``CoherenceCallback``, and ``sample_text`` for Hugging Face models.

    from coursekit.integrations.hf import CoherenceCallback, halted
    alarm = CoherenceCallback(every=100, gate="v3", prompts=["The history of", "def main():"])
    trainer = Trainer(model=model, args=args, train_dataset=data, processing_class=tokenizer, callbacks=[alarm])
    result = trainer.train()
    result.metrics["coherence_halted"]            # or halted(trainer), or alarm.halted

Every ``every`` optimizer steps (HF calls ``on_step_end`` once per optimizer step, whatever the gradient
accumulation) the main process of the world generates one sample with ``sample_text``: the next prompt of
``prompts`` (rotated by the sample's number), ``new_tokens`` new tokens exactly (``min_new_tokens`` too, so an
end-of-text token cannot shorten it), the model in eval mode and the global random state forked and seeded from
``seed`` and the step (so sampling never changes training, and a resumed run draws the same samples); only the
continuation is decoded, and its first ``words`` whitespace words are scored (the unit the metrics count). The
record goes to ``args.output_dir/log_file`` in the course's run-log format; the gate (a name from
coursekit.alarm.gates, or a gate object) decides, and the decision is broadcast to every rank. On a halt the
callback sets ``control.should_training_stop`` and ``control.should_save`` (a checkpoint of the halted step),
writes ``halt.json`` beside the log, and the final metrics carry ``coherence_halted`` / ``coherence_halt_step``.
Under FSDP or DeepSpeed ZeRO-3 every rank joins generation (rank 0 alone scores).

Resume: the gate's state travels in the checkpoint's ``trainer_state.json`` (``stateful_callbacks``) and the
callback restores itself from it at ``on_train_begin``, with or without ``restore_callback_states_from_checkpoint``;
the state holds no path, so the log that is rewound (records after the resumed step dropped) is always this run's
own ``args.output_dir/log_file``. A resume whose checkpoint holds no alarm state warns loudly: the counter starts
from zero.

This module imports ``transformers`` (``pip install coursekit[hf]``); in coursekit only lesson 08 imports it too.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState

from .core import AlarmWarning, first_words
from .torch import Alarm, forked_rng

__all__ = ["CoherenceCallback", "sample_text", "halted", "DEFAULT_PROMPTS", "HALT_FILE"]

DEFAULT_PROMPTS = ("The", "In this section we", "It is important to note that")  # plain English openers
HALT_FILE = "halt.json"


def sample_text(model: Any, tokenizer: Any, prompt: str, *, new_tokens: int = 64, temperature: float = 0.8,
                top_k: int | None = 50, seed: int = 0) -> str:
    """Exactly ``new_tokens`` sampled after ``prompt``, decoded without the prompt; training state left as it was.

    The model runs in eval mode (restored after), under ``torch.no_grad``, with the global random state forked
    and seeded from ``seed``: the same call gives the same text, and the training run's random stream is not
    moved. ``top_k`` None samples from every token.
    """
    device = next(model.parameters()).device
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]  # (1, T0)
    if ids.numel() == 0:  # an empty prompt: start from the beginning-of-text token
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        ids = torch.tensor([[start]])
    ids = ids.to(device)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    was_training = model.training
    model.eval()
    try:
        with forked_rng(), torch.no_grad():
            torch.manual_seed(seed)
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True,
                                 max_new_tokens=new_tokens, min_new_tokens=new_tokens, temperature=temperature,
                                 top_k=top_k or 0, pad_token_id=pad)  # fmt: skip
    finally:
        model.train(was_training)
    return tokenizer.decode(out[0, ids.size(1):], skip_special_tokens=True)


def _sharded(args: Any) -> bool:
    """FSDP or ZeRO-3: the weights are split over the ranks, so every rank must take part in generation."""
    deepspeed = getattr(args, "hf_deepspeed_config", None)
    return bool(getattr(args, "fsdp", None)) or bool(deepspeed is not None and deepspeed.is_zero3())


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


class CoherenceCallback(TrainerCallback, ExportableState):
    """Sample, score, log and gate every ``every`` optimizer steps of a ``transformers.Trainer`` run."""

    def __init__(self, every: int = 100, gate: Any = "v2", prompts: Sequence[str] = DEFAULT_PROMPTS, *,
                 new_tokens: int = 64, words: int | None = 32, temperature: float = 0.8, top_k: int | None = 50,
                 seed: int = 0, log_file: str = "samples.jsonl", tokenizer: Any = None) -> None:  # fmt: skip
        if not isinstance(log_file, str) or Path(log_file).name != log_file or log_file in ("", ".", ".."):
            raise ValueError(f"log_file is a file name inside args.output_dir, not a path; got {log_file!r}")
        if isinstance(prompts, str) or not prompts or not all(isinstance(p, str) for p in prompts):
            raise ValueError(f"prompts must be a non-empty list of str, got {prompts!r:.80}")
        self.settings = dict(every=every, gate=gate, prompts=list(prompts), new_tokens=new_tokens, words=words,
                             temperature=temperature, top_k=top_k, seed=seed, log_file=log_file)  # fmt: skip
        Alarm(gate, every, log_file=None)  # check the gate and the cadence now, not at the first sample
        self.tokenizer = tokenizer  # None: the Trainer's processing_class
        self.alarm: Alarm | None = None  # built at on_train_begin, when the run's folder is known
        self.halted = False
        self.halt_step: int | None = None
        self._loss: float | None = None

    # --- the Trainer's events ---------------------------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        s = self.settings
        self.alarm = Alarm(s["gate"] if isinstance(s["gate"], str) else _fresh(s["gate"]), s["every"],
                           log_file=Path(args.output_dir) / s["log_file"], is_main=state.is_world_process_zero,
                           all_ranks_generate=_sharded(args))  # fmt: skip
        self.halted, self.halt_step = False, None
        if state.global_step > 0:  # resuming from a checkpoint
            saved = (state.stateful_callbacks or {}).get(type(self).__name__) or {}
            alarm_state = saved.get("attributes", {}).get("alarm_state") if isinstance(saved, dict) else None
            if alarm_state is None:
                warnings.warn(f"RESUMING WITHOUT THE ALARM'S STATE: the checkpoint at step {state.global_step} holds "
                              "no CoherenceCallback state, so the gate's counter starts from zero and bad samples "
                              "already seen are forgotten", AlarmWarning, stacklevel=2)  # fmt: skip
                if isinstance(state.stateful_callbacks, dict):  # HF's next save expects this callback's entry
                    state.stateful_callbacks[type(self).__name__] = self.state()
            self.alarm.load_state_dict(alarm_state, state.global_step)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if not logs:
            return
        if "loss" in logs:
            self._loss = float(logs["loss"])  # the record's loss_ema: the loss the Trainer last logged
        if "train_runtime" in logs:  # the end-of-training metrics: trainer.train() returns this very dict
            logs["coherence_halted"] = self.halted
            if self.halted:
                logs["coherence_halt_step"] = self.halt_step

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None,
                    **kwargs: Any) -> None:  # fmt: skip
        step, tokenizer = state.global_step, self.tokenizer or processing_class
        if self.alarm is None or not self.alarm.step(step, model, loss_ema=self._loss,
                                                     sample_fn=lambda m: self._sample(m, tokenizer, step)):
            return
        self.halted, self.halt_step = True, step
        control.should_training_stop = True
        control.should_save = True  # a checkpoint of the halted step, with the gate's state in it
        if state.is_world_process_zero:
            _write_json(Path(args.output_dir) / HALT_FILE, self.alarm.report())
        if isinstance(state.stateful_callbacks, dict):
            state.stateful_callbacks[type(self).__name__] = self.state()  # trainer.state says it halted

    def _sample(self, model: Any, tokenizer: Any, step: int) -> tuple[str, dict[str, Any]]:
        s = self.settings
        if tokenizer is None:
            raise ValueError("no tokenizer: pass processing_class= to the Trainer or tokenizer= to CoherenceCallback")
        prompt = s["prompts"][(step // s["every"] - 1) % len(s["prompts"])]
        text = sample_text(model, tokenizer, prompt, new_tokens=s["new_tokens"], temperature=s["temperature"],
                           top_k=s["top_k"], seed=s["seed"] + step)  # fmt: skip
        if s["words"] is not None:
            text, _ = first_words(text, s["words"])
        return text, {"prompt": prompt, "words": len(text.split())}

    # --- checkpoints --------------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """What HF stores in trainer_state.json: the settings (no path) and the gate's state."""
        args = {k: v for k, v in self.settings.items() if k != "gate" or isinstance(v, str)}
        return {"args": args, "attributes": {"alarm_state": None if self.alarm is None else self.alarm.state_dict(),
                                             "halted": self.halted, "halt_step": self.halt_step}}  # fmt: skip


def _fresh(gate: Any) -> Any:
    """A gate object given to the callback is reset for each training run (its settings kept)."""
    if hasattr(gate, "reset"):
        gate.reset()
    return gate


def halted(trainer: Any) -> bool:
    """Whether a ``CoherenceCallback`` of ``trainer`` halted its last ``train()``."""
    return any(isinstance(cb, CoherenceCallback) and cb.halted for cb in trainer.callback_handler.callbacks)
