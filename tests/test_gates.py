"""Tests for coursekit.alarm.gates: the one registry of gates by name."""

import pytest

from coursekit.alarm import gates
from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.gates import GATES, make_gate, register_gate
from coursekit.alarm.v3gate import V3Config, V3Gate
from coursekit.backtest import gatereport


def test_v2_and_v3_by_name_with_their_defaults():
    v2, v3 = make_gate("v2"), make_gate("v3")
    assert type(v2) is CoherenceGate and (v2.threshold, v2.patience) == (30.0, 5)
    assert type(v3) is V3Gate and v3.config == V3Config()  # threshold 30, 5 of the last 10
    assert make_gate("v2") is not v2  # a fresh gate each time: no state shared between runs


def test_settings_override_the_defaults():
    assert (make_gate("v2", threshold=25, patience=3).patience, make_gate("v2", threshold=25).threshold) == (3, 25)
    v3 = make_gate("v3", patience=4)  # v3's patience is the bad samples needed in its window
    assert (v3.config.needed, v3.config.window, v3.patience) == (4, 10, 4)


def test_unknown_names_and_duplicates_are_refused():
    with pytest.raises(ValueError, match="unknown gate 'v9'; registered: v2, v3"):
        make_gate("v9")
    with pytest.raises(ValueError, match="'v2' is already registered"):
        register_gate("v2", "again", CoherenceGate)
    with pytest.raises(TypeError, match="factory must be callable, got int"):
        register_gate("bad", "not a factory", 3)


def test_a_registered_gate_is_offered_everywhere():
    register_gate("v2-strict", "total < 40, 5 in a row",
                  lambda threshold=40.0, patience=5: CoherenceGate(threshold, patience))
    try:
        assert make_gate("v2-strict").threshold == 40.0
        assert gatereport.GATES is gates.GATES and "v2-strict" in gatereport.GATES  # compare-gates shows it
        description, factory = gatereport.GATES["v2-strict"]  # still a (description, factory) pair
        assert description.startswith("total < 40") and factory().patience == 5
    finally:
        del GATES["v2-strict"]
