"""Checkpoints and run files, written atomically, and the RNG states that make a resume exact.

A checkpoint is one ``torch.save`` file holding plain values: the step, the config, the model and optimizer
state dicts, the curriculum's and the sample path's states, and every RNG that decides what the run does next
(torch's global RNGs, the data generator of each rank, the sampling generators). Restoring all of them is what
lets a resumed CPU run halt at the very step an uninterrupted one does.

Every file is written through ``coursekit.alarm.safefile.replace_atomically`` (a unique ``mkstemp`` name in the
same folder, ``fsync`` of the file and the folder, ``os.replace``), so a run killed mid-write, or a power cut,
leaves the previous checkpoint intact, never a torn one.

A checkpoint carries ``sha256``, a digest of everything in it (every tensor's dtype, shape and bytes, every
plain value), checked on load: a flipped bit in the weights is an error naming the file, not a run that quietly
diverges. Each new checkpoint is read back and checked before it replaces the old one. A full disk during
``torch.save`` (which torch reports as a ``RuntimeError`` from its zip writer) is re-raised as the ``OSError``
underneath it, so the caller can say "No space left on device" in one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

import torch

from coursekit.alarm.safefile import replace_atomically

__all__ = ["CKPT_FILE", "save_checkpoint", "load_checkpoint", "write_json", "capture_rng", "restore_rng",
           "state_digest", "CorruptCheckpoint"]

CKPT_FILE = "ckpt.pt"
FORMAT = 2  # bumped when the checkpoint's layout changes (2: the sha256 digest)


class CorruptCheckpoint(ValueError):
    """A checkpoint whose content does not match its digest (a flipped bit, a truncated or edited file)."""


def _feed(h: Any, value: Any) -> None:
    # Type tags and brackets make the encoding unambiguous: [1, 2] and [[1], 2] feed different bytes.
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}:".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy())  # the raw bytes, whatever the dtype
    elif isinstance(value, dict):
        h.update(b"{")
        for key in sorted(value, key=repr):
            _feed(h, key)
            _feed(h, value[key])
        h.update(b"}")
    elif isinstance(value, (list, tuple)):
        h.update(b"[" if isinstance(value, list) else b"(")
        for item in value:
            _feed(h, item)
        h.update(b"]")
    else:  # int, float (repr round-trips exactly), str, bool, None
        h.update(f"{type(value).__name__}:{value!r};".encode())


def state_digest(state: dict[str, Any]) -> str:
    """SHA-256 of a checkpoint's content (its ``sha256`` entry left out), in hex."""
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in state.items() if k != "sha256"})
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` (a dict of tensors and plain values) to ``path`` atomically, with its digest; the new file
    is read back and verified before it replaces the old one."""
    path = Path(path)
    full = {"format": FORMAT, **state}
    full["sha256"] = state_digest(full)

    def write(fh: Any) -> None:
        try:
            torch.save(full, fh)
        except RuntimeError as e:  # torch's zip writer wraps the OSError (e.g. ENOSPC) of the write that failed
            if isinstance(e.__context__, OSError):
                err = e.__context__
                raise OSError(err.errno, err.strerror, str(path)) from None
            raise

    replace_atomically(path, write, check=lambda tmp: load_checkpoint(tmp, name=path))


def load_checkpoint(path: str | os.PathLike, map_location: str = "cpu",
                    name: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read a checkpoint written by ``save_checkpoint`` and verify its digest; a missing, foreign or corrupt
    file gets an error naming it (``name``, if given, is the name used in messages)."""
    path = Path(path)
    shown = path if name is None else name
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {shown}")
    try:
        # weights_only: a checkpoint holds tensors and plain values only, so nothing in it can run code.
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises several types for a file that is not a torch checkpoint
        raise CorruptCheckpoint(f"{shown} is not a readable coursekit checkpoint: {type(e).__name__}: "
                                f"{str(e).splitlines()[0] if str(e) else ''}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        got = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{shown} is not a coursekit checkpoint of format {FORMAT} (got {got!r})")
    if state.get("sha256") != state_digest(state):
        raise CorruptCheckpoint(f"{shown} is corrupt: its content does not match its sha256 digest (a flipped bit "
                                "or an edited file); restore it from a copy, or start the run again")
    return state


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically; NaN and infinities are refused (they are not JSON)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    replace_atomically(Path(path), lambda fh: fh.write(text.encode("utf-8")))


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
