"""data/realworld/corpus.jsonl is what data/realworld/README.md says: schema, lengths, provenance, a clean split.

The last test re-runs the smallest trained-here run of scripts/make_realworld.py (a tiny GPT-2 on a stuck shard,
about 20 s on one core) and compares its records with the committed ones; the whole build takes minutes and is
checked with ``python scripts/make_realworld.py --check``.
"""

import json
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
FIELDS = {"id", "text", "label", "mode", "model", "origin", "group", "source", "structure", "split"}


@pytest.fixture(scope="module")
def corpus():
    text = resources.files("coursekit.data").joinpath("realworld/corpus.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_schema(corpus):
    for r in corpus:
        assert set(r) == FIELDS, r["id"]
        assert isinstance(r["id"], str) and isinstance(r["text"], str) and isinstance(r["mode"], str)
        assert r["label"] in ("degenerate", "healthy")
        assert r["origin"] in ("trained_here", "public_report", "written_here")
        assert r["split"] in ("dev", "test")
        assert r["model"] is None or isinstance(r["model"], str)
        assert isinstance(r["structure"], dict) and r["structure"], r["id"]
        assert r["mode"].startswith("healthy") == (r["label"] == "healthy"), r["id"]


def test_size_ids_lengths_and_duplicates(corpus):
    assert len(corpus) >= 200
    assert len({r["id"] for r in corpus}) == len(corpus)
    assert len({r["text"] for r in corpus}) == len(corpus)
    for r in corpus:
        assert 10 <= len(r["text"].split()) <= 300, r["id"]


def test_both_origins_well_represented(corpus):
    by = Counter((r["origin"], r["label"]) for r in corpus)
    assert by["trained_here", "degenerate"] >= 30 and by["trained_here", "healthy"] >= 30
    reports = [r for r in corpus if r["origin"] == "public_report"]
    assert len(reports) >= 40 and len({r["group"] for r in reports}) >= 15


def test_public_reports_cite_a_url_and_a_structure(corpus):
    for r in corpus:
        if r["origin"] == "public_report":
            assert r["source"].startswith(("https://", "http://")) and r["group"] == r["source"], r["id"]
            assert r["label"] == "degenerate" and isinstance(r["structure"], dict) and r["structure"]


def test_trained_here_records_say_how_they_were_made(corpus):
    for r in corpus:
        if r["origin"] == "trained_here":
            assert r["source"].startswith(("coursekit train ", "python scripts/make_realworld.py --only ")), r["id"]


def test_no_group_straddles_the_split(corpus):
    splits = defaultdict(set)
    for r in corpus:
        splits[r["group"]].add(r["split"])
    assert all(len(s) == 1 for s in splits.values()), {g: s for g, s in splits.items() if len(s) > 1}


def test_every_mode_with_two_groups_is_in_both_splits(corpus):
    groups, splits = defaultdict(set), defaultdict(set)
    for r in corpus:
        groups[r["mode"]].add(r["group"])
        splits[r["mode"]].add(r["split"])
    for mode, gs in groups.items():
        if len(gs) >= 2:
            assert splits[mode] == {"dev", "test"}, mode


def test_the_split_is_the_one_the_script_assigns(corpus):
    sys.path.insert(0, str(SCRIPTS))
    from make_realworld import assign_split

    split = assign_split([{k: r[k] for k in ("group", "mode", "origin", "label")} for r in corpus])
    assert all(r["split"] == split[r["group"]] for r in corpus)


def test_a_trained_here_run_regenerates_exactly(corpus):
    pytest.importorskip("transformers", reason="the GPT-2 runs need transformers (requirements.txt pins it)")
    sys.path.insert(0, str(SCRIPTS))
    from make_realworld import Config, main

    name = "hf-stuck-byte-s0"
    fresh = main(replace(Config(), only=(name,)))
    stored = [{k: v for k, v in r.items() if k != "split"} for r in corpus if r["group"] == name]
    assert fresh and fresh == stored
