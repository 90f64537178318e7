"""coursekit.alarm.gate: the consecutive counter's reset and halt, its arguments, and its state round-trip."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.alarm.gate import CoherenceGate, GateDecision
from coursekit.alarm.metrics import SampleScore, eval_chat_quality

BAD = " ".join(["region"] * 64)  # 24.12: degenerate
GOOD = "The loss curve kept falling for sixteen days while nobody read the samples."
BORDER = " ".join(["region"] * 8)  # 33.83: not degenerate on its own


def score(total: float) -> SampleScore:
    return SampleScore(bigram=total, trigram=0.0, english=0.0, chars=0.0, total=total)


def test_five_bad_in_a_row_halt_at_the_fifth():
    # steps 100..500 all degenerate: counter 1,2,3,4,5 -> halt only at step 500
    gate = CoherenceGate()
    decisions = [gate.observe(step, BAD) for step in range(100, 600, 100)]
    assert [d.consecutive for d in decisions] == [1, 2, 3, 4, 5]
    assert [d.halt for d in decisions] == [False, False, False, False, True]
    assert decisions[-1].step == 500 and isinstance(decisions[-1], GateDecision)
    assert decisions[-1].score == eval_chat_quality(BAD)


def test_one_good_sample_resets_the_counter():
    # bad bad bad bad GOOD bad bad bad bad bad: 1 2 3 4 0 1 2 3 4 5 -> halt at the 10th sample only
    gate = CoherenceGate()
    texts = [BAD] * 4 + [GOOD] + [BAD] * 5
    counts = [gate.observe(100 * (i + 1), t).consecutive for i, t in enumerate(texts)]
    assert counts == [1, 2, 3, 4, 0, 1, 2, 3, 4, 5]
    assert gate.halted


def test_region_x8_resets_like_any_passing_sample():
    gate = CoherenceGate()
    for step in (100, 200, 300):
        gate.observe(step, BAD)
    assert gate.observe(400, BORDER).consecutive == 0  # 33.83 >= 30


def test_threshold_is_strict():
    gate = CoherenceGate(threshold=30.0, patience=1)
    assert not gate.observe_score(1, score(30.0)).halt  # exactly 30 passes
    assert gate.observe_score(2, score(29.999999)).halt


def test_one_sample_can_never_halt_with_default_patience():
    assert not CoherenceGate().observe(100, "").halt  # the worst possible sample (0.0)


def test_patience_one_halts_on_a_single_bad_sample():
    assert CoherenceGate(patience=1).observe(0, BAD).halt


def test_halt_persists_while_samples_stay_bad():
    gate = CoherenceGate(patience=2)
    gate.observe(1, BAD)
    assert gate.observe(2, BAD).halt and gate.observe(3, BAD).halt
    assert not gate.observe(4, GOOD).halt


@pytest.mark.parametrize("threshold", [-0.1, 100.5, float("nan"), float("inf")])
def test_threshold_outside_0_100_rejected(threshold):
    with pytest.raises(ValueError, match="threshold"):
        CoherenceGate(threshold=threshold)


@pytest.mark.parametrize("patience", [0, -3])
def test_patience_below_one_rejected(patience):
    with pytest.raises(ValueError, match="patience"):
        CoherenceGate(patience=patience)


@pytest.mark.parametrize("kwargs, name", [({"threshold": "30"}, "str"), ({"patience": 2.5}, "float"), ({"patience": True}, "bool")])
def test_wrong_argument_types_named(kwargs, name):
    with pytest.raises(TypeError, match=name):
        CoherenceGate(**kwargs)


def test_observe_rejects_bad_text_and_step():
    gate = CoherenceGate()
    with pytest.raises(TypeError, match="NoneType"):
        gate.observe(1, None)
    with pytest.raises(TypeError, match="str"):
        gate.observe("1", "text")


def test_repeated_or_backwards_step_rejected():
    gate = CoherenceGate()
    gate.observe(200, BAD)
    with pytest.raises(ValueError, match="200"):
        gate.observe(200, BAD)  # a resumed run replaying a sample would double-count it
    with pytest.raises(ValueError):
        gate.observe(100, BAD)
    assert gate.consecutive == 1


def test_state_round_trip_keeps_the_counter_through_json():
    gate = CoherenceGate(threshold=35.0, patience=4)
    for step in (100, 200, 300):
        gate.observe(step, BAD)
    state = json.loads(json.dumps(gate.state_dict()))  # checkpoints store it as JSON
    resumed = CoherenceGate(threshold=35.0, patience=4)
    resumed.load_state_dict(state)
    assert resumed.consecutive == 3 and resumed.last_step == 300
    assert resumed.observe(400, BAD).halt  # 3 + 1 = 4 = patience


def test_state_with_other_settings_refused():
    gate = CoherenceGate(patience=5)
    with pytest.raises(ValueError, match="patience"):
        gate.load_state_dict(CoherenceGate(patience=3).state_dict())
    with pytest.raises(KeyError, match="consecutive"):
        gate.load_state_dict({"threshold": 30.0, "patience": 5, "last_step": None})
    with pytest.raises(TypeError, match="list"):
        gate.load_state_dict([])


def test_custom_scorer():
    gate = CoherenceGate(scorer=lambda text: score(0.0 if "x" in text else 100.0), patience=2)
    gate.observe(1, "x")
    assert gate.observe(2, "xx").halt


@given(st.lists(st.floats(min_value=0, max_value=100), max_size=80), st.integers(1, 8))
def test_counter_equals_trailing_run_of_degenerate_samples(totals, patience):
    # Invariant: after any sequence, the counter is the length of the trailing run of totals < threshold,
    # and halt <=> that run has reached patience.
    gate = CoherenceGate(patience=patience)
    for i, t in enumerate(totals):
        d = gate.observe_score(i, score(t))
        run = 0
        for prev in reversed(totals[: i + 1]):
            if prev >= 30.0:
                break
            run += 1
        assert d.consecutive == run
        assert d.halt == (run >= patience)


def test_describe_names_the_rule():
    assert CoherenceGate(patience=3).describe() == "halt after 3 in a row"
