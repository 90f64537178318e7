"""The failure-mode battery: committed file = regeneration, and every label agrees with the scorer."""

import pytest

from coursekit.alarm.metrics import eval_chat_quality
from coursekit.course.battery import MODES, build_battery, load_battery, render

BATTERY = load_battery()


def test_committed_battery_equals_a_regeneration():
    from importlib import resources

    committed = resources.files("coursekit.data").joinpath("battery.jsonl").read_text(encoding="utf-8")
    assert committed == render(build_battery())


def test_every_mode_is_covered_by_hand_and_by_generator():
    modes = {r["mode"] for r in BATTERY}
    assert modes == set(MODES)
    assert {r["origin"] for r in BATTERY} == {"hand", "generated"}
    assert len({r["id"] for r in BATTERY}) == len(BATTERY)


@pytest.mark.parametrize("record", BATTERY, ids=[r["id"] for r in BATTERY])
def test_label_matches_the_verdict(record):
    score = eval_chat_quality(record["text"])
    assert score.degenerate() == record["degenerate"], f"{record['id']} ({record['mode']}): total {score.total:.2f}"


@pytest.mark.parametrize("record", [r for r in BATTERY if "expected" in r], ids=lambda r: r["id"])
def test_generated_scores_match_their_construction(record):
    # The generator derives each axis from how it built the text (k distinct n-grams in a k-cycle, and so on);
    # the scorer counts them from the text. They must agree to 1e-9.
    score = eval_chat_quality(record["text"]).as_dict()
    for axis, value in record["expected"].items():
        assert score[axis] == pytest.approx(value, abs=1e-9), axis


def test_spec_implied_verdicts_per_mode():
    by_mode = {}
    for r in BATTERY:
        by_mode.setdefault(r["mode"], []).append(r)
    assert not any(r["degenerate"] for r in by_mode["healthy"])
    assert all(r["degenerate"] for r in by_mode["empty"])
    assert all(r["degenerate"] for r in by_mode["single_token_loop"] if len(r["text"].split()) >= 12)
    # the composite's blind spot: punctuation noise with distinct n-grams passes
    assert any(not r["degenerate"] for r in by_mode["punctuation_noise"])
