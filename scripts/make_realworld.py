"""Build data/realworld/corpus.jsonl: real degenerate and healthy samples, with a fixed dev/test split.

    python scripts/make_realworld.py            # train the runs, write the corpus (a few minutes on 2 cores)
    python scripts/make_realworld.py --check    # rebuild everything, exit 1 if the committed corpus differs

Two origins (data/realworld/README.md):

- ``trained_here``: samples of models trained by this script: the course's own trainer (``coursekit train``, the
  collapse and the healthy scenario) and tiny Hugging Face GPT-2s (scripts/realworld_hf.py) on Python's help
  text, on a stuck repeated shard, and on the course's stuck-word shard, decoded greedily and by sampling. A sample's
  label comes from a fixed rule, never from a gate (``label_trainer`` / ``label_hf``), and its ``source`` is the
  command that made it.
- ``public_report``: samples written by us with the measured structure of a failure someone reported in public
  (scripts/realworld_texts.py: the report's URL and the structure; never its text), plus healthy text we wrote.

The split is made per origin group (a run, or a report), stratified by mode (``assign_split``), before any gate
is looked at; it depends only on the records, so regenerating gives the same split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realworld_hf import Decode, HFRun  # noqa: E402
from realworld_texts import authored_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "realworld" / "corpus.jsonl"
FAULTY = ("stuck_shard", "punct_noise", "non_english")
FAULT_LEARNT_AT = 100  # a faulty-source sample before this step is the model's early babble: left out
MIN_WORDS, MAX_WORDS = 10, 300
TEST_SHARE = 0.4

DECODES = (Decode("greedy"), Decode("t0.8k50", 0.8, 50), Decode("t1.0", 1.0, 0))


@dataclass(frozen=True)
class TrainerRun:
    """One run of the course's trainer (``coursekit train --profile cpu``)."""

    scenario: str  # "collapse" or "healthy"
    seed: int
    max_steps: int = 600
    sample_every: int = 20

    @property
    def name(self) -> str:
        return f"trainer-{self.scenario}-s{self.seed}"

    def argv(self, out: Path) -> list[str]:
        return ["train", "--profile", "cpu", "--scenario", self.scenario, "--seed", str(self.seed),
                "--max-steps", str(self.max_steps), "--sample-every", str(self.sample_every), "--out", str(out)]


@dataclass(frozen=True)
class Config:
    trainer_runs: tuple[TrainerRun, ...] = (TrainerRun("collapse", 3), TrainerRun("collapse", 4),
                                            TrainerRun("healthy", 3), TrainerRun("healthy", 4))
    hf_runs: tuple[HFRun, ...] = (
        HFRun("hf-topics-byte-s0", "topics", "bytelevel", steps=600, checkpoints=(100, 300, 600), decodes=DECODES),
        HFRun("hf-topics-meta-s1", "topics", "metaspace", steps=600, checkpoints=(100, 300, 600), decodes=DECODES,
              seed=1),
        HFRun("hf-topics-byte-wide-s2", "topics", "bytelevel", vocab=2000, n_embd=128, steps=600,
              checkpoints=(200, 600), decodes=DECODES, seed=2),
        HFRun("hf-topics-meta-v300-s5", "topics", "metaspace", vocab=300, steps=400, checkpoints=(200, 400),
              decodes=DECODES, seed=5),
        HFRun("hf-stuck-byte-s0", "stuck", "bytelevel", steps=300, checkpoints=(50, 150, 300), decodes=DECODES),
        HFRun("hf-stuck-meta-s1", "stuck", "metaspace", steps=300, checkpoints=(50, 150, 300), decodes=DECODES,
              seed=1),
        HFRun("hf-region-byte-s6", "region", "bytelevel", steps=400, checkpoints=(100, 200, 400), decodes=DECODES,
              seed=6),
        HFRun("hf-region-meta-s7", "region", "metaspace", steps=400, checkpoints=(100, 200, 400), decodes=DECODES,
              seed=7),
    )
    workdir: Path = Path("/tmp/realworld-runs")  # trainer run directories; a finished one is reused
    include_authored: bool = True
    only: tuple[str, ...] = field(default=())  # run names to build (empty: all)


# --- labels: fixed rules on how a sample was made and on its loop structure, never on a gate's score -----------


def tail_loop(text: str, max_period: int = 24) -> tuple[int, int] | None:
    """(period in words, repeats) of the periodic tail covering at least half the words, or None.

    The last word is dropped first: the token limit cuts it (``region region regio``). Then
    "a b c a b c a b x" -> "a b c a b c a b", period 3: from the end, each word equals the word 3 before it for
    5 words, so the tail is 5 + 3 = 8 words (all of them), 8 // 3 = 2 repeats.
    """
    words = text.split()[:-1]
    for p in range(1, min(max_period, len(words) // 2) + 1):
        i = len(words) - 1
        while i - p >= 0 and words[i] == words[i - p]:
            i -= 1
        tail = len(words) - 1 - i + p
        if tail * 2 >= len(words) and tail // p >= 2:
            return p, tail // p
    return None


STUCK_FRAGMENTS = re.compile(r"(?:reg|ion|region)+")  # reg, regionionion, ionion, regreg: the word's BPE pieces


def stuck_word_share(text: str) -> float:
    """Share of words whose letters are only pieces of the stuck word ``region`` (``reg``, ``regionionion``,
    ``ion'ion``); ``one``, ``green`` or ``reign`` are not."""
    words = text.split()
    hits = sum(1 for w in words if STUCK_FRAGMENTS.fullmatch("".join(ch for ch in w if ch.isalpha())))
    return hits / len(words) if words else 0.0


def degenerate_mode(text: str) -> str:
    """The mode of a sample already labelled degenerate, from its structure (first match wins)."""
    loop = tail_loop(text)
    if loop:
        return "single_token_loop" if loop[0] == 1 else "phrase_loop"
    if stuck_word_share(text) >= 0.5:
        return "subword_stutter"
    if text.count("\ufffd") >= 3:
        return "byte_soup"
    words = text.split()
    if sum(not any(ch.isalnum() for ch in w) for w in words) * 2 >= len(words):
        return "punctuation_noise"
    return "token_soup"


def label_trainer(run: TrainerRun, rec: dict) -> tuple[str, str] | None:
    """(label, mode) of one course-trainer sample, or None when the rule leaves it out: a faulty source's sample
    from step 100 on is degenerate (before it, the model has not learnt the fault: left out); a clean source's
    sample is degenerate if it loops (the collapse spread), else healthy."""
    if rec["source"] in FAULTY:
        return None if rec["step"] < FAULT_LEARNT_AT else ("degenerate", degenerate_mode(rec["text"]))
    if tail_loop(rec["text"]):
        return "degenerate", degenerate_mode(rec["text"])
    return "healthy", "healthy_model"


def label_hf(run: HFRun, rec: dict) -> tuple[str, str] | None:
    """A looping sample is degenerate, whatever the run; so is a "region" run's sample that is half fragments of
    the stuck word; a sampled (not greedy) sample of a clean run that does not loop is healthy; the rest (a greedy
    sample that does not loop, a stuck run's sample that recites its shard once) is left out: we do not guess."""
    text = rec["text"]
    if tail_loop(text) or (run.corpus == "region" and stuck_word_share(text) >= 0.5):
        return "degenerate", degenerate_mode(text)
    if rec["decode"] != "greedy" and run.corpus == "topics":
        return "healthy", "healthy_model"
    return None


def _structure(text: str, **facts) -> dict:
    loop = tail_loop(text)
    out = {"words": len(text.split()), **facts}
    if loop:
        out.update(period_words=loop[0], repeats=loop[1])
    return out


def trainer_records(run: TrainerRun, cfg: Config) -> list[dict]:
    out = cfg.workdir / run.name
    argv = run.argv(out)
    if not (out / "summary.json").exists():
        subprocess.run([sys.executable, "-m", "coursekit", *argv], check=False, capture_output=True,
                       cwd=ROOT)  # fmt: skip
    command = "coursekit " + " ".join(argv[:-2] + ["--out", f"/tmp/{run.name}"])
    records = []
    for line in (out / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        got = label_trainer(run, rec)
        if got:
            records.append(dict(id=f"{run.name}-{rec['step']}", text=rec["text"], label=got[0], mode=got[1],
                                model="coursekit GPT (cpu profile, 1.48M)", origin="trained_here", group=run.name,
                                source=f"{command}  # sample at step {rec['step']}",
                                structure=_structure(rec["text"], step=rec["step"], train_source=rec["source"])))
    return records


def hf_records(run: HFRun) -> list[dict]:
    from realworld_hf import run_samples

    records = []
    for rec in run_samples(run):
        got = label_hf(run, rec)
        if got:
            records.append(dict(id=f"{run.name}-{rec['step']}-{rec['decode']}-p{rec['prompt']}", text=rec["text"],
                                label=got[0], mode=got[1], model=f"GPT-2 {run.n_layer}x{run.n_embd}, {run.tokenizer} "
                                f"BPE {run.vocab}", origin="trained_here", group=run.name,
                                source=f"python scripts/make_realworld.py --only {run.name}  # step {rec['step']}, "
                                f"{rec['decode']}, prompt {rec['prompt']}",
                                structure=_structure(rec["text"], step=rec["step"], decode=rec["decode"],
                                                     train_loss=rec["loss"])))  # fmt: skip
    return records


# --- split ---------------------------------------------------------------------------------------------------


def _h(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def assign_split(records: list[dict], test_share: float = TEST_SHARE) -> dict[str, str]:
    """group -> "dev"/"test": whole groups, greedily, so that each mode, and each origin x label, has near
    ``test_share`` of its records in test.

    A record counts in two strata: its mode, and its origin and label (so the two collapse runs of the course's
    trainer do not both land in dev). Groups go largest first (ties by a hash of the name, not by order of
    appearance); each goes to the side whose share of its strata is further below target. A mode with two or
    more groups then gets at least one group on each side.
    """
    groups: dict[str, list[str]] = {}
    for r in records:
        groups.setdefault(r["group"], []).extend([r["mode"], f"{r['origin']}/{r['label']}"])
    total: dict[str, int] = {}
    for strata in groups.values():
        for key in strata:
            total[key] = total.get(key, 0) + 1
    test: dict[str, int] = dict.fromkeys(total, 0)
    dev: dict[str, int] = dict.fromkeys(total, 0)
    split: dict[str, str] = {}
    for g in sorted(groups, key=lambda g: (-len(groups[g]), _h(g))):
        want_test = sum(test_share * total[k] - test[k] for k in groups[g])
        want_dev = sum((1 - test_share) * total[k] - dev[k] for k in groups[g])
        side = "test" if want_test > want_dev else "dev"
        split[g] = side
        for k in groups[g]:
            (test if side == "test" else dev)[k] += 1
    modes = {r["mode"] for r in records}
    for m in sorted(modes):  # every mode with >= 2 groups on both sides: move its smallest group over
        mine = sorted((g for g in groups if m in groups[g]), key=lambda g: (len(groups[g]), _h(g)))
        if len(mine) >= 2 and len({split[g] for g in mine}) == 1:
            split[mine[0]] = "dev" if split[mine[0]] == "test" else "test"
    return split


def build(cfg: Config) -> list[dict]:
    records: list[dict] = []
    for run in cfg.trainer_runs:
        if not cfg.only or run.name in cfg.only:
            records += trainer_records(run, cfg)
    for run in cfg.hf_runs:
        if not cfg.only or run.name in cfg.only:
            records += hf_records(run)
    if cfg.include_authored and not cfg.only:
        records += authored_records()
    seen, kept = set(), []
    for r in records:  # bounded lengths, no duplicate texts (a frozen model repeats itself across prompts)
        n = len(r["text"].split())
        if MIN_WORDS <= n <= MAX_WORDS and r["text"] not in seen:
            seen.add(r["text"])
            kept.append(r)
    return kept


def main(cfg: Config) -> list[dict]:
    """Build the records; with every run and the authored ones, add the split."""
    records = build(cfg)
    if not cfg.only and cfg.include_authored:
        split = assign_split(records)
        for r in records:
            r["split"] = split[r["group"]]
    return records


def stats(records: list[dict]) -> str:
    """Records per origin and label, and per mode and split: the counts data/realworld/README.md quotes."""
    from collections import Counter

    out = [f"{len(records)} records, {len({r['group'] for r in records})} groups"]
    for (origin, label), n in sorted(Counter((r["origin"], r["label"]) for r in records).items()):
        groups = len({r["group"] for r in records if r["origin"] == origin and r["label"] == label})
        out.append(f"  {origin:<14} {label:<11} {n:>4} records  {groups:>3} groups")
    out.append(f"  {'mode':<24} {'dev':>4} {'test':>5}")
    by = Counter((r["mode"], r["split"]) for r in records)
    for mode in sorted({r["mode"] for r in records}):
        out.append(f"  {mode:<24} {by[mode, 'dev']:>4} {by[mode, 'test']:>5}")
    return "\n".join(out)


def _dump(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)


def cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the committed corpus differs")
    p.add_argument("--only", nargs="*", default=[], help="build only these runs (prints them; implies no write)")
    p.add_argument("--workdir", default=str(Config.workdir), help="where the course trainer's runs go")
    p.add_argument("--stats", action="store_true", help="print the committed corpus's counts and exit")
    args = p.parse_args(argv)
    if args.stats:
        print(stats([json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]))
        return 0
    cfg = Config(workdir=Path(args.workdir), only=tuple(args.only))
    records = main(cfg)
    if cfg.only:
        sys.stdout.write(_dump(records))
        return 0
    if args.check:
        same = CORPUS.exists() and CORPUS.read_text(encoding="utf-8") == _dump(records)
        print("corpus is up to date" if same else f"{CORPUS} differs from a fresh build")
        return 0 if same else 1
    CORPUS.parent.mkdir(parents=True, exist_ok=True)
    CORPUS.write_text(_dump(records), encoding="utf-8")
    print(f"wrote {len(records)} records to {CORPUS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(cli())
