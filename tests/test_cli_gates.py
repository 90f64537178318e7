"""`coursekit score --gate` and `coursekit backtest --gate`: v3's and v4's verdicts from the command line."""

import json

from coursekit.cli import main

DRIFT = "The file is on the release page. Klicken Sie auf den Namen der Datei, um den Download zu starten."
REGION64 = " ".join(["region"] * 64)


def test_score_gate_v4_names_the_rules_it_breaks(capsys):
    assert main(["score", "--gate", "v4", "--json", DRIFT]) == 0
    v4 = json.loads(capsys.readouterr().out)
    assert v4["gate"] == "v4" and v4["degenerate"] is True and v4["reasons"] == ["drift"]
    assert v4["signals"]["drift"] > 0.3
    assert main(["score", "--gate", "v3", "--json", DRIFT]) == 0  # v3 and v2 pass this drift
    v3 = json.loads(capsys.readouterr().out)
    assert v3["degenerate"] is False and v3["reasons"] == [] and "signals" not in v3
    assert main(["score", "--json", DRIFT]) == 0
    v2 = json.loads(capsys.readouterr().out)
    assert v2["degenerate"] is False and "gate" not in v2  # v2's output is as it always was


def test_score_gate_table(capsys):
    assert main(["score", "--gate", "v4", REGION64]) == 0
    out = capsys.readouterr().out
    # region x 64: v2's total 24.12 < 30, v3's bigram and chars floors, and v4's repetition rules
    assert "DEGENERATE" in out and "total,bigram,chars" in out and "24.12" in out


def test_threshold_is_v2s_only(capsys):
    assert main(["score", "--gate", "v4", "--threshold", "40", "x y z"]) == 2
    assert "--threshold is v2's rule" in capsys.readouterr().err
    assert main(["backtest", "--gate", "v3", "--patience", "3"]) == 2
    assert main(["backtest", "--gate", "v4", "--sensitivity"]) == 2


def test_backtest_gate_v4_on_v1(capsys):
    assert main(["backtest", "--gate", "v4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["trigger_step"] == 77_400  # as v3: v4 only adds rules
    assert main(["backtest", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["trigger_step"] == 132_000  # v2, unchanged
