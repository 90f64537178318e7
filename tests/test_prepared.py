"""coursekit.alarm.prepared: every fast path against the plain Python it replaces (hypothesis), and a worked example.

Prepared's byte tricks (word ids, packed n-grams, translate-and-count, XOR for neighbours, case counting on the
distinct words) must give exactly what the obvious definitions give, or v4's verdicts would change.
"""

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.alarm import wordflags as W
from coursekit.alarm.metrics import word_core
from coursekit.alarm.prepared import ASCII_NONLETTERS, Prepared

# Words that repeat (small vocabularies make loops), with case, punctuation, the ASCII separators \x1c-\x1f that
# str.split treats as whitespace and bytes.split does not, and letters beyond ASCII (İ lowercases to two chars).
PIECES = ["the", "The", "THE", "cat", "cat,", "(cat)", "...", "of", "x", "Region", "regionion", "\x1c", "\x1f",
          " ", "\n", "\t", "\u00a0", "É", "İ", "ß", "猫", "!!", "a1", "1a"]  # fmt: skip
texts = st.text(max_size=300) | st.lists(st.sampled_from(PIECES), max_size=120).map(" ".join) | st.lists(
    st.sampled_from(PIECES), max_size=120).map("".join)
ascii_texts = st.text(alphabet=st.characters(max_codepoint=127), max_size=300) | st.lists(
    st.sampled_from([w for w in PIECES if w.isascii()]), max_size=120).map(" ".join)
# Loops: at most 6 distinct words, so word trigrams get one-byte codes (_pack); up to 400 words (the list path too).
loops = st.lists(st.sampled_from(["the", "The", "cat,", "x", "猫", "..."]), min_size=1, max_size=6).flatmap(
    lambda vocab: st.lists(st.sampled_from(vocab), max_size=400)).map(" ".join)
# Long word lists with more than 256 distinct words: the list path instead of bytes.
many_words = st.lists(st.integers(0, 400).map(lambda i: f"w{i % 300}"), min_size=250, max_size=700).map(" ".join)


def ngrams(words: list, n: int) -> list[tuple]:
    return list(zip(*(words[k:] for k in range(n))))


def check_against_plain_python(text: str) -> None:
    p = Prepared(text)
    words = text.lower().split()
    assert p.words == words and p.n == len(words)
    assert p.distinct == list(dict.fromkeys(words)) and p.core == [word_core(w) for w in p.distinct]
    assert [p.distinct[i] for i in p.seq] == words
    for n in range(1, 10):
        grams = ngrams(words, n)
        assert p.distinct_ngrams(n) == len(set(grams)), n
        codes = p.codes(n)  # equal codes exactly for equal n-grams
        assert len(codes) == len(grams) and len(set(zip(codes, grams))) == len(set(codes)) == len(set(grams))
        assert p.seen_before(n) == bytes(gram in grams[:i] for i, gram in enumerate(grams))
    assert list(p.flags) == [W.word_flags(w) for w in p.distinct]  # each distinct word's wordflags byte
    assert list(p.word_flags) == [W.word_flags(w) for w in words]
    for flag in (W.ENGLISH, W.FUNCTION, W.FOREIGN, W.LETTERS, W.GLUED, W.STRIPPED):
        assert p.count_flag(flag) == sum(bool(W.word_flags(w) & flag) for w in words)
        assert p.any_flag(flag) == any(W.word_flags(w) & flag for w in words)
        assert list(p.flag_hits(flag, W.LETTERS)) == [
            int(bool(W.word_flags(w) & flag)) for w in words if W.word_flags(w) & W.LETTERS]
    keys = [c or w for w, c in zip(p.distinct, p.core)]
    ids = [keys.index(k) for k in keys]  # each word's class: the first distinct word with its key
    cores = [c or w for w in words for c in [word_core(w)]]
    assert p.equal_neighbours(ids) == sum(a == b for a, b in zip(cores, cores[1:]))
    assert p.equal_neighbours() == sum(a == b for a, b in zip(words, words[1:]))
    nonspace = "".join(text.split())
    assert p.nonspace == nonspace and p.nonspace_count() == len(nonspace)
    assert p.chars == set(nonspace)
    for cap in (1, 5, 20, 200):
        assert p.distinct_chars(cap) == min(cap, len(set(nonspace))), cap


@settings(max_examples=300, deadline=None)
@given(texts)
def test_every_fast_path_agrees_with_plain_python(text):
    check_against_plain_python(text)


@settings(max_examples=200, deadline=None)
@given(ascii_texts)
def test_the_ascii_bytes_path_agrees_with_plain_python(text):
    check_against_plain_python(text)


@settings(max_examples=200, deadline=None)
@given(loops)
def test_loops_one_byte_ngram_codes_agree_with_plain_python(text):
    check_against_plain_python(text)


@settings(max_examples=20, deadline=None)
@given(many_words)
def test_more_than_256_distinct_words_take_the_list_path(text):
    p = Prepared(text)
    assert isinstance(p.seq, bytes) == (len(p.distinct) <= 256)
    check_against_plain_python(text)


def test_worked_example():
    # "The cat, the cat sat": words the / cat, / the / cat / sat -> ids 0 1 0 2 3 (cat, and cat differ as words);
    # bigrams (0,1) (1,0) (0,2) (2,3): 4 distinct; cores the cat the cat sat: "cat," equals "cat" by core, so no
    # neighbours are equal; function words: the x 2 of 5 words.
    p = Prepared("The cat, the cat sat")
    assert p.seq == bytes([0, 1, 0, 2, 3]) and p.distinct == ["the", "cat,", "cat", "sat"]
    assert p.core == ["the", "cat", "cat", "sat"] and p.distinct_ngrams(2) == 4 and p.distinct_ngrams(3) == 3
    assert p.count_flag(W.FUNCTION) == 2 and p.equal_neighbours([0, 1, 1, 3]) == 0
    # "cat cat, cat": cores cat cat cat -> 2 equal neighbours
    assert Prepared("cat cat, cat").equal_neighbours([0, 0]) == 2
    # distinct non-whitespace characters, case-sensitive: T h e c a t , s -> 8 (t and T both count)
    assert p.distinct_chars(20) == 8 and p.distinct_chars(5) == 5


@pytest.mark.parametrize("word", ["(hello!)", "'''", "a", "--x--", "it's", "1st", "", "ab12cd"])
def test_ascii_core_is_word_core(word):
    assert word.strip(ASCII_NONLETTERS) == word_core(word)


def test_lowercasing_keeps_whitespace_apart_from_the_rest():
    # Prepared.nonspace_count counts a non-ASCII text's non-whitespace characters on its lowercased words when
    # lowercasing kept the length, which holds because no character lowercases to nothing (so equal lengths mean
    # one character for each) and a character lowercased to one is whitespace exactly when it was.
    for i in range(sys.maxunicode + 1):
        c = chr(i)
        low = c.lower()
        assert low, hex(i)
        assert len(low) > 1 or low.isspace() == c.isspace(), hex(i)
