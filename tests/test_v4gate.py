"""coursekit.v4gate: judge's rules on hand-worked samples, and V4Gate as a drop-in for CoherenceGate."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coursekit
from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.v3gate import V3Config, V3Gate
from coursekit.alarm.v4gate import V4_RULES, V4Config, V4Gate, judge
from coursekit.backtest import backtest

PROSE = ("The bridge was finished in the spring, and the first trains crossed it a week later while the river "
         "was still high from the melting snow.")  # 27 words, no rule broken (see test_prose_breaks_no_rule)
LOOP = "region " * 64  # v2 calls it degenerate (total 24.12): every gate agrees


def test_exported_from_the_package():
    assert coursekit.V4Gate is V4Gate and coursekit.judge is judge


def test_prose_breaks_no_rule():
    v = judge(PROSE)
    assert not v.bad and v.reasons == ()
    assert {"compression", "repeat", "glued", "stutter", "function_words"} <= set(v.signals)


@pytest.mark.parametrize("rule, text", [
    # "we left at dawn" x 3, then 9 new words: 21 words; the trigrams at 4..9 were seen before, covering words
    # 4..11: 8 of 21 = 0.38 > 0.3
    ("repeat", "we left at dawn " * 3 + "and came home late at night with the dog"),
    # 34 bytes x 20 = 680 bytes compress to under 60: a ratio above 11 > 2.5
    ("compression", "the bridge was finished in spring " * 20),
    # then | jump,jump,jump, | and | rest,rest,rest,rest | now: 2 of 5 words glued = 0.4 > 0.15
    ("glued", "then jump,jump,jump, and rest,rest,rest,rest now"),
    # 12 words, 6 of the 11 pairs equal: 0.55 > 0.35
    ("stutter", "the the cat cat sat sat on on the the mat mat"),
    # 15 words, all function words: 1.0 > 0.9
    ("function_words", "of the and to in a is that for it as with on by at"),
    # 20 words, none a function word: 0.0 < 0.03, and 20 >= 20 words
    ("few_function_words", "apple river stone cloud green table window orange paper music garden yellow silver "
                           "forest bottle candle mirror pencil rocket winter"),
    # 5 words, 3 special tokens: 0.6 > 0.3
    ("special_tokens", "answer: <unk> <unk> <unk> fine"),
    # 16 characters with 3 spaces, then 100 newlines: 103 of 116 = 0.89 > 0.8
    ("whitespace", "a few words here" + "\n" * 100),
    # 5 non-blank lines, 4 of them bare numbers: 0.8 > 0.5, and 5 >= 4 lines
    ("empty_slots", "Steps:\n1.\n2.\n3.\n4."),
    # letter-words: open the page klicken sie auf den namen der datei; the last 8 hold sie auf den der: 4/8 > 0.3
    ("drift", "Open the page. Klicken Sie auf den Namen der Datei."),
    # letters: 18 Latin (The parcel left today) and 5 CJK: 5/23 = 0.22 > 0.02
    ("foreign", "The parcel left today. 已经发送了。"),
])  # fmt: skip
def test_each_rule_on_a_worked_sample(rule, text):
    assert rule in V4_RULES
    assert rule in judge(text).reasons


def test_default_window_is_chosen_from_the_dev_healthy_rate():
    from coursekit.alarm.falsealarm import choose_window
    from coursekit.backtest.datasets import load_realworld

    healthy = [r for r in load_realworld("dev") if r["label"] == "healthy"]
    bad = sum(judge(r["text"]).bad for r in healthy)
    pick = choose_window(bad / len(healthy))  # q = 0.7, at most 0.01 false alarms per 1,000 samples
    assert (pick.k, pick.n) == (V4Config().needed, V4Config().window) == (5, 13)


def test_v3s_rules_stay():
    # region x 64: v3 breaks total (24.12 < 30), bigram (0.56 < 17.5) and chars (3.0 < 5)
    v = judge(LOOP)
    assert v.bad and v.reasons[:3] == ("total", "bigram", "chars")


def test_bad_input():
    with pytest.raises(TypeError, match="int"):
        judge(3)
    with pytest.raises(TypeError, match="V3Config"):
        judge("text", V3Config())
    assert judge("").bad  # no words: v2's total is 0


def test_gate_is_a_drop_in():
    gate = V4Gate()
    assert isinstance(gate, CoherenceGate) and isinstance(gate, V3Gate)
    d = gate.observe(100, PROSE)
    assert (d.step, d.halt, d.consecutive, d.in_window, d.reasons) == (100, False, 0, 0, ())
    assert d.score.total > 30 and d.verdict is not None and not d.verdict.bad
    with pytest.raises(ValueError, match="not after"):
        gate.observe(100, PROSE)  # the step check every gate shares
    with pytest.raises(TypeError):
        gate.observe_score(200, d.score)
    with pytest.raises(TypeError):
        gate.observe(200, None)


def test_halts_when_needed_of_the_last_window_are_bad():
    # 5 of the last 13: bad, good, bad, good, bad, good, bad, good, bad -> the 9th sample is the 5th bad one
    gate = V4Gate()
    texts = [LOOP, PROSE] * 4 + [LOOP]
    halts = [gate.observe(step, t).halt for step, t in enumerate(texts, 1)]
    assert halts == [False] * 8 + [True]
    assert "5 of the last 13" in gate.describe()


def test_state_round_trips_through_json():
    gate = V4Gate()
    for step, t in enumerate([LOOP, PROSE, LOOP], 1):
        gate.observe(step, t)
    state = json.loads(json.dumps(gate.state_dict()))
    fresh = V4Gate()
    fresh.load_state_dict(state)
    assert (fresh.recent, fresh.consecutive, fresh.last_step) == (gate.recent, gate.consecutive, gate.last_step)
    other = V4Gate(V4Config(max_compression=9.0))
    with pytest.raises(ValueError, match="saved with"):
        other.load_state_dict(state)


def test_config_validation():
    with pytest.raises(ValueError):
        V4Config(max_compression=-1.0)
    with pytest.raises(ValueError):
        V4Config(needed=11, window=10)
    with pytest.raises(TypeError):
        V4Gate(V3Config())


def test_backtest_replays_a_log_through_it():
    log = [{"step": 100 * i, "source": "x", "text": LOOP if i > 3 else PROSE} for i in range(1, 12)]
    result = backtest(log, V4Gate())
    assert result.trigger_step == 800  # bad from step 400: the 5th bad sample is at 800


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_v4_calls_bad_everything_v3_does(text):
    from coursekit.alarm.metrics import eval_chat_quality
    from coursekit.alarm.v3gate import verdict

    v = judge(text)
    assert v.bad == bool(v.reasons)
    assert set(verdict(eval_chat_quality(text))) <= set(v.reasons)  # v4 only adds rules


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400) | st.lists(st.sampled_from(["the", "region", "a", "of", ",", "\n", "<unk>"]),
                                        max_size=80).map(" ".join))
def test_judge_scores_exactly_as_eval_chat_quality(text):
    from coursekit.alarm.metrics import eval_chat_quality

    assert judge(text).score == eval_chat_quality(text)  # the same floats, computed from the shared split


def test_verdict_of_offers_the_three_gates_side_by_side():
    from coursekit.alarm.v4gate import GATE_NAMES, verdict_of

    assert GATE_NAMES == ("v2", "v3", "v4")
    # region x 64: total 24.12 < 30 (v2); v3 adds its bigram and chars floors; v4 its own rules on top
    assert verdict_of(LOOP, "v2").reasons == ("total",)
    assert verdict_of(LOOP, "v3").reasons == ("total", "bigram", "chars")
    assert verdict_of(LOOP, "v4").reasons[:3] == ("total", "bigram", "chars") and verdict_of(LOOP, "v4").signals
    assert not verdict_of(LOOP, "v2", threshold=20.0).bad  # v2's threshold is honoured: 24.12 >= 20
    with pytest.raises(ValueError, match="gate must be"):
        verdict_of(PROSE, "v5")
    with pytest.raises(TypeError):
        verdict_of(None, "v3")
