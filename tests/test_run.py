"""coursekit.train.run against faults: kill -9 at each named point, a second trainer, damaged or crafted files,
resume-time options, a full disk. Tiny seeded runs (tests/tinyrun.py); the kills are real (tests/faults.py).

The uninterrupted run (seed 2) halts at step 90 with 18 samples (steps 5, 10, ..., 90); every kill-and-resume
below must end with those very samples and halt.json at step 90.
"""

import errno
import json
import os
import signal
import subprocess
import sys

import pytest
import torch
from faults import flip_bit, run_killed_at, small_tmpfs, truncate
from tinyrun import Killed, clean_source, kill_at, run, tiny_config

from coursekit.alarm.runlog import read_log
from coursekit.alarm.safefile import TMP_PREFIX
from coursekit.train.checkpoint import CorruptCheckpoint, load_checkpoint
from coursekit.train.runfiles import RunFileError, read_resumes
from coursekit.train.runlock import RunFolderBusy, RunLock
from coursekit.train.trainer import EXIT_COMPLETED, EXIT_HALTED


def samples(out):
    # tokens/s and MFU are timings: everything else of a record is decided by the seed.
    return [{k: v for k, v in r.items() if k not in ("tokens_per_s", "mfu")} for r in read_log(out / "samples.jsonl")[0]]


def stop_at(step):
    def on_step(r):
        if r.step == step:
            raise KeyboardInterrupt  # as Ctrl-C: no final checkpoint

    return on_step


def files(out):
    """Every file of a run folder and its bytes (but the lock file, which holds the PID of its last holder)."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole")
    assert run(tiny_config(out, seed=2)) == EXIT_HALTED
    return samples(out)


def assert_same_as_whole(out, whole):
    assert samples(out) == whole and [r["step"] for r in whole] == list(range(5, 91, 5))
    assert json.loads((out / "halt.json").read_text())["step"] == 90
    assert json.loads((out / "summary.json").read_text())["step"] == 90
    assert not list(out.glob(TMP_PREFIX + "*"))  # no temp file of a killed write is left


# --- kill -9 at each named point, then resume ------------------------------------------------------------------


@pytest.mark.parametrize(("point", "nth"), [
    ("mid-checkpoint", 1),  # inside the step-0 checkpoint: nothing logged yet, the resume starts over
    ("after-sample", 7),  # sample at step 35 flushed; checkpoint at 20: the resume rewinds and redraws 25-35
    ("mid-checkpoint", 3),  # step 40's checkpoint written to its temp file, not renamed: 20's is used
    ("before-halt-json", 1),  # the halting checkpoint is saved, halt.json is not
    ("before-summary", 1),  # halt.json saved, summary.json not
])  # fmt: skip
def test_kill_9_at_a_named_point_then_resume_is_exact(tmp_path, whole, point, nth):
    assert run_killed_at(tmp_path, point, nth, seed=2) == -signal.SIGKILL
    assert run(tiny_config(tmp_path, seed=2), resume=True) == EXIT_HALTED
    assert_same_as_whole(tmp_path, whole)


def test_kill_9_during_a_resumes_log_rewind(tmp_path, whole):
    assert run_killed_at(tmp_path, "after-sample", 7, seed=2) == -signal.SIGKILL
    before = (tmp_path / "samples.jsonl").read_bytes()
    assert run_killed_at(tmp_path, "mid-rewind", 1, resume=True, seed=2) == -signal.SIGKILL
    assert (tmp_path / "samples.jsonl").read_bytes() == before  # the rewind's temp file never replaced it
    assert run(tiny_config(tmp_path, seed=2), resume=True) == EXIT_HALTED
    assert_same_as_whole(tmp_path, whole)


def test_a_torn_last_line_is_dropped_and_redrawn(tmp_path, whole):
    with pytest.raises(Killed):
        run(tiny_config(tmp_path, seed=2), on_step=kill_at(37))
    truncate(tmp_path / "samples.jsonl", drop=9)  # the kill tore the last line
    assert run(tiny_config(tmp_path, seed=2), resume=True) == EXIT_HALTED
    assert_same_as_whole(tmp_path, whole)


# --- one trainer per folder -----------------------------------------------------------------------------------


HOLD = """
import sys, time
from coursekit.train.runlock import RunLock
lock = RunLock.acquire(sys.argv[1])
print("held", flush=True)
time.sleep(120)
"""


def test_a_second_trainer_is_refused_at_once_naming_the_holder(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, env=env)
    try:
        assert holder.stdout.readline() == b"held\n"
        with pytest.raises(RunFolderBusy, match=f"in use by process {holder.pid}"):
            run(tiny_config(tmp_path, seed=2))
        assert sorted(p.name for p in tmp_path.iterdir()) == [".lock"]  # it wrote nothing
    finally:
        holder.kill()  # SIGKILL: the kernel drops the lock with the process
        holder.wait()
    assert run(tiny_config(tmp_path, seed=2, max_steps=5)) == EXIT_COMPLETED


def test_the_lock_is_held_for_the_runs_life_and_released_after(tmp_path):
    seen = []

    def try_lock(r):
        if r.step == 3:
            with pytest.raises(RunFolderBusy):
                RunLock.acquire(tmp_path)  # another open file description: flock refuses it, even in-process
            seen.append(r.step)

    assert run(tiny_config(tmp_path, max_steps=5), on_step=try_lock) == EXIT_COMPLETED
    assert seen == [3]
    RunLock.acquire(tmp_path).release()  # free again


# --- nothing in a run's files becomes a path; every file is checked ---------------------------------------------


def test_a_crafted_halt_json_writes_nothing_outside_the_folder(tmp_path):
    out = tmp_path / "run"
    assert run(tiny_config(out, max_steps=10), sources={"clean": clean_source()}) == EXIT_COMPLETED
    (out / "halt.json").write_text(json.dumps({"step": "/../../escaped"}))
    (out / "summary.json").write_text(json.dumps({"step": 500, "halted": False}))  # more than the checkpoint's 10
    with pytest.warns(RuntimeWarning) as warned:
        assert run(tiny_config(out, max_steps=20), sources={"clean": clean_source()}, resume=True) == EXIT_COMPLETED
    messages = [str(w.message) for w in warned]
    assert any("halt.json disagrees with ckpt.pt" in m for m in messages)
    assert any("summary.json disagrees with ckpt.pt (it claims step 500, the checkpoint is at 10)" in m
               for m in messages)
    assert sorted(p.name for p in tmp_path.rglob("*") if "escaped" in p.name) == []
    assert (out / "halt-untrusted.json").exists() and not (out / "halt.json").exists()
    assert json.loads((out / "summary-untrusted.json").read_text())["step"] == 500
    assert json.loads((out / "summary.json").read_text())["step"] == 20  # the run's own, written at its end


def test_a_garbage_or_stepless_halt_json_of_a_halted_run_is_rewritten_from_the_checkpoint(tmp_path, capsys):
    assert run(tiny_config(tmp_path, seed=2)) == EXIT_HALTED
    good = (tmp_path / "halt.json").read_text()
    for bad in ("{not json", json.dumps({"reason": "no step"})):
        (tmp_path / "halt.json").write_text(bad)
        assert run(tiny_config(tmp_path, seed=2), resume=True) == EXIT_HALTED  # used to be a KeyError
        err = capsys.readouterr().err
        assert "halt.json" in err and "rewritten from the checkpoint" in err
        assert (tmp_path / "halt.json").read_text() == good


def test_a_flipped_bit_in_the_weights_is_caught_and_the_checkpoint_kept(tmp_path):
    assert run(tiny_config(tmp_path, seed=2, max_steps=40)) == EXIT_COMPLETED
    ckpt = tmp_path / "ckpt.pt"
    weights = load_checkpoint(ckpt)["model"]["lm_head.weight"]
    flip_bit(ckpt, offset=ckpt.read_bytes().index(weights.numpy().tobytes()) + 101, bit=3)  # one weight's bit
    damaged = ckpt.read_bytes()
    with pytest.raises(CorruptCheckpoint, match="ckpt.pt is"):
        run(tiny_config(tmp_path, seed=2, max_steps=60), resume=True)
    assert ckpt.read_bytes() == damaged  # nothing saved over it


def test_a_checkpoint_with_bad_fields_is_refused_naming_the_field(tmp_path):
    from coursekit.train.checkpoint import save_checkpoint

    assert run(tiny_config(tmp_path, max_steps=10)) == EXIT_COMPLETED
    state = load_checkpoint(tmp_path / "ckpt.pt")
    save_checkpoint(tmp_path / "ckpt.pt", {**state, "loss_ema": float("nan")})  # a valid digest, a bad value
    with pytest.raises(RunFileError, match="ckpt.pt: loss_ema must be a finite number"):
        run(tiny_config(tmp_path, max_steps=20), resume=True)


def test_missing_checkpoint_beside_a_log_is_refused_and_nothing_changes(tmp_path):
    with pytest.raises(Killed):
        run(tiny_config(tmp_path, seed=2), on_step=kill_at(22))
    (tmp_path / "ckpt.pt").unlink()
    before = files(tmp_path)
    with pytest.raises(RunFileError, match="holds samples but there is no ckpt.pt"):
        run(tiny_config(tmp_path, seed=2), resume=True)
    assert files(tmp_path) == before  # the log used to be wiped to 0 lines


# --- resume-time options and halts are recorded ----------------------------------------------------------------


def test_a_new_max_steps_outlives_a_kill_of_the_resumed_run(tmp_path):
    healthy = {"clean": clean_source(), "prose": clean_source("prose", seed=1)}
    assert run(tiny_config(tmp_path, max_steps=40), sources=healthy) == EXIT_COMPLETED
    with pytest.raises(KeyboardInterrupt):  # resumed to 80, stopped at 65 (Ctrl-C): checkpoint at 60
        run(tiny_config(tmp_path, max_steps=80), sources=healthy, resume=True, on_step=stop_at(65))
    assert json.loads((tmp_path / "config.json").read_text())["max_steps"] == 80  # what a plain --resume reads
    assert [(r.step, r.max_steps) for r in read_resumes(tmp_path)] == [(40, 80)]
    from coursekit.cli import build_parser
    from coursekit.cli_train import train_config

    cfg = train_config(build_parser().parse_args(["train", "--resume", str(tmp_path)]))
    assert cfg.max_steps == 80


def test_a_halted_run_stays_halted_on_resume(tmp_path, capsys):
    assert run(tiny_config(tmp_path, seed=2)) == EXIT_HALTED
    before = {k: v for k, v in files(tmp_path).items() if k != "summary.json"}
    for max_steps in (200, 90, 50):  # at or below its step used to exit 0 with halted: false
        assert run(tiny_config(tmp_path, seed=2, max_steps=max_steps), resume=True) == EXIT_HALTED
        assert "halted at step 90 and stays halted" in capsys.readouterr().err
    assert {k: v for k, v in files(tmp_path).items() if k != "summary.json"} == before


def test_continue_after_halt_is_recorded_so_a_killed_continuation_continues(tmp_path, whole):
    assert run(tiny_config(tmp_path, seed=2)) == EXIT_HALTED
    with pytest.raises(KeyboardInterrupt):  # continued past the halt, stopped at 92 before the next sample
        run(tiny_config(tmp_path, seed=2, max_steps=200), resume=True, continue_after_halt=True,
            on_step=stop_at(92))
    assert read_resumes(tmp_path)[-1].continue_after_halt
    # Resumed again without the flag: the record says this halt was passed, so it trains on and halts at 95.
    assert run(tiny_config(tmp_path, seed=2, max_steps=200), resume=True) == EXIT_HALTED
    assert json.loads((tmp_path / "halt.json").read_text())["step"] == 95
    assert json.loads((tmp_path / "halt-step90.json").read_text())["step"] == 90
    assert samples(tmp_path)[:18] == whole


# --- full and read-only disks ---------------------------------------------------------------------------------


def test_a_full_disk_at_a_checkpoint_is_an_oserror_and_keeps_the_last_checkpoint(tmp_path):
    with small_tmpfs(160 * 1024) as disk:  # room for one tiny checkpoint (~60 KiB) and the log, not two
        with pytest.raises(OSError) as caught:
            run(tiny_config(disk / "run", seed=2))
        assert caught.value.errno == errno.ENOSPC and "ckpt.pt" in str(caught.value.filename)
        step = load_checkpoint(disk / "run" / "ckpt.pt")["step"]  # the last good one, still verified
        assert step % 20 == 0 and not list((disk / "run").glob(TMP_PREFIX + "*"))


def test_state_digest_sees_every_tensor_byte():
    from coursekit.train.checkpoint import state_digest

    a = {"w": torch.zeros(4), "n": [1, 2.5, None]}
    b = {"w": torch.tensor([0.0, 0.0, 0.0, 1e-45]), "n": [1, 2.5, None]}  # one bit differs
    assert state_digest(a) != state_digest(b) and state_digest(a) == state_digest({"n": [1, 2.5, None], "w": torch.zeros(4)})
