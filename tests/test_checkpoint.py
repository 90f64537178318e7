"""Tests for coursekit.train.checkpoint: atomic writes, clear errors, and RNG states that restore exactly."""

import json
import random

import pytest
import torch

from coursekit.train.checkpoint import (
    CorruptCheckpoint,
    capture_rng,
    load_checkpoint,
    restore_rng,
    save_checkpoint,
    write_json,
)


def test_round_trip(tmp_path):
    path = tmp_path / "run" / "ckpt.pt"
    save_checkpoint(path, {"step": 7, "weights": torch.arange(3.0), "names": ["a", "b"], "gate": {"n": None}})
    state = load_checkpoint(path)
    assert state["step"] == 7 and state["names"] == ["a", "b"] and state["gate"] == {"n": None}
    assert torch.equal(state["weights"], torch.arange(3.0))
    assert [p.name for p in path.parent.iterdir()] == ["ckpt.pt"]  # no .tmp left behind


def test_a_failed_write_leaves_the_old_checkpoint_intact(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, {"step": 1})
    with pytest.raises(Exception):
        save_checkpoint(path, {"step": 2, "bad": lambda: None})  # torch.save cannot pickle a lambda
    assert load_checkpoint(path)["step"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*missing.pt"):
        load_checkpoint(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="junk.pt is not a readable coursekit checkpoint"):
        load_checkpoint(junk)
    foreign = tmp_path / "foreign.pt"
    torch.save({"model": {}}, foreign)
    with pytest.raises(ValueError, match="foreign.pt is not a coursekit checkpoint of format 2 \\(got None\\)"):
        load_checkpoint(foreign)


def test_write_json(tmp_path):
    write_json(tmp_path / "a.json", {"step": 3, "text": "région"})
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == {"step": 3, "text": "région"}


def test_rng_states_restore_exactly(tmp_path):
    state = capture_rng()
    expected = (torch.rand(4), random.random())
    torch.rand(10), random.random()  # move both on
    save_checkpoint(tmp_path / "c.pt", {"rng": state})  # and through a checkpoint file, as a run does
    restore_rng(load_checkpoint(tmp_path / "c.pt")["rng"])
    again = (torch.rand(4), random.random())
    assert torch.equal(again[0], expected[0]) and again[1] == expected[1]


def test_a_flipped_bit_anywhere_is_an_error_naming_the_file(tmp_path):
    from faults import flip_bit

    path = tmp_path / "ckpt.pt"
    weights = torch.arange(64.0)
    save_checkpoint(path, {"step": 3, "weights": weights})
    offset = path.read_bytes().index(weights.numpy().tobytes()) + 17
    flip_bit(path, offset, bit=5)  # one bit of weights[4]: torch.load reads it without complaint
    with pytest.raises(CorruptCheckpoint, match="ckpt.pt is corrupt: its content does not match its sha256"):
        load_checkpoint(path)


def test_a_checkpoint_that_does_not_read_back_never_replaces_the_old_one(tmp_path, monkeypatch):
    import coursekit.train.checkpoint as ckpt

    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, {"step": 1})
    real = torch.save
    # A write that goes wrong silently (a bad disk, a bug): the bytes on disk are not what was digested.
    monkeypatch.setattr(ckpt.torch, "save", lambda obj, fh: real({**obj, "step": 99}, fh))
    with pytest.raises(CorruptCheckpoint, match="ckpt.pt is corrupt"):
        save_checkpoint(path, {"step": 2})
    monkeypatch.undo()
    assert load_checkpoint(path)["step"] == 1 and sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_write_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError, match="Out of range float"):
        write_json(tmp_path / "a.json", {"x": float("inf")})
    assert not list(tmp_path.iterdir())
