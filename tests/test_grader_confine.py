"""Confinement: the private copy, the sandbox's view, rlimits, a scrubbed environment, no process left behind."""

import os
import resource
import subprocess
import sys
import time

import pytest

from coursekit.course.grader import confine
from coursekit.course.grader.confine import TOKEN_ENV, Limits, Sandbox, kill_leftovers, private_copy, sandbox_available
from coursekit.course.grader.runner import confinement_note

PROBE = """
import os, resource, socket, sys
hidden, outside = sys.argv[1], sys.argv[2]
print("uid", os.getuid())
print("as", resource.getrlimit(resource.RLIMIT_AS)[0], "fsize", resource.getrlimit(resource.RLIMIT_FSIZE)[0])
print("env", sorted(k for k in os.environ if k.startswith("SECRET")))
print("hidden", os.listdir(hidden) if os.path.isdir(hidden) else "gone")
try:
    open(outside, "w").write("x")
    print("wrote outside")
except OSError:
    print("outside refused")
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    print("network on")
except OSError:
    print("network off")
open("made-here", "w").write("ok")
"""


def test_private_copy_takes_files_and_no_links(tmp_path):
    src = tmp_path / "alice"
    (src / "sub").mkdir(parents=True)
    (src / "02_hand_scoring.ipynb").write_text("{}")
    (src / "sub" / "notes.txt").write_text("n")
    (tmp_path / "bob.txt").write_text("bob's")
    (src / "link.txt").symlink_to(tmp_path / "bob.txt")  # a link could name another learner's file
    (src / "linkdir").symlink_to(tmp_path)
    private_copy(src, tmp_path / "copy", None)
    got = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*"))
    assert got == ["02_hand_scoring.ipynb", "sub", "sub/notes.txt"]


def _sandbox(tmp_path, use_bwrap):
    work, run, hidden = tmp_path / "g" / "work", tmp_path / "g" / "run", tmp_path / "others"
    uid = confine.UID_BASE + 7 if os.geteuid() == 0 else None
    hidden.mkdir()
    (hidden / "bob.ipynb").write_text("bob's work")
    (tmp_path / "g").mkdir()
    os.chmod(tmp_path / "g", 0o711)
    private_copy(hidden, work, uid)
    run.mkdir()
    return Sandbox(work, run, [hidden], Limits(address_space=3 * 2**30, file_size=2**20), uid, "tok", use_bwrap), hidden


@pytest.mark.skipif(sandbox_available() is not None, reason=f"no bubblewrap sandbox here: {sandbox_available()}")
def test_the_sandbox_hides_others_blocks_writes_and_network_and_drops_privileges(tmp_path, monkeypatch):
    os.chmod(tmp_path, 0o711)
    box, hidden = _sandbox(tmp_path, True)
    monkeypatch.setenv("SECRET_TOKEN", "instructor's")
    outside = tmp_path / "outside.txt"
    done = subprocess.run(box.argv([sys.executable, "-c", PROBE, str(hidden), str(outside)]), capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert f"as {3 * 2**30} fsize {2**20}" in lines and "env []" in lines
    assert "hidden []" in lines and "outside refused" in lines and "network off" in lines
    assert not outside.exists() and (box.workdir / "made-here").exists()
    if os.geteuid() == 0:
        assert f"uid {confine.UID_BASE + 7}" in lines


def test_weaker_confinement_still_limits_and_scrubs_and_is_announced(tmp_path, monkeypatch):
    os.chmod(tmp_path, 0o711)
    box, hidden = _sandbox(tmp_path, False)
    box.uid = None  # the interpreter may sit in a folder only root can enter (pyenv under /root)
    monkeypatch.setenv("SECRET_TOKEN", "instructor's")
    done = subprocess.run(box.argv([sys.executable, "-c", PROBE, str(hidden), str(tmp_path / "o.txt")]),
                          capture_output=True, text=True, timeout=60, cwd=box.workdir)  # fmt: skip
    lines = done.stdout.splitlines()
    assert f"as {3 * 2**30} fsize {2**20}" in lines and "env []" in lines
    confine.sandbox_available.cache_clear()
    monkeypatch.setattr(confine.shutil, "which", lambda name: None)
    try:
        from coursekit.course.grader import runner

        monkeypatch.setattr(runner, "sandbox_available", confine.sandbox_available)
        assert confinement_note().startswith("WARNING: weaker confinement: bubblewrap (bwrap) is not installed")
    finally:
        confine.sandbox_available.cache_clear()


def test_leftovers_are_found_by_token_and_killed():
    env = {**os.environ, TOKEN_ENV: "ck13-leftover"}
    daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while daemon.pid not in confine.leftovers(None, "ck13-leftover") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert daemon.pid in confine.leftovers(None, "ck13-leftover")
        assert kill_leftovers(None, "ck13-leftover") == []
        assert daemon.wait(timeout=10) == -9
    finally:
        if daemon.poll() is None:
            daemon.kill()


def test_default_limits_are_finite():
    lim = Limits()
    assert all(v > 0 for v in (lim.address_space, lim.processes, lim.file_size)) and lim.cpu_seconds == 0  # runner sets it
    assert resource.RLIM_INFINITY not in (lim.address_space, lim.file_size)


@pytest.mark.skipif(os.geteuid() != 0, reason="a uid of their own per learner is for graders running as root")
def test_two_gradings_never_share_a_uid():
    with confine.grading_uid() as first, confine.grading_uid() as second:
        assert first != second and confine.UID_BASE <= min(first, second)
    with confine.grading_uid() as again:
        assert again == min(first, second)  # released, so taken again


def test_the_worker_takes_the_kernel_s_address_space_limit():
    # A kernel that floods its output fills the worker's memory (nbclient keeps every output): with the kernel's
    # limit on the worker too, 2 GiB of it fails there, with 1 GiB as the limit, and nothing else is touched.
    import subprocess
    import sys

    code = ("from coursekit.course.grader.worker import _limit_memory\n"
            "_limit_memory({'sandbox': {'limits': {'address_space': 2**30}}})\n"
            "try:\n    b = bytearray(2 * 2**30)\nexcept MemoryError:\n    print('MemoryError')\n")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "MemoryError", out.stderr[-500:]
