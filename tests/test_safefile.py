"""coursekit.alarm.safefile: unique temp names, a planted symlink not followed, fsync, nothing torn or left over."""

import os

import pytest

from coursekit.alarm import safefile
from coursekit.alarm.safefile import TMP_PREFIX, replace_atomically


def test_replaces_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "a" / "f.json"
    replace_atomically(path, lambda fh: fh.write(b"one"))
    replace_atomically(path, lambda fh: fh.write(b"two"))
    assert path.read_bytes() == b"two" and os.listdir(path.parent) == ["f.json"]
    assert path.stat().st_mode & 0o777 == 0o644  # readable by the people sharing the folder, as before


def test_a_planted_symlink_at_the_old_fixed_temp_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "ckpt.pt.tmp").symlink_to(victim)  # the name the old code wrote through
    replace_atomically(tmp_path / "run" / "ckpt.pt", lambda fh: fh.write(b"new"))
    assert victim.read_text() == "keep me" and (tmp_path / "run" / "ckpt.pt").read_bytes() == b"new"


def test_the_file_and_the_folder_are_fsynced(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(safefile.os, "fsync", lambda fd: (synced.append(os.path.realpath(f"/proc/self/fd/{fd}")),
                                                          real(fd)))
    replace_atomically(tmp_path / "f", lambda fh: fh.write(b"x"))
    assert len(synced) == 2 and TMP_PREFIX in synced[0] and synced[1] == str(tmp_path)


def test_a_failed_write_or_check_keeps_the_old_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"old")

    def bad_check(tmp):
        assert tmp.read_bytes() == b"new" and tmp.name.startswith(TMP_PREFIX)
        raise ValueError("cannot verify")

    with pytest.raises(ValueError, match="cannot verify"):
        replace_atomically(path, lambda fh: fh.write(b"new"), check=bad_check)
    with pytest.raises(ZeroDivisionError):
        replace_atomically(path, lambda fh: 1 / 0)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["f"]


def test_fsync_file_syncs_an_existing_file_and_ignores_a_missing_one(tmp_path, monkeypatch):
    from coursekit.alarm.safefile import fsync_file

    synced = []
    monkeypatch.setattr(safefile.os, "fsync", lambda fd: synced.append(os.path.realpath(f"/proc/self/fd/{fd}")))
    (tmp_path / "log").write_text("x\n")
    fsync_file(tmp_path / "log")
    fsync_file(tmp_path / "missing")
    assert synced == [str(tmp_path / "log")]
