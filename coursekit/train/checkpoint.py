"""Checkpoints and run files, written atomically, and the RNG states that make a resume exact.

A checkpoint is one ``torch.save`` file holding plain values: the step, the config, the model and optimizer
state dicts, the curriculum's and the sample path's states, and every RNG that decides what the run does next
(torch's global RNGs, the data generator of each rank, the sampling generators). Restoring all of them is what
lets a resumed CPU run halt at the very step an uninterrupted one does.

Every file is written to ``NAME.tmp`` and then ``os.replace``-d over ``NAME``, so a run killed mid-write leaves
the previous checkpoint intact, never a torn one.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import torch

__all__ = ["CKPT_FILE", "save_checkpoint", "load_checkpoint", "write_json", "capture_rng", "restore_rng"]

CKPT_FILE = "ckpt.pt"
FORMAT = 1  # bumped when the checkpoint's layout changes


def _replace_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # the old file is untouched; leave no half-written one beside it
        raise


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` (a dict of tensors and plain values) to ``path`` atomically."""
    _replace_atomically(Path(path), lambda tmp: torch.save({"format": FORMAT, **state}, tmp))


def load_checkpoint(path: str | os.PathLike, map_location: str = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by ``save_checkpoint``; a missing or foreign file gets an error naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        # weights_only: a checkpoint holds tensors and plain values only, so nothing in it can run code.
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises several types for a file that is not a torch checkpoint
        raise ValueError(f"{path} is not a readable coursekit checkpoint: {type(e).__name__}: {e}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        got = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{path} is not a coursekit checkpoint of format {FORMAT} (got {got!r})")
    return state


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    _replace_atomically(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def capture_rng() -> dict[str, Any]:
    """The process-wide RNG states: Python's, torch's CPU one and (if any) the current CUDA device's."""
    version, internal, gauss = random.getstate()
    state = {"python": [version, list(internal), gauss], "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Undo ``capture_rng``: put every RNG back where it was."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])
