"""coursekit.train.runlock: one holder at a time, the holder's PID in the refusal, released by close or death."""

import os

import pytest

from coursekit.train.runlock import LOCK_FILE, RunFolderBusy, RunLock


def test_one_holder_at_a_time_and_released_on_close(tmp_path):
    with RunLock.acquire(tmp_path / "run") as lock:
        assert lock.held and (tmp_path / "run" / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        with pytest.raises(RunFolderBusy, match=f"in use by process {os.getpid()}"):
            RunLock.acquire(tmp_path / "run")
    assert not lock.held
    RunLock.acquire(tmp_path / "run").release()  # free again; a lock file left on disk means nothing


def test_a_symlink_planted_as_the_lock_file_is_refused(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / LOCK_FILE).symlink_to(victim)
    with pytest.raises(OSError):
        RunLock.acquire(tmp_path / "run")
    assert victim.read_text() == "keep"
