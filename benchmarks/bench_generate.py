"""Tokens per second of GPT.generate() with and without the KV cache (prints figures; not a test).

On CUDA it also times the KV cache with each decode step replayed as a CUDA graph (``cuda_graph=True``).

    .venv/bin/python benchmarks/bench_generate.py                      # the small CPU config
    .venv/bin/python benchmarks/bench_generate.py --n-layer 12 --n-embd 768 --n-head 12 --device cuda

Without a cache each new token re-runs the model over the whole sequence so far, so the cost of a sample grows
with the square of its length; with the cache each new token is one position's pass. The gap widens with the
number of new tokens: try --new-tokens 32 and 224.
"""

from __future__ import annotations

import argparse
import time

import torch

from coursekit.train.model import GPT, GPTConfig


def tokens_per_second(model: GPT, prompt: torch.Tensor, new_tokens: int, repeats: int, **mode: bool) -> float:
    """Best of ``repeats`` timed runs (after one warm-up), in generated tokens per second over the batch."""

    def run() -> None:
        model.generate(prompt, new_tokens, temperature=1.0, top_k=50, generator=gen, **mode)

    gen = torch.Generator(device=prompt.device).manual_seed(0)
    run()  # warm-up: allocations, kernel selection
    best = float("inf")
    for _ in range(repeats):
        if prompt.device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        run()
        if prompt.device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return prompt.size(0) * new_tokens / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-embd", type=int, default=256)
    ap.add_argument("--block-size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1, help="prompts generated at once")
    ap.add_argument("--prompt-tokens", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, nargs="+", default=[64, 224])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's; 1 is steadier when busy)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = GPTConfig(n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd, block_size=args.block_size)
    model = GPT(config).to(args.device, getattr(torch, args.dtype))
    prompt = torch.randint(config.vocab_size, (args.batch, args.prompt_tokens), device=args.device)
    print(
        f"GPT {args.n_layer}x{args.n_embd} ({model.num_params() / 1e6:.1f}M params), batch {args.batch}, "
        f"{args.prompt_tokens}-token prompt, {args.device} {args.dtype}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU threads"
    )
    graphs = args.device.startswith("cuda")
    print(
        f"{'new tokens':>10}  {'uncached tok/s':>14}  {'cached tok/s':>12}  {'speed-up':>8}"
        + (f"  {'graphed tok/s':>13}  {'speed-up':>8}" if graphs else "")
    )
    for n in args.new_tokens:
        uncached = tokens_per_second(model, prompt, n, args.repeats, use_cache=False)
        cached = tokens_per_second(model, prompt, n, args.repeats)
        line = f"{n:>10}  {uncached:>14.0f}  {cached:>12.0f}  {cached / uncached:>7.2f}x"
        if graphs:
            graphed = tokens_per_second(model, prompt, n, args.repeats, cuda_graph=True)
            line += f"  {graphed:>13.0f}  {graphed / uncached:>7.2f}x"
        print(line)


if __name__ == "__main__":
    main()
