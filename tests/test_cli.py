"""The `coursekit score` command: text, stdin and run-log input, table and JSON output, exit statuses."""

import json
import subprocess
import sys

import pytest

from coursekit.alarm.metrics import eval_chat_quality
from coursekit.cli import EXIT_BAD_INPUT, main

REGION8 = " ".join(["region"] * 8)


def run_cli(*args, stdin=b""):
    """The real command in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "coursekit", *args], input=stdin, capture_output=True)


def test_score_text_prints_the_four_axes_total_and_verdict(capsys):
    assert main(["score", REGION8]) == 0
    out = capsys.readouterr().out
    # region x 8: 5.00 5.83 20.00 3.00 = 33.83, ok
    assert "5.00" in out and "5.83" in out and "20.00" in out and "3.00" in out and "33.83" in out
    assert "ok" in out and "DEGENERATE" not in out


def test_score_json_matches_the_reference(capsys):
    assert main(["score", "--json", " ".join(["region"] * 64)]) == 0
    obj = json.loads(capsys.readouterr().out)
    ref = eval_chat_quality(" ".join(["region"] * 64))
    assert obj["total"] == pytest.approx(ref.total, abs=1e-12) and obj["degenerate"] is True


def test_score_stdin():
    done = run_cli("score", "--json", stdin="''''' ''''' '' ''' ''".encode())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == pytest.approx(70.5)


def test_score_log(tmp_path, capsys):
    log = tmp_path / "samples.jsonl"
    log.write_text("".join(json.dumps({"step": s, "source": "wiki", "text": t, "loss_ema": 3.2}) + "\n"
                           for s, t in [(100, REGION8), (200, " ".join(["region"] * 64))]))
    assert main(["score", "--log", str(log), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["step"], r["source"], r["degenerate"]) for r in rows] == [(100, "wiki", False), (200, "wiki", True)]


def test_missing_log_exits_2_with_a_message():
    done = run_cli("score", "--log", "/no/such/file.jsonl")
    assert done.returncode == EXIT_BAD_INPUT == 2
    assert b"cannot read log" in done.stderr and done.stdout == b""


def test_malformed_log_line_named_by_number(tmp_path, capsys):
    log = tmp_path / "s.jsonl"
    log.write_text('{"step": 1, "source": "a", "text": "x"}\n{"step": 2, "sou\n')
    assert main(["score", "--log", str(log)]) == 2
    assert "s.jsonl:2" in capsys.readouterr().err
    assert main(["score", "--log", str(log), "--skip-bad", "--json"]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and ":2:" in captured.err and len(captured.out.splitlines()) == 1


def test_non_utf8_input_exits_2(tmp_path):
    log = tmp_path / "latin1.jsonl"
    log.write_bytes(b'{"step": 1, "source": "a", "text": "caf\xe9"}\n')
    assert run_cli("score", "--log", str(log)).returncode == 2
    done = run_cli("score", stdin=b"caf\xe9 \xff")
    assert done.returncode == 2 and b"UTF-8" in done.stderr


def test_text_and_log_together_refused(tmp_path, capsys):
    assert main(["score", "hello", "--log", str(tmp_path / "x")]) == 2
    assert "not both" in capsys.readouterr().err


def test_unknown_option_exits_2():
    assert run_cli("score", "--nope").returncode == 2


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "101", "x"])
def test_score_threshold_must_be_a_finite_number_in_0_100(value, capsys):
    # "nan" used to call a degenerate sample "ok" (every comparison with NaN is False)
    assert main(["score", REGION8, "--threshold", value]) == EXIT_BAD_INPUT
    assert "argument --threshold:" in capsys.readouterr().err


def test_score_log_escapes_control_characters_and_lone_surrogates(tmp_path):
    log = tmp_path / "s.jsonl"
    log.write_text('{"step": 1, "source": "a", "text": "\\u001b]0;pwned\\u0007 \\u202eevil \\ud800"}\n')
    done = run_cli("score", "--log", str(log))  # a real, UTF-8 stdout: the surrogate used to crash the print
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in done.stdout and "\u202e".encode() not in done.stdout
    assert rb"\x1b]0;pwned\x07 \u202eevil \ud800" in done.stdout
