"""The back-tester: trigger step, resets, malformed lines, streaming, compute saved, the report and the CLI."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.runlog import MalformedLine
from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.replay import (
    backtest,
    compute_saved,
    format_report,
    implied_steps_per_min,
    iter_backtest,
)
from coursekit.cli import main

GOOD = "The river rises in the hills north of the town and flows south to join the sea."  # scores > 90
BAD = " ".join(["region"] * 64)  # 0.5556 + 0.5645 + 20 + 3 = 24.12 (docs/specification.md §4): degenerate


def recs(pattern: str, every: int = 100) -> list[dict]:
    """'GGBB...' -> records at steps 100, 200, ... with a good or a bad text."""
    return [{"step": every * (i + 1), "source": "wiki", "text": GOOD if c == "G" else BAD, "loss_ema": None}
            for i, c in enumerate(pattern)]


def write_log(path, lines: list[str]) -> str:
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


# --- the trigger and the resets -------------------------------------------------------------------------------


def test_hand_worked_trigger_and_resets():
    # B B G B B B B B: the G at step 300 resets a run of 2 that began at 100; then 400..800 are five in a row.
    r = backtest(recs("BBGBBBBB"))
    assert r.trigger_step == 800
    assert (r.n_samples, r.n_degenerate, r.first_step, r.last_step) == (8, 7, 100, 800)
    assert [d.consecutive for d in r.decisions] == [1, 2, 0, 1, 2, 3, 4, 5]
    [reset] = r.resets
    assert (reset.step, reset.run_length, reset.run_start, reset.text) == (300, 2, 100, GOOD)
    assert r.resets_before_trigger == [reset]


def test_one_bad_sample_never_triggers_and_other_gates_are_honoured():
    assert backtest(recs("GBGBGBGB")).trigger_step is None
    assert backtest(recs("GBBG"), CoherenceGate(patience=2)).trigger_step == 300
    assert backtest(recs("GGGG"), CoherenceGate(threshold=99.5, patience=1)).trigger_step == 100  # GOOD: 99.0


@settings(max_examples=60, deadline=None)
@given(pattern=st.text(alphabet="GB", max_size=40), patience=st.integers(1, 6))
def test_trigger_is_the_first_run_of_patience_bad_samples(pattern, patience):
    r = backtest(recs(pattern), CoherenceGate(patience=patience))
    ends = [i for i in range(len(pattern)) if i + 1 >= patience and pattern[i + 1 - patience : i + 1] == "B" * patience]
    assert r.trigger_step == (100 * (ends[0] + 1) if ends else None)
    assert r.n_resets == len([i for i in range(1, len(pattern)) if pattern[i - 1 : i + 1] == "BG"])
    assert all(res.run_length >= 1 and res.score.total >= 30 for res in r.resets)


def test_v1_reconstruction_fires_at_132000_and_explains_why_not_80000():
    r = backtest(v1_log_path())
    assert (r.trigger_step, r.n_samples) == (132_000, 825)
    held = r.resets_before_trigger
    assert held and all(res.run_length < 5 and res.score.total >= 30 for res in held)
    # Degenerate runs had begun by 80,000 and were cut short by samples from sources that had not collapsed.
    assert any(res.run_start < 80_000 for res in held)
    assert {res.source for res in held} >= {"code", "books", "chat"}


# --- malformed, truncated and odd input -------------------------------------------------------------------------


def test_malformed_and_truncated_lines_stop_or_are_skipped_and_reported(tmp_path):
    lines = [json.dumps(r) + "\n" for r in recs("BBBBBB")]
    lines[2] = "{not json\n"  # line 3: malformed
    lines[5] = lines[5][:20]  # line 6: truncated by a kill mid-write (no newline)
    path = write_log(tmp_path / "log.jsonl", lines)
    with pytest.raises(MalformedLine) as e:
        backtest(path)
    assert e.value.lineno == 3
    seen = []
    r = backtest(path, errors="skip", on_error=seen.append)
    assert [b.lineno for b in r.bad_lines] == [3, 6] == [b.lineno for b in seen]
    assert r.n_samples == 4 and r.trigger_step is None  # 4 bad samples left: one short of the patience
    assert "Skipped 2 malformed line(s)" in format_report(r)


def test_bad_in_memory_records_name_what_they_got():
    with pytest.raises(ValueError, match="record #1 is not a run-log record"):
        backtest([{"step": 1, "text": GOOD}, {"step": 2}])
    with pytest.raises(TypeError, match="single record"):
        backtest({"step": 1, "text": GOOD})
    with pytest.raises(TypeError, match="expects text as str, got int"):
        backtest([{"step": 1, "text": 5}])
    with pytest.raises(ValueError, match="max_resets"):
        backtest([], max_resets=-1)


# --- streaming ------------------------------------------------------------------------------------------------


def test_iter_backtest_streams_an_endless_log():
    endless = ({"step": i, "source": "x", "text": BAD} for i in itertools.count(1))
    first = list(itertools.islice(iter_backtest(endless), 6))
    assert [d.halt for d in first] == [False] * 4 + [True, True]


def test_summary_mode_keeps_no_decisions_and_caps_resets():
    r = backtest(recs("BG" * 50), keep_decisions=False, max_resets=3)
    assert r.decisions == [] and r.n_samples == 100 and r.n_degenerate == 50
    assert len(r.resets) == 3 and r.n_resets == 50
    assert "47 later resets not kept" in format_report(r)


# --- compute saved --------------------------------------------------------------------------------------------


def test_compute_saved_hand_checked():
    # 33,000 steps / 6 steps/min = 5,500 min = 91.67 h = 3.819 days; 91.67 h x 0.130 kW = 11.92 kWh.
    s = compute_saved(33_000, 6, 130)
    assert (s.minutes, s.hours) == (5500.0, pytest.approx(91.6666667))
    assert s.days == pytest.approx(3.8194444) and s.kwh == pytest.approx(11.9166667)
    # 165,000 steps / (16.1 days x 1,440 min) = 165,000 / 23,184 = 7.11698 steps/min.
    assert implied_steps_per_min() == pytest.approx(7.1169772)
    # At 7.1 steps/min: 33,000 / 7.1 = 4,647.9 min = 77.46 h = 3.23 days, 10.07 kWh.
    s = compute_saved(33_000, 7.1, 130)
    assert s.hours == pytest.approx(77.4647887) and s.days == pytest.approx(3.2276995)
    assert s.kwh == pytest.approx(10.0704225)


@given(a=st.integers(0, 10**7), b=st.integers(0, 10**7), rate=st.floats(0.1, 1000), watts=st.floats(0, 2000))
def test_compute_saved_is_linear_in_steps(a, b, rate, watts):
    s_ab, s_a, s_b = (compute_saved(n, rate, watts) for n in (a + b, a, b))
    assert s_ab.hours == pytest.approx(s_a.hours + s_b.hours)
    assert s_ab.kwh == pytest.approx(s_ab.hours * watts / 1000)
    assert s_ab.days == pytest.approx(s_ab.hours / 24)


def test_compute_saved_rejects_bad_input_naming_it():
    with pytest.raises(TypeError, match="steps must be an int, got bool"):
        compute_saved(True, 6, 130)
    with pytest.raises(ValueError, match="steps must be >= 0, got -1"):
        compute_saved(-1, 6, 130)
    with pytest.raises(ValueError, match="steps_per_min must be > 0, got 0"):
        compute_saved(10, 0, 130)
    with pytest.raises(ValueError, match="watts must be >= 0, got nan"):
        compute_saved(10, 6, float("nan"))
    with pytest.raises(TypeError, match="steps_per_min must be a number, got str"):
        compute_saved(10, "6", 130)


# --- the report and the CLI -------------------------------------------------------------------------------------


def test_report_shows_both_rates_and_why():
    text = format_report(backtest(v1_log_path()))
    for figure in ("step 132,000", "33,000 steps", "5,500 min", "91.7 h", "3.8 days", "11.9 kWh", "at 7.1 steps/min",
                   "77.3 h", "3.2 days", "10.0 kWh", "19.1 days", "Why not earlier"):
        assert figure in text, figure
    assert "never fires" in format_report(backtest(recs("GGG")))


def test_cli_backtest_text_json_and_plot(tmp_path, capsys):
    assert main(["backtest"]) == 0  # defaults to the v1 reconstruction
    out = capsys.readouterr().out
    assert "The gate fires at step 132,000." in out and "7.1 steps/min" in out
    assert main(["backtest", str(v1_log_path()), "--json", "--steps-per-min", "7.1", "--watts", "0"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["trigger_step"] == 132_000 and data["saved"]["given"]["kwh"] == 0
    assert data["saved"]["given"]["hours"] == pytest.approx(77.4647887)
    png = tmp_path / "v1.png"
    assert main(["backtest", "--plot", str(png), "--patience", "3", "--sensitivity"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    three = backtest(v1_log_path(), CoherenceGate(patience=3)).trigger_step
    assert f"[{three / 1000:.1f}]" in capsys.readouterr().out  # the (30, 3) cell is the one bracketed


def test_cli_backtest_bad_input_exits_2(tmp_path, capsys):
    path = write_log(tmp_path / "log.jsonl", [json.dumps(recs("B")[0]) + "\n", "oops\n"])
    assert main(["backtest", path]) == 2
    assert "log.jsonl:2:" in capsys.readouterr().err
    assert main(["backtest", path, "--skip-bad"]) == 0
    assert "skipped" in capsys.readouterr().err
    assert main(["backtest", str(tmp_path / "missing.jsonl")]) == 2
    assert main(["backtest", "--threshold", "120"]) == 2
    assert main(["backtest", "--steps-per-min", "0"]) == 2
    assert "--steps-per-min: must be > 0, got 0" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--steps-per-min", "nan"], ["--watts", "inf"], ["--watts", "-1"],
                                    ["--threshold", "nan"], ["--patience", "0"], ["--kill-step", "-5"]])
def test_cli_backtest_refuses_non_finite_and_out_of_range_options(option, capsys):
    assert main(["backtest", *option]) == 2
    err = capsys.readouterr().err
    assert f"argument {option[0]}: must be" in err and "Traceback" not in err


def test_cli_backtest_checks_the_figure_name_before_any_work(tmp_path, capsys, monkeypatch):
    import coursekit.cli

    monkeypatch.setattr(coursekit.cli, "backtest", lambda *a, **k: pytest.fail("the log was read before the check"))
    assert main(["backtest", "--plot", str(tmp_path / "x.xyz")]) == 2
    assert "('.xyz'); end its name in one of" in capsys.readouterr().err
    (tmp_path / "adir").mkdir()
    assert main(["backtest", "--plot", str(tmp_path / "adir")]) == 2  # used to write adir.png and say "wrote adir"
    assert "(no extension)" in capsys.readouterr().err
    assert main(["backtest", "--sensitivity-plot", str(tmp_path / "no" / "such" / "g.png")]) == 2
    assert "the folder" in capsys.readouterr().err and "does not exist" in capsys.readouterr().err + "does not exist"


def test_cli_backtest_streams_unless_a_figure_or_the_grid_needs_decisions(monkeypatch, tmp_path):
    import coursekit.cli

    kept = []

    def spy(*args, **kw):
        kept.append(kw["keep_decisions"])
        return backtest(*args, **kw)

    monkeypatch.setattr(coursekit.cli, "backtest", spy)
    assert main(["backtest", "--json"]) == 0
    assert main(["backtest", "--sensitivity"]) == 0
    assert main(["backtest", "--plot", str(tmp_path / "v1.png")]) == 0
    assert kept == [False, True, True]


def test_cli_backtest_escapes_control_characters_in_texts(tmp_path, capsys):
    # One degenerate sample, then a healthy one with an OSC title sequence, a right-to-left override and a lone
    # surrogate (JSON escapes in the file): the healthy one resets the counter, so the report prints its text.
    bad = " ".join(["region"] * 64)
    good = r"\u001b]0;pwned\u0007 \u202e \ud800 the quick brown fox jumps over the lazy dog and more words"
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"step": 1, "source": "a", "text": bad}) + "\n"
                    + '{"step": 2, "source": "s\\u001b[31m", "text": "' + good + '"}\n', encoding="utf-8")
    assert main(["backtest", str(path)]) == 0  # a lone surrogate used to crash the print
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out  # no raw escape reaches the terminal
    assert r"\x1b]0;pwned\x07" in out and r"\u202e" in out and r"\ud800" in out and r"s\x1b[31m" in out
