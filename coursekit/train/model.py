"""A small GPT in one readable module, in the style of nanoGPT: the firehose trainer's model (docs/specification.md §7).

Token and position embeddings, ``n_layer`` pre-norm blocks (LayerNorm -> causal self-attention -> residual,
LayerNorm -> GELU MLP -> residual), a final LayerNorm, and an output head that shares its weight with the
token embedding. Attention goes through ``torch.nn.functional.scaled_dot_product_attention``, which picks a
fused kernel (FlashAttention on a recent GPU) when it can.

``generate`` samples with a KV cache: one forward pass over the prompt (the *prefill*) stores every layer's
keys and values, then each new token costs one pass over a single position. ``use_cache=False`` recomputes the
whole sequence at every step instead; both give the same tokens, which tests/test_model.py checks. On a CPU the
cache is 3-6x faster for 64-224 new tokens; on a fast GPU both are bound by kernel launches, and
``cuda_graph=True`` (coursekit.train.cudagraph) is the fast path.

Sizes: with the course's 8,449-token vocabulary, the GPT-2-small shape (12 layers, 12 heads, 768 wide) has
about 92M parameters, not 124M, because GPT-2's 50,257-token embedding is 6x bigger than this one. 16 layers of
768 give about 120M, ANDREA-120M's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

__all__ = ["GPTConfig", "GPT", "KVCache"]


@dataclass
class GPTConfig:
    vocab_size: int = 8449  # the course tokenizer's vocabulary (coursekit.train.tokenizer.DEFAULT_VOCAB_SIZE)
    block_size: int = 256  # the longest sequence the model reads: the number of position embeddings
    n_layer: int = 12  # transformer blocks
    n_head: int = 12  # attention heads per block; must divide n_embd
    n_embd: int = 768  # width of the residual stream
    dropout: float = 0.0  # dropout on attention weights and residual branches while training (0 for pre-training)
    bias: bool = False  # biases in Linear layers and LayerNorms: False is a little better and faster

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GPTConfig.{name} must be a positive int, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(
                f"GPTConfig.n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head}): "
                f"each head gets n_embd / n_head dimensions"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig.dropout must be in [0, 1), got {self.dropout!r}")


class KVCache:
    """Every layer's keys and values, in buffers of ``max_len`` positions, written at the positions being run.

    Attention reads the whole buffer through a mask (position j is visible from position i when j <= i), so a
    decode step has the same shapes at every position: nothing is concatenated, and the step can be recorded
    once and replayed as a CUDA graph (coursekit.train.cudagraph). Unwritten positions are zeros and always masked.
    """

    def __init__(self, n_layer: int, max_len: int) -> None:
        self.max_len = max_len
        self.k: list[torch.Tensor | None] = [None] * n_layer  # each (B, nh, max_len, hs), allocated on first use
        self.v: list[torch.Tensor | None] = [None] * n_layer
        self.pos = 0  # positions written so far, when the caller lets GPT count them
        self.positions: torch.Tensor | None = None  # (T,) positions of the tokens in the current forward pass
        self.mask: torch.Tensor | None = None  # (T, max_len) bool: the positions each of them may attend to

    def start(self, positions: torch.Tensor) -> None:
        """Begin a forward pass over tokens at ``positions`` (T,)."""
        self.positions = positions
        self.mask = torch.arange(self.max_len, device=positions.device) <= positions[:, None]

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write this pass's k, v (B, nh, T, hs) at its positions; return the full buffers (B, nh, max_len, hs)."""
        if self.k[layer] is None:  # dtype and device follow the model (and autocast)
            B, nh, _, hs = k.shape
            self.k[layer] = k.new_zeros(B, nh, self.max_len, hs)
            self.v[layer] = v.new_zeros(B, nh, self.max_len, hs)
        self.k[layer].index_copy_(2, self.positions, k)
        self.v[layer].index_copy_(2, self.positions, v)
        return self.k[layer], self.v[layer]


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v for all heads at once
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B, T, C) -> (B, nh, T, hs): each head attends on its own slice of the channels
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if cache is None:  # training: plain causal attention, which lets SDPA pick its fastest kernel
            dropout = self.dropout if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
        else:  # generation: attend to everything cached so far, through the cache's mask
            k, v = cache.update(layer, k, v)  # (B, nh, max_len, hs)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=cache.mask)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, nh, T, hs) -> (B, T, C): heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A decoder-only transformer language model (see the module docstring)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"GPT() expects a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),  # token embedding
                wpe=nn.Embedding(config.block_size, config.n_embd),  # position embedding
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Weight tying: the same matrix embeds a token and scores it as the next token (fewer parameters, and
        # better language models; Press & Wolf 2017).
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        # GPT-2's scaled init: each residual projection adds to the stream 2 x n_layer times, so shrink it.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self, non_embedding: bool = True) -> int:
        """Parameter count. ``non_embedding`` leaves out the position embedding; the token embedding stays in,
        because (tied) it is also the output layer's weight. This is nanoGPT's convention, used for MFU."""
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= self.transformer.wpe.weight.numel()
        return n

    def new_cache(self) -> KVCache:
        """An empty KV cache for this model: one slot per layer, ``block_size`` positions."""
        return KVCache(self.config.n_layer, self.config.block_size)

    def flops_per_token(self) -> float:
        """Training FLOPs per token (forward + backward) at full context, as in nanoGPT's ``estimate_mfu``:
        6N for the weight matmuls (PaLM paper, appendix B) plus 12 * L * H * Q * T for attention's scores and
        weighted sum, where N is ``num_params()``, L layers, H heads, Q head size, T block size."""
        cfg = self.config
        L, H, Q, T = cfg.n_layer, cfg.n_head, cfg.n_embd // cfg.n_head, cfg.block_size
        return 6.0 * self.num_params() + 12.0 * L * H * Q * T

    def _check_idx(self, idx: torch.Tensor, what: str) -> None:
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
            got = type(idx).__name__
            if isinstance(idx, torch.Tensor):
                got = f"{idx.dtype} tensor of shape {tuple(idx.shape)}"
            raise ValueError(f"{what} must be a (B, T) torch.long tensor of token ids, got {got}")

    def _trunk(
        self, idx: torch.Tensor, cache: KVCache | None = None, positions: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Final hidden states (B, T, C) of token ids ``idx`` (B, T), before the output head.

        With a KV cache, the tokens sit at ``positions`` (T,) (default: right after the ``cache.pos`` already
        written) and their keys and values are written into the cache."""
        self._check_idx(idx, "idx")
        B, T = idx.shape
        if positions is None:
            past = cache.pos if cache is not None else 0
            if past + T > self.config.block_size:
                raise ValueError(
                    f"sequence of {past + T} tokens is longer than block_size {self.config.block_size}"
                    + (f" ({past} cached + {T} new)" if past else "")
                )
            positions = torch.arange(past, past + T, dtype=torch.long, device=idx.device)  # (T,)
        if cache is not None:
            cache.start(positions)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(positions))  # (B, T, C)
        for i, block in enumerate(self.transformer.h):
            x = block(x, cache, i)
        if cache is not None:
            cache.pos += T
        return self.transformer.ln_f(x)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None, cache: KVCache | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, vocab) for token ids ``idx`` (B, T); with ``targets`` (B, T), also the mean
        cross-entropy loss (targets of -1 are ignored). ``cache``: see ``_trunk``."""
        logits = self.lm_head(self._trunk(idx, cache))  # (B, T, vocab)
        loss = None
        if targets is not None:
            self._check_idx(targets, "targets")
            if targets.shape != idx.shape:
                raise ValueError(f"targets shape {tuple(targets.shape)} differs from idx shape {tuple(idx.shape)}")
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    @staticmethod
    def _sample(
        logits: torch.Tensor, temperature: float, top_k: int | None, generator: torch.Generator | None
    ) -> torch.Tensor:
        """One token per row (B, 1) from the last position's logits (B, vocab)."""
        if temperature == 0:
            return logits.argmax(dim=-1, keepdim=True)
        logits = logits.float() / temperature  # float: sampling in bf16 would distort the distribution
        if top_k is not None:
            kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]  # (B, 1)
            logits = logits.masked_fill(logits < kth, float("-inf"))
        return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
        use_cache: bool = True,
        cuda_graph: bool = False,
    ) -> torch.Tensor:
        """Continue each prompt in ``idx`` (B, T0) by ``max_new_tokens`` tokens; returns (B, T0 + max_new_tokens).

        Context policy: the model never reads more than ``block_size`` positions, and with a KV cache it
        cannot slide its window, so the prompt is cropped to its last ``block_size - max_new_tokens`` tokens
        before generation starts (the full prompt is still returned in front of the new tokens). Hence
        ``max_new_tokens`` must be below ``block_size``, so that at least one prompt token is read.

        ``temperature`` 0 is greedy decoding; ``top_k`` keeps the k likeliest tokens; ``generator`` (on the
        model's device) makes sampling reproducible. Runs in eval mode (no dropout) and restores the previous
        mode. ``use_cache=False`` recomputes the whole sequence each step: slower, same tokens.
        ``cuda_graph=True`` (CUDA only) replays each decode step as a CUDA graph (coursekit.train.cudagraph): the same
        tokens, several times faster on a fast GPU, where launching a step's kernels costs more than running them.
        """
        self._check_idx(idx, "idx")
        if idx.size(1) < 1:
            raise ValueError("generate() needs a prompt of at least one token")
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be a non-negative int, got {max_new_tokens!r}")
        if max_new_tokens >= self.config.block_size:
            raise ValueError(
                f"max_new_tokens ({max_new_tokens}) must be below block_size ({self.config.block_size}): "
                f"the prompt and the new tokens must fit in one context"
            )
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature >= 0:
            raise ValueError(f"temperature must be a number >= 0 (0 = greedy), got {temperature!r}")
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
        if cuda_graph and (not use_cache or idx.device.type != "cuda"):
            raise ValueError(f"cuda_graph=True needs use_cache=True and a prompt on a CUDA device, got {idx.device}")
        if max_new_tokens == 0:
            return idx.clone()

        was_training = self.training
        self.eval()
        try:
            context = idx[:, -(self.config.block_size - max_new_tokens) :]  # (B, T) with T + new <= block_size
            T = context.size(1)
            if cuda_graph:
                from .cudagraph import graphed_decode_step

                step = graphed_decode_step(self, context.size(0))  # recorded once, then reused across calls
                cache = step.cache
                cache.pos = 0  # positions from an earlier call are overwritten, and masked until they are
            else:
                cache = self.new_cache() if use_cache else None
            # The prefill. Only the last position's logits are needed: the output head, the widest matmul, runs
            # on it alone (here and below).
            logits = self.lm_head(self._trunk(context, cache)[:, -1, :])  # (B, vocab)
            new = []
            for i in range(max_new_tokens):
                token = self._sample(logits, temperature, top_k, generator)  # (B, 1)
                new.append(token)
                if i == max_new_tokens - 1:
                    break  # the last token needs no forward pass of its own
                if cuda_graph:
                    logits = step(token, T + i)  # the same pass as below, replayed as one graph
                elif use_cache:  # one position; the past's keys and values are in the cache
                    logits = self.lm_head(self._trunk(token, cache)[:, -1, :])
                else:  # everything recomputed: (B, T + i + 1) positions
                    logits = self.lm_head(self._trunk(torch.cat([context, *new], dim=1))[:, -1, :])
            return torch.cat([idx, *new], dim=1)
        finally:
            self.train(was_training)
