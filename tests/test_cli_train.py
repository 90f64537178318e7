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
        return fake.status

    fake.status = 3
    monkeypatch.setattr(coursekit.train.trainer, "main", fake)
    return calls, fake


def test_flags_become_the_config_and_the_status_passes_through(tmp_path, fake_train):
    calls, _ = fake_train
    args = ["train", "--profile", "rtx4090", "--scenario", "healthy", "--runner", "legacy", "--out", str(tmp_path),
            "--max-steps", "50", "--seed", "3", "--device", "cpu", "--sample-every", "7", "--extra-file", "a.txt"]
    assert main(args) == 3  # halted by the gate
    (cfg, resume), = calls
    assert not resume
    assert (cfg.profile, cfg.scenario, cfg.runner, cfg.out_dir) == ("rtx4090", "healthy", "legacy", str(tmp_path))
    assert (cfg.max_steps, cfg.seed, cfg.device, cfg.alarm.every, cfg.extra_files) == (50, 3, "cpu", 7, ("a.txt",))
    assert cfg.compile and cfg.model.n_layer == 16  # the rest is the profile's


def test_defaults(fake_train):
    calls, _ = fake_train
    main(["train"])
    cfg = calls[0][0]
    assert (cfg.profile, cfg.scenario, cfg.runner, cfg.out_dir) == ("cpu", "collapse", "firehose", "runs/cpu-collapse-firehose")


def test_ctrl_c_exits_130_and_says_how_to_resume(tmp_path, monkeypatch, capsys):
    def interrupted(cfg, resume=False, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(coursekit.train.trainer, "main", interrupted)
    assert main(["train", "--out", str(tmp_path)]) == 130
    assert f"coursekit train --resume {tmp_path}" in capsys.readouterr().err


def test_resume_takes_only_max_steps_and_device(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path), "--scenario", "healthy", "--seed", "1"]) == EXIT_BAD_INPUT
    assert "--scenario, --seed cannot change" in capsys.readouterr().err
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
