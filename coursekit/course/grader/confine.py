"""Confinement of one learner's kernel: a private copy, a sandbox, limits, and no process left behind.

What each platform gets (docs/instructor_guide.md, "Grading safely", says the same for instructors):

- Linux with bubblewrap (``bwrap``) working: the kernel sees the file system read-only, its own private copy of
  the learner's folder writable, an empty /tmp, and none of the submission folders; no network (its own network
  namespace); its own PID namespace, so killing the sandbox kills every process the learner started.
- Running as root (CI, a grading server): additionally a uid of its own per learner (the first free one from
  61000, locked so that two gradings never share one), which the kernel cannot leave; after each learner every
  process of that uid is killed and the kill verified.
- No working bwrap (no user namespaces, not Linux): a WEAKER confinement, announced on stderr, never silent:
  the private copy as working directory, a scrubbed environment and the rlimits, but other files readable and
  the network on; leftover processes are found by a token in their environment (and by uid as root, when the
  learner's uid can reach the Python interpreter; if not, e.g. pyenv under /root, the kernel keeps root's uid and
  the announcement says so).

Everywhere: rlimits on address space, CPU seconds, processes and file size (launch.py), a scrubbed environment,
the submission folder off the grader's own ``sys.path``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ["Limits", "Sandbox", "grading_uid", "sandbox_available", "uid_can_run_python", "private_copy", "leftovers", "kill_leftovers", "TOKEN_ENV"]

TOKEN_ENV = "COURSEKIT_SANDBOX"  # every learner process carries its grading's token: how leftovers are found
UID_BASE = 61000  # as root, each learner's kernel runs as a free uid from here up (no /etc/passwd entry needed)
UID_COUNT = 1000
MAX_COPY_BYTES = 200 * 2**20  # a learner folder larger than this is not copied (error for that learner)


@dataclass(frozen=True)
class Limits:
    """Per-kernel resource limits (0: not limited)."""

    address_space: int = 8 * 2**30  # bytes; PyTorch reserves much address space it never touches
    cpu_seconds: int = 0  # 0 here: the runner sets (notebook + cell limit) x cores, a backstop to the wall clock
    processes: int = 128
    file_size: int = 256 * 2**20


@lru_cache(maxsize=1)
def sandbox_available() -> str | None:
    """Why bubblewrap cannot confine kernels here, or None when it can (checked once, by running it)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    probe = [bwrap, *_namespaces(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bwrap did not run: {e}"
    if done.returncode != 0:
        return f"bwrap cannot create namespaces here ({done.stderr.strip()[:200]})"
    return None


@lru_cache(maxsize=1)
def uid_can_run_python() -> bool:
    """Whether a learner's uid can start this Python outside a sandbox (pyenv under /root, say, it cannot)."""
    launch = [sys.executable, "-I", str(Path(__file__).with_name("launch.py")), "--uid", str(UID_BASE), "--",
              sys.executable, "-c", "pass"]  # fmt: skip
    try:
        return subprocess.run(launch, capture_output=True, timeout=30, cwd="/").returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _namespaces() -> list[str]:
    # As root there is no user namespace (the kernel drops to the learner's uid instead); otherwise one is needed.
    common = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"]
    return common if os.geteuid() == 0 else ["--unshare-user", *common]


@contextlib.contextmanager
def grading_uid() -> Iterator[int]:
    """A uid no other grading (in this or another process) is using and no process runs as, held until the
    block ends: leftovers are then killed by uid without touching anyone else's kernel. Root only."""
    locks = Path(tempfile.gettempdir()) / f"coursekit-grade-uids-{os.geteuid()}"
    locks.mkdir(mode=0o700, exist_ok=True)
    info = locks.lstat()
    if info.st_uid != os.geteuid() or info.st_mode & 0o077 or not locks.is_dir() or locks.is_symlink():
        raise OSError(f"{locks} is not a private folder of this user: refusing to use it for grading locks")
    for uid in range(UID_BASE, UID_BASE + UID_COUNT):
        fd = os.open(locks / f"{uid}.lock", os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if leftovers(uid, ""):  # something still runs as this uid: not ours to kill, take another
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)
        return
    raise OSError(f"no free grading uid in {UID_BASE}-{UID_BASE + UID_COUNT - 1}")


def private_copy(src: Path, dest: Path, uid: int | None) -> None:
    """Copy the learner's folder (or lone notebook) to ``dest``: no symlinks followed or kept, size capped."""
    dest.mkdir(parents=True)
    total = 0
    if src.is_file():
        shutil.copyfile(src, dest / src.name)
    else:
        for root, dirs, files in os.walk(src, followlinks=False):
            rel = Path(root).relative_to(src)
            dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
            for d in dirs:
                (dest / rel / d).mkdir()
            for f in files:
                path = Path(root) / f
                if path.is_symlink() or not path.is_file():
                    continue  # a link could name another learner's file
                total += path.stat().st_size
                if total > MAX_COPY_BYTES:
                    raise OSError(f"the learner's folder is larger than {MAX_COPY_BYTES // 2**20} MiB")
                shutil.copyfile(path, dest / rel / f)
    if uid is not None:
        for root, dirs, files in os.walk(dest):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.chown(name, uid, uid)


@dataclass
class Sandbox:
    """How one learner's kernel is started: wrap ``kernel_argv`` with ``argv``."""

    workdir: Path  # the private copy, the kernel's working directory and home
    runtime: Path  # connection file and sockets (bound writable)
    hidden: list[Path] = field(default_factory=list)  # folders the kernel must not see (submissions, other copies)
    limits: Limits = field(default_factory=Limits)
    uid: int | None = None  # as root: the learner's uid
    token: str = ""
    use_bwrap: bool = True

    def env(self) -> dict[str, str]:
        import coursekit

        package_root = str(Path(coursekit.__file__).resolve().parent.parent)
        return {"PATH": os.defpath + ":" + str(Path(sys.executable).parent), "HOME": str(self.workdir),
                "IPYTHONDIR": str(self.workdir / ".ipython"), "MPLCONFIGDIR": str(self.workdir / ".mpl"),
                "MPLBACKEND": "Agg", "LANG": "C.UTF-8", "PYTHONPATH": package_root, "PYTHONNOUSERSITE": "1",
                "OMP_NUM_THREADS": "1", TOKEN_ENV: self.token}  # fmt: skip

    def argv(self, kernel_argv: list[str]) -> list[str]:
        lim = self.limits
        # By file path, isolated (-I): the launcher trusts no environment and nothing in the learner's folder.
        launch = [sys.executable, "-I", str(Path(__file__).with_name("launch.py")),
                  "--limits", f"{lim.address_space},{lim.cpu_seconds},{self._nproc()},{lim.file_size}"]  # fmt: skip
        if self.uid is not None:
            launch += ["--uid", str(self.uid)]
        for key, value in self.env().items():
            launch += ["--env", f"{key}={value}"]
        launch += ["--", *kernel_argv]
        if not self.use_bwrap:
            return launch
        box = ["bwrap", *_namespaces(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]  # fmt: skip
        if self.uid is not None:  # the learner's uid must reach Python and coursekit, and nothing else private
            for private, needed in _closed_ancestors():
                box += ["--perms", "0755", "--tmpfs", str(private)]
                for path in needed:
                    between = [f for f in reversed(path.parents) if private in f.parents]
                    for folder in between:  # bwrap would make these 0700: the learner's uid must pass through
                        box += ["--perms", "0755", "--dir", str(folder)]
                    box += ["--ro-bind", str(path), str(path)]
        for path in self.hidden:  # an empty folder or file in place of each: no other learner's files
            box += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
        for folder in {self.workdir.parent, self.runtime.parent}:  # under the new /tmp: passable by the learner's uid
            box += ["--perms", "0711", "--dir", str(folder)]
        box += ["--bind", str(self.workdir), str(self.workdir), "--bind", str(self.runtime), str(self.runtime),
                "--chdir", str(self.workdir), "--clearenv", "--setenv", TOKEN_ENV, self.token, "--"]  # fmt: skip
        return box + launch

    def _nproc(self) -> int:
        # RLIMIT_NPROC counts every process of the real uid: exact for a learner's own uid; otherwise allow for the
        # instructor's own processes already running.
        if self.uid is not None or self.limits.processes == 0:
            return self.limits.processes
        return self.limits.processes + len(_pids_where(uid=os.getuid()))


def _closed_ancestors() -> list[tuple[Path, list[Path]]]:
    """(closed folder, what the kernel needs below it) for each folder others may not enter, e.g. /root holding
    pyenv's Python: in the sandbox the folder becomes an empty tmpfs with just that path bound back, read-only."""
    import coursekit

    needed = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(coursekit.__file__).resolve().parent.parent,
              Path(sys.executable).resolve().parent}  # fmt: skip
    needed = {p for p in needed if not any(q in p.parents for q in needed)}  # a folder covers its sub-folders
    out: dict[Path, list[Path]] = {}
    for path in sorted(needed):
        for folder in reversed(path.parents):
            if folder != Path("/") and not os.stat(folder).st_mode & 0o001:
                out.setdefault(folder, []).append(path)
                break
    return sorted(out.items())


def _pids_where(uid: int | None = None, token: str | None = None) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if uid is not None:
                status = (entry / "status").read_text()
                real = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
                if int(real) == uid:
                    found.append(int(entry.name))
            if token and f"{TOKEN_ENV}={token}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, StopIteration, ValueError):
            continue  # gone meanwhile, or not ours to read
    return sorted(set(found))


def leftovers(uid: int | None, token: str) -> list[int]:
    """PIDs of processes still running for one learner: by the learner's uid (root) and by the grading token."""
    if not Path("/proc").is_dir():
        return []
    return _pids_where(uid=uid, token=token)


def kill_leftovers(uid: int | None, token: str, wait_s: float = 5.0) -> list[int]:
    """SIGKILL every leftover process until none is left or ``wait_s`` passes; returns the survivors."""
    deadline = time.monotonic() + wait_s
    while True:
        pids = leftovers(uid, token)
        if not pids or time.monotonic() > deadline:
            return pids
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)
