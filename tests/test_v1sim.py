"""The v1 reconstruction: byte-for-byte reproducible, and faithful to every figure of docs/specification.md §2."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.alarm.metrics import eval_chat_quality
from coursekit.alarm.runlog import read_log
from coursekit.backtest.replay import backtest
from coursekit.incident.v1sim import (
    APOSTROPHES,
    FRAGILITY,
    REGION_X8,
    V1Config,
    bandit_schedule,
    generate,
    loss_trend,
    main,
    to_jsonl,
    v1_log_path,
)


@pytest.fixture(scope="module")
def log() -> list[dict]:
    records, bad = read_log(v1_log_path())
    assert bad == []
    return records


@pytest.fixture(scope="module")
def totals(log) -> dict[int, float]:
    return {r["step"]: eval_chat_quality(r["text"]).total for r in log}


def test_regenerated_log_is_byte_for_byte_the_committed_one():
    run = generate()
    assert to_jsonl(run.records).encode("utf-8") == v1_log_path().read_bytes()
    # The committed seed needed no conditioning: the trigger at 132,000 arose by chance (data/v1/README.md).
    assert run.redrawn == [] and run.forced == []


def test_check_and_out_commands(tmp_path, capsys):
    assert main(["--check"]) == 0
    out = tmp_path / "v1.jsonl"
    assert main(["--out", str(out)]) == 0
    assert out.read_bytes() == v1_log_path().read_bytes()
    out.write_bytes(out.read_bytes().replace(b"region", b"regime", 1))
    assert main(["--check", "--out", str(out)]) == 1
    assert "DIFFERS" in capsys.readouterr().out


def test_format_and_steps(log):
    # A sample every 200 steps from 200 to 165,000: 165,000 / 200 = 825 records.
    assert [r["step"] for r in log] == list(range(200, 165_001, 200))
    assert all(set(r) == {"step", "source", "text", "loss_ema"} for r in log)
    assert {r["source"] for r in log} == set(FRAGILITY) == {"wiki", "news", "books", "chat", "code", "web"}
    assert all(isinstance(r["loss_ema"], float) and r["text"] for r in log)


def test_pinned_samples_of_the_account(log, totals):
    by_step = {r["step"]: r for r in log}
    assert by_step[80_000]["text"] == REGION_X8 == "region region region region region region region region"
    assert by_step[110_000]["text"] == APOSTROPHES == "''''' ''''' '' ''' ''"
    # docs/specification.md §4 worked examples: 5 + 5.8333 + 20 + 3 = 33.83 and 35 + 35 + 0 + 0.5 = 70.5; both pass.
    assert totals[80_000] == pytest.approx(33.8333333333, abs=1e-9)
    assert totals[110_000] == pytest.approx(70.5, abs=1e-9)


def test_loss_ema_figures(log):
    losses = {r["step"]: r["loss_ema"] for r in log}
    low_step = min(losses, key=losses.get)
    assert (low_step, losses[low_step]) == (110_000, 3.23)
    assert sorted(losses.values())[1] > 3.23  # the minimum is unique
    assert losses[165_000] == 4.54
    assert losses[200] < math.log(8449) == pytest.approx(9.04, abs=0.005)
    assert loss_trend(0) == pytest.approx(math.log(8449))


def test_loss_ema_is_a_curve_not_a_line(log):
    losses = {r["step"]: r["loss_ema"] for r in log}
    # The fall is front-loaded (power law): most of it happens in the first 10,000 steps ...
    assert losses[10_000] - losses[110_000] < 0.3 * (losses[200] - losses[110_000])
    # ... and the rise quickens: the second half of 110,000-165,000 rises more than the first.
    assert losses[165_000] - losses[137_400] > 2 * (losses[137_400] - losses[110_000])
    # It wobbles (source switches), so it is not a smooth function of the step either.
    steps = sorted(losses)
    ups = sum(losses[b] > losses[a] for a, b in zip(steps, steps[1:]) if b <= 100_000)
    assert 50 < ups < 250


def test_region_loops_by_80000_and_apostrophes_by_110000(log):
    def is_loop(text: str) -> bool:
        words = text.split()
        return len(words) >= 4 and {w.strip(",").lower() for w in words} == {"region"}

    def is_apostrophes(text: str) -> bool:
        return bool(text.split()) and set(text) <= set("'., ")

    assert sum(is_loop(r["text"]) for r in log if 70_000 <= r["step"] < 80_000) >= 3
    assert not any(is_loop(r["text"]) for r in log if r["step"] < 70_000)
    assert sum(is_apostrophes(r["text"]) for r in log if 100_000 <= r["step"] < 110_000) >= 5
    assert not any(is_apostrophes(r["text"]) for r in log if r["step"] < 100_000)


def test_healthy_samples_keep_turning_up_after_80000(log, totals):
    window = [r for r in log if 80_000 < r["step"] < 132_000]
    healthy = [r for r in window if totals[r["step"]] >= 60]
    assert len(healthy) >= 40
    assert len({r["source"] for r in healthy}) >= 5
    # They come when the bandit is on a source that has not collapsed: code and books, rarely web.
    share = {src: sum(r["source"] == src for r in healthy) / max(1, sum(r["source"] == src for r in window))
             for src in ("web", "code", "books")}
    assert share["code"] > 2 * share["web"] and share["books"] > 2 * share["web"]


def test_v2_backtest_on_the_texts_fires_at_132000(log, totals):
    assert backtest(log).trigger_step == 132_000
    bad = [totals[s] < 30 for s in range(200, 165_001, 200)]
    first_run_end = next(i for i in range(4, len(bad)) if all(bad[i - 4 : i + 1]))
    assert (first_run_end + 1) * 200 == 132_000  # samples 131,200 .. 132,000 are the first five in a row
    assert not bad[(131_000 // 200) - 1]


def test_bandit_switches_every_7_to_42_steps():
    segs = bandit_schedule()
    assert segs[0][0] == 1 and all(7 <= n <= 42 for _, n, _ in segs)
    assert all(a[0] + a[1] == b[0] for a, b in zip(segs, segs[1:]))  # contiguous
    assert segs[-1][0] + segs[-1][1] > 165_000


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_any_seed_keeps_the_account_figures(seed):
    # The calibration guards make every seed fire at 132,000; the default seed just needs none of them.
    records = generate(V1Config(seed=seed)).records
    assert backtest(records).trigger_step == 132_000
    losses = [r["loss_ema"] for r in records]
    assert min(losses) == 3.23 and losses.index(3.23) == 110_000 // 200 - 1 and losses[-1] == 4.54
    assert records[80_000 // 200 - 1]["text"] == REGION_X8
