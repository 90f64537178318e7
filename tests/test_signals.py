"""coursekit.signals: a hand-worked example per signal, bad input, and invariants (hypothesis)."""

import sys
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.alarm import signals as S
from coursekit.alarm.metrics import word_core
from coursekit.alarm.wordlists import EMPTY_SLOT, FOREIGN_FUNCTION_WORDS, GLUED_REPEAT

ALL = [S.compression_ratio, S.repeated_ngram_coverage, S.char_repetition,
       S.consecutive_duplicate_rate, S.function_word_share, S.special_token_density, S.whitespace_share,
       S.foreign_letter_share, S.foreign_function_window, S.glued_repeat_share, S.empty_slot_share,
       S.measure_all]  # fmt: skip
SHARES = [f for f in ALL if f not in (S.compression_ratio, S.char_repetition, S.measure_all)]  # within [0, 1]


def test_compression_ratio_worked():
    # 1,000 bytes of "a" compress to 17 bytes (zlib level 6): 1000 / 17 = 58.82
    assert S.compression_ratio("a" * 1000) == pytest.approx(1000 / 17)
    # "region " x 64: 448 bytes -> 20 bytes: 22.4, far above Whisper's 2.4
    assert S.compression_ratio("region " * 64) == pytest.approx(448 / 20)
    assert S.compression_ratio("") == 0.0
    assert len(zlib.compress(b"a" * 1000)) == 17  # the arithmetic above depends on zlib's output size


def test_repeated_ngram_coverage_worked():
    # a b c a b c a b, n=3: the 3-grams at 0, 1, 2 are new; those at 3 (abc), 4 (bca), 5 (cab) were seen,
    # covering words 3-5, 4-6, 5-7 -> words 3..7 are covered: 5 of 8 = 0.625
    assert S.repeated_ngram_coverage("a b c a b c a b", n=3) == pytest.approx(5 / 8)
    assert S.repeated_ngram_coverage("A b C a B c", n=3) == pytest.approx(3 / 6)  # lowercased: abc seen at 3
    assert S.repeated_ngram_coverage("only three words", n=4) == 0.0
    with pytest.raises(ValueError):
        S.repeated_ngram_coverage("a b", n=0)


def test_char_repetition_worked():
    # "ab" x 50 = 100 bytes -> 13 bytes compressed: 1 - 13/100 = 0.87; spaces do not matter
    assert S.char_repetition("ab" * 50) == pytest.approx(0.87)
    assert S.char_repetition(" ".join(["ab"] * 50)) == pytest.approx(0.87)
    assert S.char_repetition("jump,jump,jump") == S.char_repetition("jump, jump, jump")  # glue cannot hide it
    assert S.char_repetition("   \n") == 0.0
    assert S.char_repetition("xyz") < 0  # zlib's overhead exceeds 3 bytes


def test_consecutive_duplicate_rate_worked():
    # the the cat cat sat: pairs (the,the) (the,cat) (cat,cat) (cat,sat) -> 2 of 4 = 0.5
    assert S.consecutive_duplicate_rate("The the cat cat sat") == pytest.approx(0.5)
    assert S.consecutive_duplicate_rate("word, word! word") == pytest.approx(1.0)  # cores compared
    assert S.consecutive_duplicate_rate("!! !! ok") == pytest.approx(0.5)  # no letters: the form is compared
    assert S.consecutive_duplicate_rate("one") == 0.0


def test_function_word_share_worked():
    # the cat sat on the mat: the, on, the are function words -> 3 of 6 = 0.5
    assert S.function_word_share("The cat sat on the mat.") == pytest.approx(0.5)
    assert S.function_word_share("of the and to in a") == 1.0
    assert S.function_word_share("") == 0.0


def test_special_token_density_worked():
    # 4 words: <unk>, <unk>, hello, <|endoftext|><|endoftext|>; 4 tokens -> 4 / 4 = 1.0
    assert S.special_token_density("<unk> <unk> hello <|endoftext|><|endoftext|>") == 1.0
    assert S.special_token_density("a b c <pad>") == pytest.approx(0.25)
    assert S.special_token_density("[INST]hi[/INST] ok ok ok") == pytest.approx(2 / 4)
    assert S.special_token_density("<ul><li>item</li></ul> and more") == 0.0  # HTML is not a special token
    assert S.special_token_density("<|endoftext|>" * 30) == 1.0  # 30 tokens in one word: capped
    assert S.special_token_density("") == 0.0


def test_whitespace_share_worked():
    # "a \n\n b": 6 characters, 2 of them not whitespace -> 4 / 6
    assert S.whitespace_share("a \n\n b") == pytest.approx(4 / 6)
    assert S.whitespace_share("") == 0.0


def test_foreign_function_window_worked():
    # letter-words the cat und der hund ist big -> foreign? 0 0 1 1 0 1 0; windows of 4: 2, 2, 3, 2 -> 3/4
    assert S.foreign_function_window("The cat und der Hund ist big", window=4) == pytest.approx(0.75)
    # x.sum() and 42 are not letter-words; "le" alone among 2 letter-words -> 1/2
    assert S.foreign_function_window("le x.sum() 42 chat", window=8) == pytest.approx(0.5)
    assert S.foreign_function_window("plain English with no such words at all here") == 0.0
    with pytest.raises(ValueError):
        S.foreign_function_window("a", window=0)


def test_glued_repeat_share_worked():
    # go | jump,jump,jump, (piece "jump," x 3) | now | !!!!!! ("!!" x 3) | ok -> 2 of 5 words
    assert S.glued_repeat_share("go jump,jump,jump, now !!!!!! ok") == pytest.approx(0.4)
    assert S.glued_repeat_share("banana hahah aaaaa") == 0.0  # "an" only twice; hahah has 5 characters
    assert S.glued_repeat_share("regionionion region") == pytest.approx(0.5)  # "io" x 3 inside, glued


def test_empty_slot_share_worked():
    # non-blank lines: "Steps:", "1.", "2.", "- **:**", "| | |", "|---|---|", "done": 4 bare markers of 7
    text = "Steps:\n1.\n2.\n\n- **:**\n| | |\n|---|---|\ndone"
    assert S.empty_slot_share(text) == pytest.approx(4 / 7)
    assert S.empty_slot_share("1. eggs\n2. milk") == 0.0
    assert S.empty_slot_share("\n\n") == 0.0


def test_foreign_letter_share_worked():
    # letters a, b, c, 日, 本: two beyond Latin -> 2 / 5
    assert S.foreign_letter_share("abc 日本") == pytest.approx(0.4)
    assert S.foreign_letter_share("Schadenfreude, café, naïve") == 0.0  # Latin with accents is Latin
    assert S.foreign_letter_share("123 !!") == 0.0


@pytest.mark.parametrize("func", ALL)
@pytest.mark.parametrize("bad", [None, 3, b"bytes", ["a"]])
def test_non_str_raises_type_error_naming_the_type(func, bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        func(bad)


@pytest.mark.parametrize("func", ALL)
def test_empty_string_has_a_defined_value(func):
    got = func("")
    assert all(isinstance(v, float) for v in got.values()) if isinstance(got, dict) else isinstance(got, float)


@given(st.text(max_size=300))
def test_measure_all_agrees_with_each_signal(text):
    got = S.measure_all(text)
    assert got["compression"] == S.compression_ratio(text) and got["repeat"] == S.repeated_ngram_coverage(text, 3)
    assert got["char_repeat"] == S.char_repetition(text) and got["stutter"] == S.consecutive_duplicate_rate(text)
    assert got["function_words"] == S.function_word_share(text) and got["glued"] == S.glued_repeat_share(text)
    assert got["special_tokens"] == S.special_token_density(text) and got["whitespace"] == S.whitespace_share(text)
    assert got["empty_slots"] == S.empty_slot_share(text) and got["drift"] == S.foreign_function_window(text, 8)
    assert got["foreign"] == S.foreign_letter_share(text) and got["words"] == len(text.split())


@given(st.text(max_size=300))
def test_shares_stay_within_0_and_1(text):
    for func in SHARES:
        assert 0.0 <= func(text) <= 1.0, func.__name__
    assert S.compression_ratio(text) >= 0.0
    assert S.char_repetition(text) <= 1.0


@given(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "x", "of"]), min_size=4, max_size=30),
       st.integers(2, 5))
def test_a_text_repeated_k_times_is_covered_at_least_k_minus_1_over_k(words, k):
    # every 4-gram of copies 2..k occurred in copy 1 (or straddles copies that repeat too): the last k-1 copies
    # are covered in full
    text = " ".join(words * k)
    assert S.repeated_ngram_coverage(text, n=4) >= (k - 1) / k - 1e-12


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_char_repetition_ignores_whitespace(text):
    assert S.char_repetition(text) == S.char_repetition(" ".join(text.split()))


def obvious_coverage(text: str, n: int) -> float:
    """Welleck et al.'s definition read literally: a word is covered when an n-gram holding it occurred before."""
    words = text.lower().split()
    if len(words) < n:
        return 0.0
    covered, seen = set(), set()
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        if gram in seen:
            covered.update(range(i, i + n))
        seen.add(gram)
    return len(covered) / len(words)


@given(st.lists(st.sampled_from(["alpha", "beta", "Beta", "x", "of", "of,"]), max_size=200).map(" ".join)
       | st.text(max_size=300), st.integers(1, 10))  # fmt: skip
def test_repeated_ngram_coverage_is_the_obvious_definition(text, n):
    # the fast path (word ids, packed n-grams, first positions, OR-ed shifted flags) against the literal loop
    assert S.repeated_ngram_coverage(text, n) == obvious_coverage(text, n)


# --- the fast paths (coursekit.alarm.prepared, wordflags, big-integer windows) against the literal definitions ---

FUSSY = ["the", "The", "of", "cat", "cat,", "(cat)", "und", "der", "Der", "le", "la", "x.sum()", "42", "...",
         "!!!!!!", "jump,jump,jump,", "regionionion", "1.", "-", "|", "\n", "\t", "\u00a0", "\u2028", "é", "ɑɑ", "İ",
         "Σ", "猫", "日本", "<unk>", "\ufffd"]  # fmt: skip
fussy_texts = st.lists(st.sampled_from(FUSSY), max_size=300).map(" ".join) | st.lists(
    st.sampled_from(FUSSY), max_size=60).map("".join) | st.text(max_size=300)


def obvious_signals(text: str, window: int) -> dict[str, float]:
    words = text.lower().split()
    cores = [word_core(w) for w in words]
    n = len(words)
    keys = [c or w for w, c in zip(words, cores)]
    letters = [c in FOREIGN_FUNCTION_WORDS for c in cores if c.isalpha()]
    highs = [sum(letters[i : i + window]) for i in range(max(1, len(letters) - window + 1))]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    alpha = [ch for ch in text if ch.isalpha()]
    return {
        "function_words": sum(c in S.FUNCTION_WORDS for c in cores) / n if n else 0.0,
        "stutter": sum(a == b for a, b in zip(keys, keys[1:])) / (n - 1) if n >= 2 else 0.0,
        "glued": sum(len(w) >= 6 and GLUED_REPEAT.search(w) is not None for w in words) / n if n else 0.0,
        "drift": 0.0 if not any(letters) else max(highs) / min(window, len(letters)),
        "whitespace": sum(ch.isspace() for ch in text) / len(text) if text else 0.0,
        "foreign": (sum(ord(ch) > S.LATIN_END for ch in alpha) / len(alpha)
                    if any(ord(ch) > S.LATIN_END for ch in alpha) else 0.0),  # fmt: skip
        "empty_slots": sum(bool(EMPTY_SLOT.fullmatch(ln)) for ln in lines) / len(lines) if lines else 0.0,
    }


@settings(max_examples=300, deadline=None)
@given(fussy_texts, st.sampled_from([1, 3, 8, 300]))
def test_signals_are_their_literal_definitions(text, window):
    expected = obvious_signals(text, window)
    got = S.measure_all(text)
    got["drift"] = S.foreign_function_window(text, window)  # window 300: beyond the big-integer path's 255
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-12), name


def test_beyond_latin_in_utf8_is_a_code_point_above_latin_end():
    # signals._beyond_latin reads UTF-8 bytes; every code point alone, and after ASCII beyond its first 64 bytes
    for i in range(sys.maxunicode + 1):
        if 0xD800 <= i < 0xE000:  # surrogates have no UTF-8
            continue
        data = chr(i).encode()
        assert S._beyond_latin(data) == (i > S.LATIN_END), hex(i)
        assert S._beyond_latin(b"a" * 70 + data) == (i > S.LATIN_END), hex(i)
