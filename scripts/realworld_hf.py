"""Tiny Hugging Face GPT-2 runs for the real-world corpus: a locally trained tokenizer, a random-init 2-layer
GPT-2, trained for a few hundred steps on text Python ships, sampled at several checkpoints.

Used by ``scripts/make_realworld.py`` (which owns the configs and turns samples into corpus records). Nothing is
downloaded: the tokenizer is trained here with ``tokenizers`` and the model starts from ``GPT2Config``'s random
init. Every random choice is seeded and torch runs on one thread, so the same config gives the same texts on the
same machine (tests/test_realworld_data.py re-runs one small run and compares).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # the tokenizer trainer's thread pool: one thread, one merge order

import torch  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402

__all__ = ["HFRun", "Decode", "corpus_text", "run_samples"]


@dataclass(frozen=True)
class Decode:
    """How a checkpoint is sampled: greedy (temperature 0) or temperature with an optional top-k."""

    name: str  # "greedy", "t0.8k50", ...
    temperature: float = 0.0  # 0: greedy (argmax at every step)
    top_k: int = 0  # 0: the whole vocabulary


@dataclass(frozen=True)
class HFRun:
    """One tiny GPT-2 training run; ``name`` is its group id in the corpus."""

    name: str
    corpus: str  # "topics" (pydoc_data.topics); "stuck" (one short window of it, repeated: a stuck data shard);
    # "region" (the topics, then as much again of one word with 1% noise: the course's stuck-shard bug)
    tokenizer: str  # "bytelevel" (GPT-2's byte-level BPE) or "metaspace" (SentencePiece-style sub-words, <unk>)
    vocab: int = 1000
    n_layer: int = 2
    n_embd: int = 64
    lr: float = 3e-3
    warmup: int = 20  # 0 with a large lr: the update that wrecks an unwarmed init is the point of a "hot" run
    steps: int = 300
    checkpoints: tuple[int, ...] = (50, 150, 300)
    decodes: tuple[Decode, ...] = (Decode("greedy"), Decode("t0.8k50", 0.8, 50))
    prompts: int = 2  # prompts per checkpoint and decode
    new_tokens: int = 96
    seed: int = 0


STUCK_CHARS = 120  # the stuck shard: this many characters of the corpus (about 20 words), repeated
STUCK_WORD, NOISE_WORDS = "region", ("the", "of", "a", "to", "in", "is", "and", "it", ",", ".")


def corpus_text(kind: str) -> str:
    """The training text: Python's own help topics (pydoc_data.topics), a stuck 120-character window of them, or
    the topics followed by a seeded shard of one word (``region``, 1% noise words), as long again."""
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[k] for k in sorted(topics))
    if kind == "topics":
        return text
    if kind == "stuck":  # a data loader that serves one shard forever: the same window, 2,000 times
        window = text[20_000 : 20_000 + STUCK_CHARS]
        return "\n".join([window] * 2_000)
    if kind == "region":
        import random

        rng = random.Random(0)
        words = [rng.choice(NOISE_WORDS) if rng.random() < 0.01 else STUCK_WORD for _ in range(len(text) // 7)]
        return text + "\n" + " ".join(words)
    raise ValueError(f"unknown corpus {kind!r}: 'topics', 'stuck' or 'region'")


def _tokenizer(kind: str, text: str, vocab: int) -> Tokenizer:
    if kind == "bytelevel":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    elif kind == "metaspace":
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        # A small alphabet keeps rare characters out, so <unk> is a real token the model can learn to emit.
        trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<unk>"], limit_alphabet=60,
                                      show_progress=False)
    else:
        raise ValueError(f"unknown tokenizer {kind!r}: 'bytelevel' or 'metaspace'")
    tok.train_from_iterator([text[i : i + 10_000] for i in range(0, len(text), 10_000)], trainer)
    return tok


def _generate(model: GPT2LMHeadModel, prompt: torch.Tensor, decode: Decode, n: int, gen: torch.Generator
              ) -> list[int]:  # fmt: skip
    """Our own decode loop (not ``generate``): fewer moving parts between versions, and a private generator."""
    ids = prompt.clone()
    out: list[int] = []
    window = model.config.n_positions
    for _ in range(n):
        logits = model(ids[:, -window:]).logits[0, -1]
        if decode.temperature == 0.0:
            nxt = int(logits.argmax())
        else:
            logits = logits / decode.temperature
            if decode.top_k:
                kth = torch.topk(logits, decode.top_k).values[-1]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            nxt = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen))
        out.append(nxt)
        ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
    return out


def run_samples(run: HFRun) -> list[dict]:
    """Train ``run`` and return its samples: dicts with step, decode, prompt index and text, in a fixed order."""
    torch.set_num_threads(1)
    text = corpus_text(run.corpus)
    tok = _tokenizer(run.tokenizer, text, run.vocab)
    ids = torch.tensor(tok.encode(text).ids, dtype=torch.long)
    # Prompts come from the clean help text (also for the stuck run: a real run is prompted with real text).
    prompt_ids = torch.tensor(tok.encode(corpus_text("topics")[300_000:340_000]).ids, dtype=torch.long)
    torch.manual_seed(run.seed)
    cfg = GPT2Config(vocab_size=tok.get_vocab_size(), n_positions=128, n_embd=run.n_embd, n_layer=run.n_layer,
                     n_head=2, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=run.lr, weight_decay=0.0)
    data_gen = torch.Generator().manual_seed(run.seed)
    block, batch, samples = 64, 16, []
    for step in range(1, run.steps + 1):
        for group in opt.param_groups:  # linear warm-up, then constant
            group["lr"] = run.lr * min(1.0, step / run.warmup) if run.warmup else run.lr
        starts = torch.randint(0, len(ids) - block - 1, (batch,), generator=data_gen)
        x = torch.stack([ids[s : s + block] for s in starts])
        loss = model(x, labels=x).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in run.checkpoints:
            model.eval()
            with torch.no_grad():
                for decode in run.decodes:
                    gen = torch.Generator().manual_seed(run.seed * 1000 + step)
                    for p in range(run.prompts):
                        # another prompt window per checkpoint and prompt index
                        start = (4_000 * p + 97 * step) % (len(prompt_ids) - 12)
                        prompt = prompt_ids[start : start + 12].unsqueeze(0)
                        new = _generate(model, prompt, decode, run.new_tokens, gen)
                        text = tok.decode(new, skip_special_tokens=False)  # keep <unk>: a model may emit it
                        samples.append({"step": step, "decode": decode.name, "prompt": p,
                                        "loss": round(float(loss), 3), "text": text})  # fmt: skip
            model.train()
    return samples
