"""What the alarm costs a training run: tokens/s, and the share of wall time spent sampling + scoring + logging.

    .venv/bin/python benchmarks/bench_train.py                       # cpu profile, 300 steps (goal: <= 3%)
    .venv/bin/python benchmarks/bench_train.py --profile rtx4090     # on a GPU, v2 cadence (goal: <= 1%)

It trains the healthy scenario (so the gate never stops the run) with the profile's model and sampling cadence,
and measures a steady-state window: from the step ``--skip`` to the end, leaving out start-up and, on a GPU,
torch.compile's first steps. The window starts right after a step's sample would be taken, so it holds exactly
one sample per ``sample_every`` steps. Figures printed:

    tokens/s            tokens trained per second of wall time in the window (alarm included)
    alarm share         the sample path's wall time / the window's wall time (the goal above)
    per sample          wall time of one generate -> score -> log -> gate round: the run's first (which pays
                        one-time costs, e.g. recording the CUDA graph) and the median of the others
    steady share        the median sample's share at the profile's cadence, given the window's training time
                        per step: what a long run pays (a short window holds only a sample or two)
    MFU, peak memory    on a GPU: against the device's dense bf16 peak (coursekit.train.hardware), and
                        torch.cuda.max_memory_allocated (whether it fits a 24 GB RTX 4090)

``--json FILE`` also writes the figures as JSON (benchmarks/gpu_check.sh uses it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import torch

from coursekit.train.hardware import mfu
from coursekit.train.trainconfig import PROFILES
from coursekit.train.trainer import main, profile_config

GOALS = {"cpu": 0.03, "cuda": 0.01}  # the alarm's share of wall time, at the profile's own cadence
RTX4090_BYTES = 24 * 2**30


def bench(profile: str, steps: int, skip: int, device: str | None, sample_every: int | None, grad_accum: int | None,
          out_dir: str) -> dict:
    overrides = dict(scenario="healthy", max_steps=steps, out_dir=out_dir, progress=False, ckpt_every=0)
    if grad_accum:
        overrides["grad_accum"] = grad_accum
    if device:
        overrides["device"] = device
    if sample_every:
        overrides["alarm"] = {"every": sample_every}
    cfg = profile_config(profile, **overrides)
    if skip % cfg.alarm.every or skip >= steps:
        raise SystemExit(f"--skip must be a multiple of the sampling cadence ({cfg.alarm.every}) below --steps")
    marks: dict[int, tuple] = {}  # step -> (time, alarm seconds, tokens), taken before that step's sample
    keep = {skip, steps}
    captured = {}
    alarm_before: dict[int, float] = {}  # step -> the alarm's total seconds before that step's sample

    def on_step(run) -> None:
        if run.step == 1:
            captured["run"] = run
        alarm_before[run.step] = run.alarm.seconds
        if run.step in keep:
            if run.device.startswith("cuda"):
                torch.cuda.synchronize()
            marks[run.step] = (time.perf_counter(), run.alarm.seconds, run.tokens)

    t0 = time.perf_counter()
    status = main(cfg, on_step=on_step)
    total = time.perf_counter() - t0
    run = captured["run"]
    alarm_before[steps + 1] = run.alarm.seconds  # after the last step's sample
    per_sample = [alarm_before[s + 1] - alarm_before[s] for s in range(cfg.alarm.every, steps + 1, cfg.alarm.every)]
    (ta, aa, na), (tb, ab, nb) = marks[skip], marks[steps]
    wall, alarm, tokens = tb - ta, ab - aa, nb - na
    samples = (steps - skip) // cfg.alarm.every
    tokens_per_s = tokens / wall
    cuda = run.device.startswith("cuda")
    # What really ran, not just what the config asked for: a compiled module wraps the model as _orig_mod,
    # and under the run's autocast the logits come out in the compute dtype.
    compiled = hasattr(run.model, "_orig_mod") or hasattr(getattr(run.model, "module", None), "_orig_mod")
    probe = torch.zeros(1, 8, dtype=torch.long, device=run.device)
    with torch.no_grad(), run.autocast():
        compute_dtype = str(run.raw_model(probe)[0].dtype).replace("torch.", "")
    r = {
        "profile": profile, "device": run.peak.name, "status": status, "steps": steps, "window_steps": steps - skip,
        "sample_every": cfg.alarm.every, "new_tokens": cfg.alarm.new_tokens, "params": run.raw_model.num_params(),
        "compile": compiled, "dtype": compute_dtype, "grad_accum": cfg.grad_accum, "batch_size": cfg.batch_size,
        "block_size": cfg.model.block_size, "step_ms": 1000 * wall / (steps - skip), "total_wall_s": total, "window_wall_s": wall,
        "tokens_per_s": tokens_per_s, "alarm_s": alarm, "alarm_share": alarm / wall,
        "per_sample_ms": 1000 * alarm / max(samples, 1), "samples_in_window": samples,
        "first_sample_ms": 1000 * per_sample[0], "warm_sample_ms": 1000 * statistics.median(per_sample[1:] or per_sample),
        "warm_samples": len(per_sample[1:] or per_sample), "train_step_ms": 1000 * (wall - alarm) / (steps - skip),
        "cuda_graph": run.alarm.cuda_graph,
        "mfu": mfu(tokens_per_s / run.world, run.flops_per_token, run.peak), "mfu_note": run.peak.note,
        "peak_memory_bytes": torch.cuda.max_memory_allocated() if cuda else None,
        "goal_share": GOALS["cuda" if cuda else "cpu"],
    }  # fmt: skip
    r["steady_share"] = steady_share(r)
    return r


def steady_share(r: dict) -> float:
    """A warm sample's share of wall time at the cadence: one sample per ``sample_every`` training steps."""
    return r["warm_sample_ms"] / (r["warm_sample_ms"] + r["sample_every"] * r["train_step_ms"])


def report(r: dict) -> str:
    goal = "meets" if r["alarm_share"] <= r["goal_share"] else "MISSES"
    lines = [
        f"bench_train: profile {r['profile']} on {r['device']} · {r['params'] / 1e6:.1f}M params · "
        f"compute dtype {r['dtype']} · torch.compile {'on' if r['compile'] else 'off'}",
        f"  window        steps {r['steps'] - r['window_steps']}..{r['steps']} ({r['window_wall_s']:.1f} s; whole run "
        f"{r['total_wall_s']:.1f} s with start-up)",
        f"  tokens/s      {r['tokens_per_s']:,.0f} ({r['batch_size']} x {r['block_size']} tokens x {r['grad_accum']} "
        f"micro-batches per step, {r['step_ms']:.1f} ms per step)",
        f"  alarm share   {100 * r['alarm_share']:.2f}% of wall time ({r['samples_in_window']} samples, one every "
        f"{r['sample_every']} steps, {r['per_sample_ms']:.1f} ms each) -> {goal} the goal of "
        f"<= {100 * r['goal_share']:.0f}%",
        f"  per sample    first {r['first_sample_ms']:.1f} ms, then median {r['warm_sample_ms']:.1f} ms over "
        f"{r['warm_samples']} (CUDA graph {'on' if r['cuda_graph'] else 'off'}); steady share at this cadence "
        f"{100 * r['steady_share']:.2f}%",
        "  MFU           " + (f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else r["mfu_note"]),
    ]
    if r["peak_memory_bytes"] is not None:
        fits = "fits" if r["peak_memory_bytes"] < RTX4090_BYTES else "does NOT fit"
        lines.append(f"  peak memory   {r['peak_memory_bytes'] / 2**30:.2f} GiB (max_memory_allocated) -> {fits} 24 GB")
    return "\n".join(lines)


def cli() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", default="cpu", choices=list(PROFILES))
    ap.add_argument("--steps", type=int, default=300, help="steps to train (300)")
    ap.add_argument("--skip", type=int, help="steps left out of the measurement (default: one sampling interval)")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], help="the profile's device by default")
    ap.add_argument("--sample-every", type=int, help="override the profile's cadence")
    ap.add_argument("--grad-accum", type=int, help="override the profile's micro-batches per step")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    cadence = args.sample_every or profile_config(args.profile).alarm.every
    with tempfile.TemporaryDirectory() as tmp:
        r = bench(args.profile, args.steps, args.skip if args.skip is not None else cadence, args.device,
                  args.sample_every, args.grad_accum, tmp)  # fmt: skip
    print(report(r))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(r, fh, indent=2)


if __name__ == "__main__":
    cli()
