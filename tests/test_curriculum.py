"""Tests for coursekit.train.curriculum: the firehose bandit and the legacy multi-phase schedule."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.train.curriculum import (
    BanditConfig,
    FirehoseBandit,
    LegacySchedule,
    Phase,
    legacy_phases,
    stint_reward,
)


def drive(curriculum, steps, loss_of=lambda name: 1.0):
    """Run a curriculum for ``steps`` steps; the source chosen at each step."""
    chosen = []
    for _ in range(steps):
        name = curriculum.next_source()
        chosen.append(name)
        curriculum.record(loss_of(name))
    return chosen


def runs(seq):
    """Lengths of the runs of equal consecutive items: [a, a, b, a] -> [2, 1, 1]."""
    out = []
    for i, x in enumerate(seq):
        if i and x == seq[i - 1]:
            out[-1] += 1
        else:
            out.append(1)
    return out


# --- the reward -----------------------------------------------------------------------------------------------


def test_reward_hand_examples():
    # [4, 3, 2, 1]: mean 2.5; first half mean 3.5, second half 1.5 -> trend 2.0; reward -2.5 + 2.0 = -0.5
    assert stint_reward([4, 3, 2, 1]) == pytest.approx(-0.5)
    # flat [0.5] * 4: mean 0.5, trend 0 -> -0.5: "low" scores like "falling"
    assert stint_reward([0.5] * 4) == pytest.approx(-0.5)
    # one loss: no halves, so no trend -> -2.0
    assert stint_reward([2.0]) == pytest.approx(-2.0)
    # odd length [3, 9, 1]: halves are [3] and [1] (the middle is left out): -13/3 + 0.5 * 2 = -3.3333
    assert stint_reward([3, 9, 1], trend_weight=0.5) == pytest.approx(-13 / 3 + 1.0)
    with pytest.raises(ValueError, match="at least one loss"):
        stint_reward([])


@given(st.lists(st.floats(0, 20), min_size=1, max_size=50), st.floats(0.0, 1.0))
def test_reward_prefers_lower_losses(losses, shift):
    # Lowering every loss by the same amount never lowers the reward (the trend term is unchanged).
    lower = [x - shift for x in losses]
    assert stint_reward(lower) >= stint_reward(losses) - 1e-9


# --- the firehose bandit --------------------------------------------------------------------------------------


@given(
    st.integers(0, 10_000),
    st.integers(1, 6),
    st.lists(st.floats(0.01, 10.0), min_size=6, max_size=6),
)
def test_switch_lengths_stay_within_7_to_42(seed, n_sources, losses):
    names = [f"s{i}" for i in range(n_sources)]
    bandit = FirehoseBandit(names, seed=seed)
    chosen = drive(bandit, 600, loss_of=lambda name: losses[int(name[1:])])
    assert all(7 <= n <= 42 for _, n, _ in bandit.history)
    in_progress = len(bandit.losses) if bandit.remaining else 0
    assert sum(n for _, n, _ in bandit.history) + in_progress == 600
    # Two stints of one source may follow each other, so a run of equal sources is at least 7 steps long,
    # except the last, still in progress.
    assert all(n >= 7 for n in runs(chosen)[:-1])


def test_untried_sources_come_first():
    bandit = FirehoseBandit(["a", "b", "c", "d"], seed=3)
    drive(bandit, 300)
    assert sorted(s for s, _, _ in bandit.history[:4]) == ["a", "b", "c", "d"]


def test_a_low_loss_source_takes_over():
    # The trap of docs/specification.md §7: a stuck shard has the lowest loss, so the bandit feeds it more and more.
    bandit = FirehoseBandit(["docs", "code", "stuck_shard"], seed=0)
    chosen = drive(bandit, 3000, loss_of=lambda name: 0.1 if name == "stuck_shard" else 5.0)
    late = chosen[1000:]
    assert late.count("stuck_shard") / len(late) > 0.95
    assert bandit.estimates["stuck_shard"] == pytest.approx(-0.1)


def test_a_falling_loss_is_rewarded():
    # "learning" scores 4 in the first half of each stint and 0 in the second: its mean (2.0-2.3) is no better
    # than "flat"'s 2.0, but its falling loss wins it a higher estimate (about +1.5 against -2.0).
    bandit = FirehoseBandit(["flat", "learning"], seed=0)

    def loss_of(name):
        done = len(bandit.losses)  # steps of this stint recorded so far
        return 2.0 if name == "flat" else (4.0 if done < (done + bandit.remaining) / 2 else 0.0)

    drive(bandit, 2000, loss_of)
    assert bandit.estimates["learning"] > 0 > bandit.estimates["flat"]


def test_probabilities_are_a_softmax_of_the_estimates():
    bandit = FirehoseBandit(["a", "b"], BanditConfig(temperature=0.5))
    bandit.estimates = {"a": -1.0, "b": -2.0}
    # softmax([-1, -2] / 0.5) = [e^0, e^-2] / (1 + e^-2) = [0.8808, 0.1192]
    p = bandit.probabilities()
    assert p["a"] == pytest.approx(1 / (1 + math.exp(-2)))
    assert p["a"] + p["b"] == pytest.approx(1.0)


def test_bandit_state_round_trip_continues_identically():
    cfg = BanditConfig(min_stint=3, max_stint=9)
    losses = {"a": 2.0, "b": 1.0, "c": 3.0}
    whole = FirehoseBandit(list(losses), cfg, seed=7)
    expected = drive(whole, 400, losses.get)

    first = FirehoseBandit(list(losses), cfg, seed=7)
    head = drive(first, 173, losses.get)  # stop mid-stint
    state = first.state_dict()
    second = FirehoseBandit(list(losses), cfg, seed=999)  # another seed: the state must override it
    second.load_state_dict(state)
    assert head + drive(second, 400 - 173, losses.get) == expected
    assert second.history == whole.history


def test_bandit_bad_input():
    with pytest.raises(ValueError, match="at least one source"):
        FirehoseBandit([])
    with pytest.raises(ValueError, match="distinct"):
        FirehoseBandit(["a", "a"])
    with pytest.raises(TypeError, match="sequence of names, got str"):
        FirehoseBandit("abc")
    with pytest.raises(ValueError, match="min_stint <= max_stint"):
        BanditConfig(min_stint=10, max_stint=5)
    with pytest.raises(ValueError, match="temperature"):
        BanditConfig(temperature=0)
    bandit = FirehoseBandit(["a"])
    with pytest.raises(RuntimeError, match="without next_source"):
        bandit.record(1.0)
    bandit.next_source()
    with pytest.raises(ValueError, match="non-finite loss: nan"):
        bandit.record(float("nan"))
    with pytest.raises(TypeError, match="got str"):
        bandit.record("1.0")
    with pytest.raises(ValueError, match="saved for sources"):
        bandit.load_state_dict(FirehoseBandit(["b"]).state_dict())


# --- the legacy schedule --------------------------------------------------------------------------------------


def test_legacy_schedule_hand_example():
    # Phase "a" (4 steps) alternates x and y every 2 steps; phase "b" (3 steps) is z; the last phase runs on.
    schedule = LegacySchedule([Phase("a", 4, ("x", "y")), Phase("b", 3, ("z",))], switch_every=2)
    assert drive(schedule, 9) == ["x", "x", "y", "y", "z", "z", "z", "z", "z"]
    assert schedule.phase().name == "b"


def test_legacy_phases_default_plan():
    phases = legacy_phases(["docs", "code"], ["stuck"], 100)
    assert [(p.name, p.steps, p.sources) for p in phases] == [
        ("clean", 50, ("docs", "code")),
        ("mixed", 50, ("docs", "code", "stuck")),
    ]
    assert legacy_phases([], ["stuck"], 10)[0].sources == ("stuck",)


def test_legacy_schedule_ignores_losses_and_round_trips():
    phases = legacy_phases(["a", "b"], ["bad"], 60)
    one = LegacySchedule(phases, switch_every=5)
    two = LegacySchedule(phases, switch_every=5)
    assert drive(one, 60, lambda n: 0.0 if n == "bad" else 9.0) == drive(two, 60, lambda n: 9.0)
    three = LegacySchedule(phases, switch_every=5)
    drive(three, 31)
    four = LegacySchedule(phases, switch_every=5)
    four.load_state_dict(three.state_dict())
    assert drive(four, 10) == drive(three, 10)


def test_legacy_bad_input():
    with pytest.raises(ValueError, match="at least one phase"):
        LegacySchedule([])
    with pytest.raises(ValueError, match="at least one step"):
        LegacySchedule([Phase("p", 0, ("a",))])
    with pytest.raises(TypeError, match="Phase objects, got tuple"):
        LegacySchedule([("p", 3, ("a",))])
    with pytest.raises(ValueError, match="switch_every"):
        LegacySchedule([Phase("p", 3, ("a",))], switch_every=0)
