"""A GPT's decode step replayed as a CUDA graph, so that sampling on a fast GPU is not bound by kernel launches.

Generating one token with a KV cache runs a few hundred small kernels (about 14 per layer). On a fast GPU the
time goes into launching them from Python rather than into the arithmetic: in eager mode the 16-layer, 120M
model decodes about 200 tokens/s on an H200 (bf16, batch 1), 5 ms per token, no faster than recomputing the
whole sequence. The coherence alarm pays that at every sample, in a run whose training steps the same GPU makes
very fast. Replayed as a graph, the same step runs at about 900 tokens/s (benchmarks/bench_generate.py).

A CUDA graph records a step's kernels once and replays them with a single launch. Replays reuse the recorded
shapes and memory addresses, which ``coursekit.train.model.KVCache`` allows: fixed-size buffers read through a mask.
Only the token and its position change; they are copied into fixed input tensors before each replay, and the
logits come out in a fixed output tensor.

Two rules keep replays correct:

- The graph reads the parameters at the addresses they had when it was recorded. Optimizer steps update them in
  place, so replays see the latest weights; but ``model.to(...)`` makes new tensors, so a step is keyed by the
  parameters' addresses (and the batch size and autocast dtype) and recorded again when any of them changes.
- Under autocast, the weights' low-precision copies must be made inside the graph, not taken from autocast's
  weight cache (freed when the caller's autocast block ends): recording runs with that cache off.

Use it through ``GPT.generate(..., cuda_graph=True)``. This module knows the model only through the calls a
decode step makes (``new_cache``, ``_trunk``, ``lm_head``, ``config``), so it does not import coursekit.train.model:
the model imports it, not the other way round.
"""

from __future__ import annotations

import weakref

import torch

__all__ = ["GraphedDecodeStep", "graphed_decode_step"]

# One recorded step per model, dropped with the model (a weak key: the cache must not keep a model alive).
_steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _autocast_dtype() -> torch.dtype | None:
    return torch.get_autocast_dtype("cuda") if torch.is_autocast_enabled("cuda") else None


def _key(model: torch.nn.Module, batch_size: int) -> tuple:
    return batch_size, _autocast_dtype(), tuple(p.data_ptr() for p in model.parameters())


class GraphedDecodeStep:
    """One decode step of ``model`` for ``batch_size`` sequences, recorded as a CUDA graph with its own KV cache.

    Fill ``cache`` with a prefill (``model._trunk(prompt, step.cache)``), then call ``step(token, position)``
    for each new token: it returns the next-token logits (B, vocab), in a tensor overwritten by the next call.
    """

    def __init__(self, model: torch.nn.Module, batch_size: int) -> None:
        device = model.lm_head.weight.device
        if device.type != "cuda":
            raise ValueError(f"CUDA graphs need a model on a CUDA device, got one on {device}")
        self.key = _key(model, batch_size)
        self.block_size = model.config.block_size
        self.cache = model.new_cache()
        self.token = torch.zeros(batch_size, 1, dtype=torch.long, device=device)  # (B, 1) replay input
        self.position = torch.zeros(1, dtype=torch.long, device=device)  # (1,) replay input
        dtype = _autocast_dtype()
        with torch.autocast("cuda", dtype=dtype or torch.bfloat16, enabled=dtype is not None, cache_enabled=False):
            # Warm up on a side stream first, as recording requires: it allocates the cache's buffers and lets
            # libraries pick their kernels outside the graph.
            side = torch.cuda.Stream(device)
            side.wait_stream(torch.cuda.current_stream(device))
            with torch.cuda.stream(side):
                for _ in range(2):
                    self._step(model)
            torch.cuda.current_stream(device).wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.logits = self._step(model)  # (B, vocab), rewritten by every replay

    def _step(self, model: torch.nn.Module) -> torch.Tensor:
        return model.lm_head(model._trunk(self.token, self.cache, self.position)[:, -1, :])

    def __call__(self, token: torch.Tensor, position: int) -> torch.Tensor:
        """Logits (B, vocab) after ``token`` (B, 1) at ``position``, with earlier positions read from the cache."""
        if not 0 <= position < self.block_size:
            raise ValueError(f"position {position} is outside the context of {self.block_size} positions")
        self.token.copy_(token)
        self.position.fill_(position)
        self.graph.replay()
        return self.logits


def graphed_decode_step(model: torch.nn.Module, batch_size: int) -> GraphedDecodeStep:
    """The recorded decode step for ``model`` and ``batch_size``, recording it (again) when needed."""
    step = _steps.get(model)
    if step is None or step.key != _key(model, batch_size):
        _steps.pop(model, None)  # free the old graph's memory before recording a new one
        step = _steps[model] = GraphedDecodeStep(model, batch_size)
    return step
