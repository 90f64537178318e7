"""Judging gates: the healthy logs, v2's and v3's figures on v1, the comparison table, the figure, the CLI."""

import json

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.runlog import read_log
from coursekit.alarm.v3gate import V3Config, V3Gate
from coursekit.backtest.gatereport import (
    GATES,
    compare_gates,
    format_comparison,
    gate_report,
    gates_figure,
    healthy_log_path,
    healthy_sets,
    heldout_sets,
    v1_records,
)
from coursekit.backtest.replay import KILL_STEP, backtest
from coursekit.cli import main

REGION_8 = " ".join(["region"] * 8)
FLUENT = "The loss curve kept falling for sixteen days, so nobody opened the sample files until the run was lost."


# --- the data, and the figures the lesson and the docstrings quote --------------------------------------------------


def test_healthy_sets():
    sets = healthy_sets()
    assert {name: len(records) for name, records in sets.items()} == {
        "v1 before 70,000": 349,  # steps 200-69,800, every 200
        "battery (healthy)": 7,
        "trainer run (healthy)": 100,  # steps 20-2,000, every 20
    }
    for records in sets.values():
        steps = [r["step"] for r in records]
        assert steps == sorted(set(steps))


def test_committed_healthy_run_is_a_clean_log_that_v2_passes():
    records, bad = read_log(healthy_log_path())
    assert bad == [] and len(records) == 100 and records[-1]["step"] == 2_000
    assert backtest(records).trigger_step is None
    assert (healthy_log_path().parent / "README.md").exists()


def test_v3_on_v1_and_the_healthy_logs():
    # docs/specification.md §2: v2 fires at 132,000; v3 at 77,400 (5 bad among 75,600-77,400), 132,000 - 77,400 = 54,600 earlier
    report = gate_report(V3Gate)
    assert report.v2_trigger == 132_000 and report.trigger == 77_400 and report.steps_earlier == 54_600
    assert report.false_alarms == {}
    assert set(report.flagged_healthy.values()) == {0}
    assert "77,400, 54,600 steps earlier than v2's 132,000" in report.summary()
    assert "no false alarm" in report.summary() and "FALSE ALARM" not in report.summary()


def test_v3_on_healthy_runs_its_floors_were_not_chosen_on():
    sets = heldout_sets()
    assert {name: len(records) for name, records in sets.items()} == {
        "heldout-seed1-firehose.jsonl": 100,  # steps 20-2,000, every 20
        "heldout-seed2-legacy.jsonl": 100,
    }
    report = gate_report(V3Gate, healthy=sets)
    assert report.false_alarms == {} and set(report.flagged_healthy.values()) == {0}
    assert all(backtest(records).trigger_step is None for records in sets.values())  # nor does v2 fire
    # The thinnest margins, computed from the logged scores (the trainer took them from eval_chat_quality), must
    # be the ones data/healthy/README.md quotes, and stay above v3's floors.
    lowest = {axis: min(r[axis] for records in sets.values() for r in records) for axis in ("english", "bigram", "chars")}
    readme = " ".join((Path(__file__).parent.parent / "data" / "healthy" / "README.md").read_text().split())
    assert f"English presence falls to {lowest['english']:.1f} of 20" in readme
    assert f"bigram diversity to {lowest['bigram']:.1f} of 35" in readme
    assert f"character diversity to {lowest['chars']:.1f} of 10" in readme
    floors = V3Config()
    assert (floors.min_english, floors.min_bigram, floors.min_chars) == (4.0, 17.5, 5.0)
    assert lowest["english"] > floors.min_english and lowest["bigram"] > floors.min_bigram
    assert lowest["chars"] > floors.min_chars


def test_gate_report_on_another_log_and_a_gate_that_fires_on_healthy_text():
    # A gate that halts on 2 samples in a row below 99 fires on healthy text: reported, not hidden.
    # FLUENT scores 100 (all n-grams distinct, every word English, >= 20 characters); region x 8 scores 33.83.
    records = [{"step": s, "source": "web", "text": REGION_8 if s > 3 else FLUENT} for s in range(1, 10)]
    report = gate_report(lambda: CoherenceGate(99.0, 2), records, log_name="toy")
    assert report.trigger == 5 and report.v2_trigger is None and report.steps_earlier is None
    assert report.false_alarms and "FALSE ALARM" in report.summary()
    assert report.summary().startswith("on toy the gate fires at step 5, where v2's never fires")


def test_compare_gates_and_its_table():
    reports = compare_gates()
    assert list(reports) == list(GATES) == ["v2", "v3", "v4"]
    table = format_comparison(reports)
    # 165,000 - 77,400 = 87,600 steps / 6 / 60 = 243.3 h, x 0.13 kW = 31.6 kWh; v2: 33,000 steps, 91.7 h, 11.9 kWh
    assert "77,400" in table and "87,600" in table and "243.3" in table and "31.6" in table
    assert "132,000" in table and "91.7" in table and "11.9" in table


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_gates_figure():
    v1 = v1_records()
    fig = gates_figure([("v2", backtest(v1)), ("v3", backtest(v1, V3Gate()))], KILL_STEP)
    assert isinstance(fig, Figure) and len(fig.axes) == 4  # two panels, each with its loss EMA twin
    legend = [t.get_text() for t in fig.axes[0].get_legend().texts]
    assert legend[:2] == ["passed by this gate", "called bad by this gate"]
    assert "killed by hand\n165,000" in _texts(fig.axes[1])
    assert any(t.startswith("87,600 steps saved") for t in _texts(fig.axes[1]))  # 165,000 - 77,400
    with pytest.raises(ValueError, match="at least one"):
        gates_figure([])


def test_gates_figure_on_a_run_the_gate_halted():
    # The trainer stops where v2 halts, so its log ends at v2's trigger: no "killed by hand" there. Healthy to
    # 200; region x 8 (33.83: passes v2, breaks v3's floors) from 220; region x 64 (24.12) from 340.
    def text(step):
        return FLUENT if step <= 200 else REGION_8 if step <= 320 else " ".join(["region"] * 64)

    records = [{"step": s, "source": "web", "text": text(s)} for s in range(20, 440, 20)]
    v2, v3 = backtest(records), backtest(records, V3Gate())
    assert v2.trigger_step == v2.last_step == 420 and v3.trigger_step == 300  # 340-420; 220-300
    fig = gates_figure([("v2", v2), ("v3", v3)])
    assert not any("killed by hand" in t or "log ends" in t for t in _texts(fig.axes[0]))
    assert "log ends\n420" in _texts(fig.axes[1])


# --- coursekit compare-gates -----------------------------------------------------------------------------------


def test_cli_compare_gates(capsys, tmp_path):
    assert main(["compare-gates"]) == 0
    out = capsys.readouterr().out
    assert "v3: floors on every axis, 5 of the last 10" in out and "77,400" in out
    log = tmp_path / "run.jsonl"
    log.write_text("".join(json.dumps({"step": s, "source": "web", "text": REGION_8}) + "\n" for s in range(1, 8)))
    png = tmp_path / "gates.png"
    assert main(["compare-gates", str(log), "--json", "--plot", str(png)]) == 0
    got = json.loads(capsys.readouterr().out)
    # region x 8 passes v2 (33.83) but breaks v3's floors: v3 fires at the 5th sample, v2 never
    assert got["v3"]["trigger_step"] == 5 and got["v2"]["trigger_step"] is None
    assert got["v3"]["false_alarms"] == {} and png.stat().st_size > 10_000


def test_cli_compare_gates_bad_input(capsys, tmp_path):
    assert main(["compare-gates", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read log" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"step": 1}\n')
    assert main(["compare-gates", str(bad)]) == 2
    assert "bad.jsonl:1: missing required key 'source'" in capsys.readouterr().err
    assert main(["compare-gates", "--steps-per-min", "0"]) == 2
