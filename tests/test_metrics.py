"""coursekit.alarm.metrics: the four axes and the composite, against hand-worked examples and invariants."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.alarm import metrics
from coursekit.alarm.metrics import (
    bigram_diversity,
    character_diversity,
    english_lexicon,
    english_word_presence,
    eval_chat_quality,
    trigram_diversity,
    word_core,
)

TOL = 1e-9
AXES = [bigram_diversity, trigram_diversity, english_word_presence, character_diversity, eval_chat_quality]


# --- docs/specification.md §4 worked examples ---------------------------------------------------------------------------


def test_region_x8():
    # 8 words -> 7 bigrams, 1 distinct: 35*1/7 = 5.0; 6 trigrams, 1 distinct: 35/6 = 5.8333...
    # "region" is English: 20 * 8/8 = 20; characters r,e,g,i,o,n: 10 * 6/20 = 3.0. Total 33.8333: not degenerate.
    s = eval_chat_quality(" ".join(["region"] * 8))
    assert s.bigram == pytest.approx(5.0, abs=TOL)
    assert s.trigram == pytest.approx(35 / 6, abs=TOL)
    assert s.english == pytest.approx(20.0, abs=TOL)
    assert s.chars == pytest.approx(3.0, abs=TOL)
    assert s.total == pytest.approx(5.0 + 35 / 6 + 20.0 + 3.0, abs=TOL)
    assert round(s.total, 2) == 33.83
    assert not s.degenerate()


def test_region_x64():
    # 63 bigrams, 1 distinct: 35/63 = 0.5556; 62 trigrams: 35/62 = 0.5645; 20 + 3.0. Total 24.12: degenerate.
    s = eval_chat_quality(" ".join(["region"] * 64))
    assert s.bigram == pytest.approx(35 / 63, abs=TOL)
    assert s.trigram == pytest.approx(35 / 62, abs=TOL)
    assert s.total == pytest.approx(35 / 63 + 35 / 62 + 20.0 + 3.0, abs=TOL)
    assert round(s.total, 2) == 24.12
    assert s.degenerate()


def test_punctuation_blind_spot():
    # words ''''' ''''' '' ''' '': 4 bigrams all distinct -> 35; 3 trigrams all distinct -> 35;
    # every core is empty -> English 0; one distinct character (') -> 10 * 1/20 = 0.5. Total 70.5.
    s = eval_chat_quality("''''' ''''' '' ''' ''")
    assert (s.bigram, s.trigram, s.english, s.chars) == (35.0, 35.0, 0.0, 0.5)
    assert s.total == pytest.approx(70.5, abs=TOL)
    assert not s.degenerate()


# --- per-axis hand-worked examples ---------------------------------------------------------------------------


def test_bigram_counts_lowercased_words():
    # "A b a B a": words a b a b a -> bigrams ab ba ab ba: 2 distinct of 4 -> 35 * 2/4 = 17.5
    assert bigram_diversity("A b a B a") == pytest.approx(17.5, abs=TOL)


def test_trigram_splits_on_any_whitespace():
    # "x\ty\nz  x": words x y z x -> trigrams xyz yzx: 2 of 2 -> 35
    assert trigram_diversity("x\ty\nz  x") == pytest.approx(35.0, abs=TOL)
    # "go go go go": 2 trigrams, 1 distinct -> 17.5
    assert trigram_diversity("go go go go") == pytest.approx(17.5, abs=TOL)


def test_too_few_words_score_zero():
    assert bigram_diversity("alone") == 0.0  # 1 word: no bigram
    assert trigram_diversity("two words") == 0.0  # 2 words: no trigram
    assert bigram_diversity("two words") == 35.0  # 1 bigram, distinct


def test_english_strips_non_letters_at_both_ends_only():
    # "(Hello), world!! x9z 123": cores hello, world, x9z, "" -> 2 English of 4 -> 20 * 2/4 = 10
    assert english_word_presence("(Hello), world!! x9z 123") == pytest.approx(10.0, abs=TOL)
    assert word_core("(hello),") == "hello"
    assert word_core("don't") == "don't"  # inner apostrophe kept
    assert word_core("'''''") == ""
    assert word_core("1st") == "st"


def test_english_empty_core_is_not_english():
    # "'' the": cores "", "the" -> 1 of 2 -> 10
    assert english_word_presence("'' the") == pytest.approx(10.0, abs=TOL)


def test_character_diversity_case_sensitive_and_capped():
    # "aA" -> a, A: 2 distinct -> 10 * 2/20 = 1.0 ; spaces and tabs do not count
    assert character_diversity("a A\t\n") == pytest.approx(1.0, abs=TOL)
    # 26 distinct letters -> min(1, 26/20) = 1 -> 10
    assert character_diversity("abcdefghijklmnopqrstuvwxyz") == 10.0
    # non-breaking space is whitespace for str.isspace (as for split): not counted
    assert character_diversity("a\u00a0b") == pytest.approx(1.0, abs=TOL)


def test_empty_and_whitespace_score_zero_everywhere():
    for text in ["", "   ", "\n\t \u00a0"]:
        s = eval_chat_quality(text)
        assert (s.bigram, s.trigram, s.english, s.chars, s.total) == (0.0, 0.0, 0.0, 0.0, 0.0)
        assert s.degenerate()


def test_degenerate_is_strictly_below_threshold():
    s = metrics.SampleScore(bigram=10.0, trigram=10.0, english=10.0, chars=0.0, total=30.0)
    assert not s.degenerate()  # 30.0 is not below 30
    assert s.degenerate(threshold=30.000001)
    assert metrics.SampleScore(0, 0, 0, 29.999, 29.999).degenerate()


@pytest.mark.parametrize("func", AXES)
@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["a", "list"]])
def test_non_str_raises_type_error_naming_the_type(func, bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        func(bad)


def test_scores_are_floats_not_rounded():
    s = eval_chat_quality("one two one two three")
    assert all(isinstance(v, float) for v in s.as_dict().values())


# --- the lexicon ---------------------------------------------------------------------------------------------


def test_lexicon_is_large_lowercase_and_cached():
    lex = english_lexicon()
    assert isinstance(lex, frozenset) and len(lex) >= 20_000
    assert all(w == w.lower() and w.strip() == w for w in lex)
    assert {"the", "region", "model", "training"} <= lex
    assert english_lexicon() is lex  # loaded once


def test_lexicon_matches_its_generator():
    # scripts/make_lexicon.py regenerates data/english_words.txt from wordfreq: the committed file must match.
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "make_lexicon.py"
    ns = runpy.run_path(str(script))
    assert ns["render"](ns["build_lexicon"]()) == "".join(w + "\n" for w in metrics.english_words())


# --- properties ----------------------------------------------------------------------------------------------

word = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029"), min_size=1, max_size=8)
texts = st.text(max_size=300)
word_lists = st.lists(st.sampled_from(["the", "model", "region", "''", "Der", "x9", "loss", "The"]) | word, max_size=60)


@given(texts)
def test_each_axis_within_its_range(text):
    s = eval_chat_quality(text)
    assert 0.0 <= s.bigram <= 35.0 and 0.0 <= s.trigram <= 35.0
    assert 0.0 <= s.english <= 20.0 and 0.0 <= s.chars <= 10.0
    assert 0.0 <= s.total <= 100.0


@given(texts)
def test_composite_is_the_sum_and_matches_the_axis_functions(text):
    s = eval_chat_quality(text)
    assert s.bigram == bigram_diversity(text) and s.trigram == trigram_diversity(text)
    assert s.english == english_word_presence(text) and s.chars == character_diversity(text)
    assert math.isclose(s.total, s.bigram + s.trigram + s.english + s.chars, abs_tol=TOL)


@given(texts)
def test_deterministic(text):
    assert eval_chat_quality(text) == eval_chat_quality(text)


@given(word_lists.filter(lambda ws: len(ws) >= 3))
def test_repeating_a_sample_never_raises_ngram_diversity(words):
    # Doubling n words adds at most 1 new bigram (the seam) to 2n-1 bigrams, and at most 2 new trigrams.
    text = " ".join(words)
    doubled = text + " " + text
    assert bigram_diversity(doubled) <= bigram_diversity(text) + TOL
    assert trigram_diversity(doubled) <= trigram_diversity(text) + TOL


ascii_words = st.lists(st.text(alphabet="abcXYZ'.", min_size=1, max_size=4), max_size=40)


@given(ascii_words)
def test_ngrams_are_case_insensitive(words):
    text = " ".join(words)
    assert bigram_diversity(text.upper()) == bigram_diversity(text.lower()) == bigram_diversity(text)
    assert trigram_diversity(text.swapcase()) == trigram_diversity(text)


def test_ten_megabyte_text_scores_exactly():
    # "region " x 1.5M = 10.5 MB: n = 1.5M words, 1 distinct bigram of n-1, 1 trigram of n-2, all English,
    # 6 distinct characters. Linear-time scoring is measured in benchmarks/bench_gate.py.
    n = 1_500_000
    s = eval_chat_quality("region " * n)
    assert s.bigram == pytest.approx(35 / (n - 1), abs=TOL) and s.trigram == pytest.approx(35 / (n - 2), abs=TOL)
    assert (s.english, s.chars) == (20.0, 3.0)
