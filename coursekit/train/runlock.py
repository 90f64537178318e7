"""One trainer per run folder: an OS lock on ``RUN/.lock``, held while a run writes to the folder.

    lock = RunLock.acquire("runs/demo")    # raises RunFolderBusy naming the holder's PID if another run has it
    ...                                    # train, checkpoint, log
    lock.release()                         # also released by the OS when the process ends, even by kill -9

Two trainers writing one folder log every sample twice and leave a folder no resume can untangle. The lock is
``fcntl.flock`` on an open file: the kernel drops it when the process dies however it dies, so a killed run
never leaves a stale lock behind, and a lock file left on disk means nothing by itself. The holder writes its
PID into the file (after it holds the lock), so the refusal can name it. Under DDP rank 0 takes the lock.
Where ``fcntl`` does not exist (Windows) no lock is taken.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None  # type: ignore[assignment]

__all__ = ["RunLock", "RunFolderBusy", "LOCK_FILE"]

LOCK_FILE = ".lock"


class RunFolderBusy(ValueError):
    """Another process holds the run folder's lock."""


class RunLock:
    """The lock of one run folder, held from ``acquire`` until ``release`` (or the process's end)."""

    def __init__(self, folder: Path, fd: int | None) -> None:
        self.folder, self._fd = folder, fd

    @classmethod
    def acquire(cls, folder: str | os.PathLike) -> RunLock:
        """Take the folder's lock at once (creating the folder), or raise ``RunFolderBusy`` naming the holder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            return cls(folder, None)
        path = folder / LOCK_FILE
        # O_NOFOLLOW: a symlink planted as .lock is refused rather than followed to some other file.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f"process {holder}" if holder.isdigit() else "another process"
            raise RunFolderBusy(f"{folder} is in use by {who} (it holds {path}); wait for it to finish, or stop "
                                "it, before training in this folder") from None
        except BaseException:
            os.close(fd)
            raise
        try:  # the PID is only for the message a second trainer prints: a full disk must not stop this one
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass
        return cls(folder, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up (closing the file releases it); a second call does nothing."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
