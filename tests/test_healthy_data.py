"""data/healthy/ is what its README says: the course's trainer, healthy scenario, cpu profile, seed 0.

Re-running the first 100 steps of that command must reproduce the log's first 5 samples exactly (the trainer is
seeded and single-threaded on the CPU). A failure means the trainer's behaviour changed since the log was made
(regenerate it with the command in data/healthy/README.md) or this CPU computes differently.
"""

import json
from importlib import resources

from coursekit.trainconfig import profile_config
from coursekit.trainer import main


def test_first_samples_reproduce(tmp_path):
    cfg = profile_config("cpu", scenario="healthy", max_steps=100, seed=0, out_dir=str(tmp_path / "run"))
    assert main(cfg) == 0
    fresh = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    committed = resources.files("coursekit.data").joinpath("healthy/samples.jsonl").read_text(encoding="utf-8")
    stored = [json.loads(line) for line in committed.splitlines()][: len(fresh)]
    assert len(fresh) == 5
    assert [(r["step"], r["text"]) for r in fresh] == [(r["step"], r["text"]) for r in stored]
