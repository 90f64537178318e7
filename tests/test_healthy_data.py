"""data/healthy/ is what its README says: the course's trainer, healthy scenario, cpu profile, seeds 0, 1 and 2.

Re-running the first steps of each log's command must reproduce its first samples exactly (the trainer is
seeded and single-threaded on the CPU). A failure means the trainer's behaviour changed since the log was made
(regenerate it with the command in data/healthy/README.md) or this CPU computes differently.
"""

import json
from importlib import resources

import pytest

from coursekit.trainconfig import profile_config
from coursekit.trainer import main


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
    assert [(r["step"], r["text"]) for r in fresh] == [(r["step"], r["text"]) for r in stored]
