"""data/healthy/ is what its README says: the course's trainer, healthy scenario, cpu profile, seeds 0, 1 and 2.

Re-running the first steps of each log's command must reproduce its first samples: the same steps, the same
sources (the curriculum's choices) and the same loss EMA to within 1%. The trainer is seeded and single-threaded
on the CPU, so on the CPU that made the logs the texts come back exactly; another CPU's floating-point kernels
(AVX-512 vs AVX2, another BLAS path) round differently, a few sampled tokens flip, and the flips add up with the
steps. Measured on an AMD EPYC against the logs: loss EMA within 0.14% after 100 steps, texts 70-100% alike
(difflib's ratio). So the texts must be at least half alike: enough to catch a changed trainer (another
tokenizer, model or sampler draws unrelated text: another seed's samples at the same steps are 0.03-0.33 alike),
not so strict that another CPU fails.
"""

import difflib
import json
from importlib import resources

import pytest

from coursekit.train.trainconfig import profile_config
from coursekit.train.trainer import main


@pytest.mark.parametrize(
    "log, seed, runner, steps",
    [
        ("samples.jsonl", 0, "firehose", 100),  # the run v3's floors were chosen on: 5 samples
        ("heldout-seed1-firehose.jsonl", 1, "firehose", 40),  # the held-out runs: 2 samples each, to keep it short
        ("heldout-seed2-legacy.jsonl", 2, "legacy", 40),
    ],
)
def test_first_samples_reproduce(tmp_path, log, seed, runner, steps):
    cfg = profile_config("cpu", scenario="healthy", max_steps=steps, seed=seed, runner=runner,
                         out_dir=str(tmp_path / "run"))  # fmt: skip
    assert main(cfg) == 0
    fresh = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    committed = resources.files("coursekit.data").joinpath(f"healthy/{log}").read_text(encoding="utf-8")
    stored = [json.loads(line) for line in committed.splitlines()][: len(fresh)]
    assert len(fresh) == steps // 20
    assert [(r["step"], r["source"]) for r in fresh] == [(r["step"], r["source"]) for r in stored]
    for new, old in zip(fresh, stored):
        assert abs(new["loss_ema"] - old["loss_ema"]) <= 0.01 * old["loss_ema"], (new["step"], new["loss_ema"])
        alike = difflib.SequenceMatcher(None, new["text"], old["text"]).ratio()
        assert alike >= 0.5, f"step {new['step']}: the sample is only {alike:.2f} alike the logged one"
