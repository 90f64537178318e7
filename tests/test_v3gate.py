"""The v3 gate: per-axis floors, the k-of-n window, resuming, and a drop-in for v2's gate in the back-tester."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.metrics import SampleScore, eval_chat_quality
from coursekit.alarm.v3gate import V3Config, V3Decision, V3Gate, verdict
from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.gatereport import v1_records
from coursekit.backtest.replay import backtest

APOSTROPHES = "''''' ''''' '' ''' ''"
REGION_8 = " ".join(["region"] * 8)
FLUENT = "The loss curve kept falling for sixteen days, so nobody opened the sample files until the run was lost."
BAD = SampleScore(bigram=0.0, trigram=0.0, english=0.0, chars=0.0, total=0.0)
GOOD = SampleScore(bigram=35.0, trigram=35.0, english=20.0, chars=10.0, total=100.0)


def _score(total):
    """A sample that only v2's rule can judge: every axis above its floor, the total as given."""
    return SampleScore(bigram=35.0, trigram=35.0, english=20.0, chars=10.0, total=float(total))


# --- the per-sample rules ---------------------------------------------------------------------------------------


def test_verdict_by_hand():
    # 35 + 35 + 0 + 0.5 = 70.5: passes v2, but English 0 < 4 and chars 0.5 < 5
    assert verdict(eval_chat_quality(APOSTROPHES)) == ("english", "chars")
    # 5.0 + 5.83 + 20 + 3.0 = 33.83: passes v2, but bigram 5.0 < 17.5 and chars 3.0 < 5
    assert verdict(eval_chat_quality(REGION_8)) == ("bigram", "chars")
    # 0.56 + 0.56 + 20 + 3.0 = 24.12: below 30 as well
    assert verdict(eval_chat_quality(" ".join(["region"] * 64))) == ("total", "bigram", "chars")
    assert verdict(eval_chat_quality(FLUENT)) == ()


def test_floors_are_exclusive_like_the_threshold():
    # A floor is broken strictly below it, as v2's threshold: exactly 17.5, 4 and 5 pass.
    at_floor = SampleScore(bigram=17.5, trigram=0.0, english=4.0, chars=5.0, total=30.0)
    assert verdict(at_floor) == ()
    assert verdict(SampleScore(bigram=17.49, trigram=0.0, english=4.0, chars=5.0, total=30.0)) == ("bigram",)


def test_verdict_and_config_reject_bad_input():
    with pytest.raises(TypeError, match="got str"):
        verdict("region region")
    with pytest.raises(ValueError, match="cannot exceed window"):
        V3Config(window=4, needed=5)
    with pytest.raises(ValueError, match="min_english must be a number from 0 to 20"):
        V3Config(min_english=25.0)
    with pytest.raises(ValueError, match="needed must be a positive int"):
        V3Config(needed=True)
    with pytest.raises(TypeError, match="must be a V3Config"):
        V3Gate({"window": 10})


# --- the window -------------------------------------------------------------------------------------------------


def test_window_counts_through_good_samples():
    # bad, good, bad, good, ... : v2's counter never passes 1, v3's window reaches 5 bad of 10 at the 9th sample
    gate, v2 = V3Gate(), CoherenceGate()
    halts = []
    for i, score in enumerate([BAD, GOOD] * 4 + [BAD]):
        d = gate.observe_score(i, score)
        assert not v2.observe_score(i, score).halt
        halts.append(d.halt)
        assert d.consecutive == (1 if score is BAD else 0)
    assert halts == [False] * 8 + [True]
    assert isinstance(d, V3Decision) and d.in_window == 5 and d.reasons == ("total", "bigram", "english", "chars")


def test_old_bad_samples_slide_out_of_the_window():
    # 4 bad, then 6 good: the first bad one leaves the 10-sample window with the 11th sample
    gate = V3Gate()
    trace = [gate.observe_score(i, s).in_window for i, s in enumerate([BAD] * 4 + [GOOD] * 7 + [BAD])]
    assert trace == [1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 3, 3]
    assert not gate.halted


@given(st.lists(st.floats(0, 100), max_size=60), st.integers(1, 8))
def test_with_no_floors_and_a_full_window_v3_is_v2(totals, patience):
    # needed == window == patience: "patience bad in the last patience samples" is "patience in a row"
    config = V3Config(min_bigram=0.0, min_english=0.0, min_chars=0.0, window=patience, needed=patience)
    v3, v2 = V3Gate(config), CoherenceGate(patience=patience)
    for i, total in enumerate(totals):
        a, b = v3.observe_score(i, _score(total)), v2.observe_score(i, _score(total))
        assert (a.halt, a.consecutive) == (b.halt, b.consecutive)


@given(st.lists(st.booleans(), max_size=60), st.integers(1, 12), st.data())
def test_halts_exactly_when_enough_of_the_last_window_are_bad(flags, window, data):
    needed = data.draw(st.integers(1, window))
    gate = V3Gate(V3Config(window=window, needed=needed))
    for i, bad in enumerate(flags):
        d = gate.observe_score(i, BAD if bad else GOOD)
        assert d.in_window == sum(flags[max(0, i + 1 - window) : i + 1])
        assert d.halt == (d.in_window >= needed)


def test_observe_rejects_replayed_steps_and_bad_types():
    gate = V3Gate()
    gate.observe(100, FLUENT)
    with pytest.raises(ValueError, match="not after the last observed step 100"):
        gate.observe(100, FLUENT)
    with pytest.raises(TypeError, match="got bytes"):
        gate.observe(200, b"region")
    with pytest.raises(TypeError, match="step must be an int, got float"):
        gate.observe(300.0, FLUENT)
    gate.reset()
    assert gate.observe(100, FLUENT).in_window == 0


# --- resuming -----------------------------------------------------------------------------------------------------


def test_state_dict_resumes_exactly():
    texts = [r["text"] for r in v1_records()[370:420]]  # steps 74,200-84,000: the collapse begins
    whole = V3Gate()
    want = [whole.observe(i, t) for i, t in enumerate(texts)]
    first = V3Gate()
    for i, t in enumerate(texts[:25]):
        first.observe(i, t)
    state = json.loads(json.dumps(first.state_dict()))  # what a checkpoint stores must survive JSON
    second = V3Gate()
    second.load_state_dict(state)
    assert [second.observe(i, t) for i, t in enumerate(texts) if i >= 25] == want[25:]


def test_load_state_dict_refuses_another_config_and_bad_state():
    state = V3Gate().state_dict()
    with pytest.raises(ValueError, match="was saved with"):
        V3Gate(V3Config(needed=4)).load_state_dict(state)
    with pytest.raises(KeyError, match="recent"):
        V3Gate().load_state_dict({k: v for k, v in state.items() if k != "recent"})
    with pytest.raises(ValueError, match="invalid window"):
        V3Gate().load_state_dict(dict(state, recent=[True] * 11))
    with pytest.raises(TypeError, match="expects a dict"):
        V3Gate().load_state_dict([])




def test_v3_is_a_coherence_gate_the_back_tester_replays():
    # 5 bad among 75,600-77,400 (75,600, 76,000, 76,600, 76,800, 77,400): v3 fires at 77,400 on v1's log
    gate = V3Gate()
    assert isinstance(gate, CoherenceGate) and (gate.threshold, gate.patience) == (30.0, 5)
    result = backtest(v1_log_path(), gate)
    assert result.trigger_step == 77_400 and (result.threshold, result.patience) == (30.0, 5)


def test_backtest_report_states_v3s_rule_not_v2s():
    from coursekit.backtest.datasets import v1_log_path
    from coursekit.backtest.replay import backtest, format_report

    first_line = format_report(backtest(v1_log_path(), gate=V3Gate())).splitlines()[0]
    assert "5 of the last 10" in first_line and "in a row" not in first_line
