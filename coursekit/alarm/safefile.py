"""Replace a file so that a kill or a power cut leaves either the old file or the new one, never a torn one.

    replace_atomically(path, lambda fh: fh.write(data))      # fh: a binary file opened in path's folder

The new content goes to a temp file with a unique name made by ``mkstemp`` in the same folder (a fixed name like
``ckpt.pt.tmp`` would follow a symlink planted there, and two writers would share it), is ``fsync``-ed, then
``os.replace``-d over ``path``, and the folder is ``fsync``-ed so the rename itself survives a power cut. On any
error the temp file is removed and the old file is untouched. Used by the run log's rewind and the trainer's
checkpoint and JSON files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["replace_atomically", "fsync_dir", "fsync_file", "TMP_PREFIX"]

TMP_PREFIX = ".tmp-"  # temp files start with this (and end in the target's name), so they are easy to spot


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename or a new file in ``folder`` durable (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems refuse fsync on a folder; the data is synced
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: str | os.PathLike) -> None:
    """Make what has been written to ``path`` (by any open file of it, flushed) durable; no-op if it is absent.
    The trainer calls it on the run log before each checkpoint, so a checkpoint never outlives its samples."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)  # Linux syncs the file's dirty pages whichever descriptor asks
    finally:
        os.close(fd)


def replace_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object],
                       check: Callable[[Path], object] | None = None) -> None:
    """Write ``path``'s new content with ``write(fh)`` into a unique temp file, sync it, rename it over ``path``.

    ``check(temp_path)``, if given, reads the written file back and raises if it is not right: then ``path`` is
    left as it was (a run never replaces a good checkpoint with one it cannot read back).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix="-" + path.name, dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide a run's files from the people sharing its folder
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(Path(tmp))
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # the old file is untouched; leave no half-written one beside it
        if isinstance(e, OSError) and e.filename is None:  # e.g. ENOSPC from a flush: say which file
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise
    fsync_dir(path.parent)
