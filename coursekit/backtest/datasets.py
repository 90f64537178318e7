"""The run logs and labelled samples that ship with coursekit (in ``coursekit.data``), and their loaders.

Gates are judged on these, so both sides need them: the back-tester and its gate reports below, the incident's
reconstruction and the course's lessons above. Keeping the loaders here, in the lowest layer that reads logs,
lets every layer reach them without importing the code that *made* the data (the v1 simulator, the battery's
generators, the trainer). Imports: the standard library and ``coursekit.alarm`` only.

    records, bad = read_log(v1_log_path())     # v1's reconstructed log (data/v1/samples.jsonl)
    battery = load_battery()                   # the failure-mode battery (data/battery.jsonl)
    corpus = load_realworld("dev")             # the real-world corpus's dev split (data/realworld/)
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

__all__ = [
    "data_dir",
    "v1_log_path",
    "V1_COLLAPSE_ONSET",
    "healthy_log_path",
    "HELDOUT_RUNS",
    "BATTERY_FILE",
    "load_battery",
    "realworld_path",
    "load_realworld",
]

V1_COLLAPSE_ONSET = 70_000  # v1's first collapsed samples; everything logged before this step is healthy
HELDOUT_RUNS = ("heldout-seed1-firehose.jsonl", "heldout-seed2-legacy.jsonl")  # in data/healthy/
BATTERY_FILE = "battery.jsonl"


def data_dir() -> Path:
    """The folder of shipped data: the repository's data/, installed as the package ``coursekit.data``."""
    return Path(str(resources.files("coursekit.data")))


def v1_log_path() -> Path:
    """v1's reconstructed log (data/v1/samples.jsonl; data/v1/README.md says what it is and is not)."""
    return data_dir() / "v1" / "samples.jsonl"


def healthy_log_path(name: str = "samples.jsonl") -> Path:
    """A healthy run of the course's trainer in data/healthy/ (its README says how each was made)."""
    if name not in ("samples.jsonl", *HELDOUT_RUNS):
        raise ValueError(f"no healthy run named {name!r}; there are samples.jsonl, {', '.join(HELDOUT_RUNS)}")
    return data_dir() / "healthy" / name


def load_battery(path: str | Path | None = None) -> list[dict]:
    """The committed failure-mode battery (data/battery.jsonl), or the one at ``path``: one dict per sample."""
    if path is None:
        text = (data_dir() / BATTERY_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def realworld_path() -> Path:
    """The real-world corpus (data/realworld/corpus.jsonl; its README says where each record comes from)."""
    return data_dir() / "realworld" / "corpus.jsonl"


def load_realworld(split: str | None = None) -> list[dict]:
    """The real-world corpus's records, all or one split ("dev": tune on it; "test": score it once per gate)."""
    if split not in (None, "dev", "test"):
        raise ValueError(f"split must be None, 'dev' or 'test', got {split!r}")
    records = [json.loads(line) for line in realworld_path().read_text(encoding="utf-8").splitlines()]
    return [r for r in records if split is None or r["split"] == split]
