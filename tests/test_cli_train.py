"""The `coursekit train` command: flags to config, exit statuses, resume, and one short real run."""

import json

import pytest

import coursekit.train.trainer
from coursekit.alarm.runlog import read_log
from coursekit.cli import EXIT_BAD_INPUT, main


@pytest.fixture
def fake_train(monkeypatch):
    """Replace the trainer's main(): record the config and resume flag it gets, return a chosen status."""
    calls = []

    def fake(cfg, resume=False, **kw):
        calls.append((cfg, resume))
        fake.kw = kw
        return fake.status

    fake.status = 3
    monkeypatch.setattr(coursekit.train.trainer, "main", fake)
    return calls, fake


def test_flags_become_the_config_and_the_status_passes_through(tmp_path, fake_train):
    calls, _ = fake_train
    args = ["train", "--profile", "rtx4090", "--scenario", "healthy", "--runner", "legacy", "--out", str(tmp_path),
            "--max-steps", "50", "--seed", "3", "--device", "cpu", "--sample-every", "7", "--gate", "v4", "--extra-file", "a.txt"]
    assert main(args) == 3  # halted by the gate
    (cfg, resume), = calls
    assert not resume
    assert (cfg.profile, cfg.scenario, cfg.runner, cfg.out_dir) == ("rtx4090", "healthy", "legacy", str(tmp_path))
    assert (cfg.max_steps, cfg.seed, cfg.device, cfg.alarm.every, cfg.extra_files) == (50, 3, "cpu", 7, ("a.txt",))
    assert cfg.alarm.gate == "v4"
    assert cfg.compile and cfg.model.n_layer == 16  # the rest is the profile's


def test_defaults(fake_train):
    calls, _ = fake_train
    main(["train"])
    cfg = calls[0][0]
    assert (cfg.profile, cfg.scenario, cfg.runner, cfg.out_dir) == ("cpu", "collapse", "firehose", "runs/cpu-collapse-firehose")
    assert cfg.alarm.gate == "v2"  # the course's trainer keeps the gate the course teaches unless told


def test_ctrl_c_exits_130_and_says_how_to_resume(tmp_path, monkeypatch, capsys):
    def interrupted(cfg, resume=False, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(coursekit.train.trainer, "main", interrupted)
    assert main(["train", "--out", str(tmp_path)]) == 130
    assert f"coursekit train --resume {tmp_path}" in capsys.readouterr().err


def test_resume_takes_only_max_steps_and_device(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path), "--scenario", "healthy", "--seed", "1"]) == EXIT_BAD_INPUT
    assert "--scenario, --seed cannot change" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path), "--gate", "v4"]) == EXIT_BAD_INPUT
    assert "--gate cannot change" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "nothing")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "cannot resume" in err and "nothing/config.json is unreadable" in err


def test_a_short_real_run_then_resume(tmp_path, capsys):
    # The real course data and the cpu profile's model, for a handful of steps.
    out = str(tmp_path / "run")
    assert main(["train", "--scenario", "healthy", "--max-steps", "4", "--sample-every", "2", "--out", out]) == 0
    printed = capsys.readouterr().out
    assert "coursekit train: completed 4 steps (exit status 0)" in printed
    assert "uniform guess: ln(8,449) = 9.04" in printed
    assert [r["step"] for r in read_log(f"{out}/samples.jsonl")[0]] == [2, 4]

    assert main(["train", "--out", out, "--scenario", "healthy"]) == EXIT_BAD_INPUT  # will not overwrite it
    assert "already holds a run" in capsys.readouterr().err

    assert main(["train", "--resume", out, "--max-steps", "6"]) == 0  # carry on to step 6
    assert [r["step"] for r in read_log(f"{out}/samples.jsonl")[0]] == [2, 4, 6]
    summary = json.loads(open(f"{out}/summary.json").read())
    assert summary["step"] == 6 and summary["scenario"] == "healthy"


@pytest.mark.parametrize(("content", "message"), [
    ("[1, 2]", "config.json must hold a JSON object, got list"),
    ("{garbage", "config.json is not valid JSON (Expecting property name"),
    ('{"max_steps": NaN}', "config.json is not valid JSON (NaN is not a JSON number)"),
    ('{"warp": 9}', "config.json: unknown TrainConfig fields ['warp']"),
])  # fmt: skip
def test_resume_with_an_unusable_config_json_exits_2_naming_it(tmp_path, capsys, content, message):
    (tmp_path / "config.json").write_text(content)
    assert main(["train", "--resume", str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("option", [["--max-steps", "-1"], ["--seed", "-3"], ["--sample-every", "0"],
                                    ["--continue-after-halt"]])
def test_bad_train_options_exit_2(tmp_path, capsys, fake_train, option):
    assert main(["train", "--out", str(tmp_path), *option]) == EXIT_BAD_INPUT
    assert fake_train[0] == []  # refused before training
    assert "--" in capsys.readouterr().err


def test_a_full_disk_is_one_clear_line(tmp_path, capsys, monkeypatch):
    def full(cfg, **kw):
        raise OSError(28, "No space left on device", f"{cfg.out_dir}/ckpt.pt")

    monkeypatch.setattr(coursekit.train.trainer, "main", full)
    assert main(["train", "--out", str(tmp_path)]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == (f"coursekit train: cannot write {tmp_path}/ckpt.pt: No space left on device "
                                       "(the disk is full: free some space)\n")


def test_a_read_only_folder_is_one_clear_line(capsys):
    from faults import small_tmpfs

    with small_tmpfs(64 * 1024, read_only=True) as ro:
        assert main(["train", "--out", str(ro / "run"), "--max-steps", "2"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("coursekit train: cannot write") and "Read-only file system" in err
    assert len(err.strip().splitlines()) == 1


def test_a_second_trainer_on_the_folder_exits_2(tmp_path, capsys):
    from coursekit.train.runlock import RunLock

    with RunLock.acquire(tmp_path):
        assert main(["train", "--out", str(tmp_path), "--max-steps", "2"]) == EXIT_BAD_INPUT
    assert "is in use by process" in capsys.readouterr().err


def test_continue_after_halt_reaches_the_trainer(tmp_path, fake_train):
    calls, _ = fake_train
    (tmp_path / "config.json").write_text(json.dumps({"out_dir": str(tmp_path), "max_steps": 9}))
    main(["train", "--resume", str(tmp_path), "--continue-after-halt", "--max-steps", "20"])
    assert calls[0][0].max_steps == 20 and calls[0][1] and fake_train[1].kw == {"continue_after_halt": True}


def test_the_profile_flag_offers_every_profile():
    from coursekit.cli_train import PROFILE_NAMES
    from coursekit.train.trainconfig import PROFILES

    assert PROFILE_NAMES == list(PROFILES)
