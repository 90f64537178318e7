"""coursekit.alarm.wordflags: each word's remembered flags and key against their plain definitions, and the store's
bounds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.alarm import wordflags as W
from coursekit.alarm.metrics import english_lexicon, word_core
from coursekit.alarm.wordlists import FOREIGN_FUNCTION_WORDS, FUNCTION_WORDS, GLUED_REPEAT


def plain_flags(word: str) -> int:
    """The definitions in wordflags' module docstring, one at a time."""
    core = word_core(word)
    flags = 0
    if core in english_lexicon():
        flags |= W.ENGLISH
    if core in FUNCTION_WORDS:
        flags |= W.FUNCTION
    if core in FOREIGN_FUNCTION_WORDS:
        flags |= W.FOREIGN
    if core.isalpha():
        flags |= W.LETTERS
    if len(word) >= 6 and GLUED_REPEAT.search(word):
        flags |= W.GLUED
    if core and core != word:
        flags |= W.STRIPPED
    return flags


def test_worked_example():
    W.clear()
    # "the": English, a function word, all letters -> 1 + 2 + 8 = 11; "cat,": English, letters, core "cat" is not
    # the word -> 1 + 8 + 32 = 41; "nicht": German function word, letters (not English) -> 4 + 8 = 12;
    # "jumpjumpjump": letters, "jump" glued 3 times -> 8 + 16 = 24 (not English); "...": no core, its own key -> 0.
    words = ["the", "cat,", "nicht", "jumpjumpjump", "..."]
    assert "jumpjumpjump" not in english_lexicon() and "nicht" not in english_lexicon()
    assert list(W.flags_of(words)) == [11, 41, 12, 24, 0]
    assert W.keys_of(words) == ["the", "cat", "nicht", "jumpjumpjump", "..."]
    # an ASCII text's words come as bytes and get the same answers (remembered apart from the str ones)
    assert list(W.flags_of([w.encode() for w in words])) == [11, 41, 12, 24, 0]
    assert W.keys_of([w.encode() for w in words]) == ["the", "cat", "nicht", "jumpjumpjump", "..."]


PIECES = ["the", "of", "cat", "cat,", "(Der)", "und", "le", "...", "--x--", "1st", "a1", "regionionion",
          "jump,jump,jump,", "!!!!!!", "é", "İ", "猫", "ß"]  # fmt: skip
words_st = st.lists(st.sampled_from(PIECES) | st.text(min_size=1, max_size=12).filter(lambda w: not w.isspace()),
                    max_size=40).map(lambda ws: list(dict.fromkeys(w.lower() for w in ws)))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(words_st, st.booleans())
def test_flags_and_keys_are_their_plain_definitions(words, forget_first):
    if forget_first:
        W.clear()
    assert list(W.flags_of(words)) == [plain_flags(w) for w in words]
    assert W.keys_of(words) == [word_core(w) or w for w in words]
    assert [W.word_flags(w) for w in words] == [plain_flags(w) for w in words]
    ascii_words = [w.encode() for w in words if w.isascii()]
    assert list(W.flags_of(ascii_words)) == [plain_flags(w.decode()) for w in ascii_words]
    assert W.keys_of(ascii_words) == [word_core(w.decode()) or w.decode() for w in ascii_words]


@pytest.mark.parametrize("most_words, most_chars", [(10, 10_000), (10_000, 60)])
def test_the_store_stays_bounded_and_right(monkeypatch, most_words, most_chars):
    monkeypatch.setattr(W, "CACHE_WORDS", most_words)
    monkeypatch.setattr(W, "CACHE_CHARS", most_chars)
    monkeypatch.setattr(W, "LONGEST_CACHED", 8)
    W.clear()
    for i in range(50):
        words = [f"w{i}x{j}" for j in range(4)] + ["the", "x" * 20]  # "x" * 20 is too long to remember
        assert list(W.flags_of(words)) == [plain_flags(w) for w in words]
        assert W.keys_of(words) == [word_core(w) or w for w in words]
        # emptied before a sample's new words would pass a bound, so one sample's words at most go past it
        assert len(W._FLAGS) <= most_words and W._stored_chars < most_chars + sum(map(len, words))
        assert "x" * 20 not in W._FLAGS and set(W._FLAGS) == set(W._KEYS)
        assert W._stored_chars == sum(map(len, W._FLAGS))
    W.clear()


@pytest.fixture(autouse=True, scope="module")
def _forget_after():
    yield
    W.clear()
