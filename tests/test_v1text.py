"""The v1 reconstruction's text generators (coursekit.incident.v1text) and their phrasebook (coursekit.incident.v1corpus)."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.alarm.metrics import eval_chat_quality
from coursekit.incident import v1text
from coursekit.incident.v1corpus import NUMERIC_SLOTS, SLOTS, TEMPLATES


def test_every_template_slot_can_be_filled():
    for source, templates in TEMPLATES.items():
        for t in templates:
            for slot in re.findall(r"\{(\w+)\}", t):
                base = slot.lower().rstrip("0123456789")
                assert base in SLOTS or base in NUMERIC_SLOTS, f"{source}: unknown slot {slot!r} in {t!r}"


def test_same_seed_same_text():
    a = v1text.healthy_text("wiki", random.Random(7), 45, 0.8)
    b = v1text.healthy_text("wiki", random.Random(7), 45, 0.8)
    assert a == b


@settings(max_examples=30, deadline=None)
@given(source=st.sampled_from(v1text.SOURCES), seed=st.integers(0, 10**6), span=st.floats(0, 1),
       n=st.integers(20, 60))
def test_healthy_text_is_healthy_and_budgeted(source, seed, span, n):
    text = v1text.healthy_text(source, random.Random(seed), n, span)
    assert 0 < len(text.split()) <= n  # cut at the token budget
    assert eval_chat_quality(text).total >= 30  # whatever the coherence, it passes the gate


def test_coherent_text_stays_on_its_source():
    text = v1text.healthy_text("code", random.Random(1), 50, 1.0)
    assert "def " in text or "import " in text or "return" in text or "self." in text


def test_truncate_words_keeps_whitespace():
    # "a\n  b c" cut after 2 words keeps the newline and indentation between them: "a\n  b".
    assert v1text.truncate_words("a\n  b c", 2) == "a\n  b"
    assert v1text.truncate_words("a b", 5) == "a b"


def test_bad_arguments_name_what_they_got():
    with pytest.raises(ValueError, match="unknown source 'tweets'"):
        v1text.healthy_text("tweets", random.Random(0), 10, 0.5)
    with pytest.raises(ValueError, match="span must be within 0-1, got 1.5"):
        v1text.healthy_text("wiki", random.Random(0), 10, 1.5)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(40, 64))
def test_long_loops_are_degenerate(seed, n):
    rng = random.Random(seed)
    for make in (v1text.region_loop, v1text.punct_loop, v1text.mixed_loop, v1text.early_loop):
        text = make(rng, n)
        assert len(text.split()) == n
        assert eval_chat_quality(text).total < 30, text


def test_short_loops_and_noise_pass_the_composite():
    # "region" x n scores 35/(n-1) + 35/(n-2) + 20 + 3, which is >= 30 up to n = 11: 3.5 + 3.89 + 23 = 30.39.
    for seed in range(20):
        text = v1text.region_loop(random.Random(seed), 8)
        assert eval_chat_quality(text).total >= 30, text
    # Five distinct tokens in a row: every bigram and trigram distinct, 35 + 35 + 0 + chars >= 70.
    assert eval_chat_quality("'' ''' '''' ''''' '").total >= 70
