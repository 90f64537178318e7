"""Signals of degenerate text beyond v2's four axes: pure functions of one sample, standard library only.

Each signal reads one failure that v2 and v3 let through on the real-world corpus (data/realworld/):

    signal                      reads                                  a loop / flood       fluent prose
    compression_ratio           zlib ratio of the UTF-8 bytes          high (> 2.4)         1.2 - 1.8
    repeated_ngram_coverage     words inside an n-gram seen before     near 1               near 0
    char_repetition             1 - zlib size / size, spaces removed   near 1               0.3 - 0.5
    consecutive_duplicate_rate  words equal to the word before         stutter: >= 0.5      ~0
    function_word_share         words that are function words          soup: > 0.9          0.4 - 0.6
    special_token_density       words holding <unk>, <|...|>, [/INST]  floods: near 1       0
    whitespace_share            whitespace among all characters        newline floods       0.15 - 0.3
    min_window_english          least English share in 8 letter-words  drift: low           high
    foreign_letter_share        letters outside the Latin alphabets    CJK drift, soup      0

Words and characters both, so a model's own tokenizer cannot hide a loop from a whitespace split: ``jump,jump,
jump`` is one "word" to ``str.split`` but compresses like the loop it is (``char_repetition`` removes the
whitespace first). Whisper treats a compression ratio above 2.4 as a repetition loop and re-decodes (openai/whisper,
``compression_ratio_threshold``); seq-rep-n and repeated n-grams are Welleck et al. 2020's measures of
repetition ("Neural Text Generation with Unlikelihood Training").

Every function takes a ``str`` (anything else raises TypeError naming the type) and returns a float; the empty
string and other degenerate inputs get a defined value, documented per function. tests/test_signals.py works an
example of each by hand; benchmarks/bench_realworld.py measures their cost per sample.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

from .metrics import english_lexicon, word_core

__all__ = [
    "FUNCTION_WORDS",
    "SPECIAL_TOKEN",
    "compression_ratio",
    "repeated_ngram_coverage",
    "seq_rep_n",
    "char_repetition",
    "consecutive_duplicate_rate",
    "function_word_share",
    "special_token_density",
    "whitespace_share",
    "min_window_english",
    "foreign_letter_share",
]

# English function words (articles, pronouns, prepositions, conjunctions, auxiliaries): the words that carry
# grammar, not content. Prose is about half these; a soup of them is nearly all.
FUNCTION_WORDS = frozenset(
    "a an the this that these those my your his her its our their i you he she it we they me him us them "
    "who whom whose which what of in on at by for with from to into onto upon about over under between through "
    "during before after above below up down out off again and or but nor so yet if then than as because while "
    "although though is am are was were be been being have has had do does did will would shall should can could "
    "may might must not no there here when where how all any both each few more most other some such only own "
    "same too very just also".split()
)

# Special tokens and chat markup that leak into text: <unk> <pad> <s> </s> <mask> <|anything|> <extra_id_3>,
# [INST] [/INST] [UNK] [PAD] [CLS] [SEP] [MASK], U+FFFD (undecodable bytes) and U+2047 (llama.cpp's unknown).
# HTML tags (<li>, <a href=...>) are deliberately not matched: healthy technical text has them.
SPECIAL_TOKEN = re.compile(r"<\|[^|<>\s]{0,30}\|>|</?(?:unk|pad|s|mask|eos|bos)>|<extra_id_\d+>|"
                           r"\[/?(?:INST|UNK|PAD|CLS|SEP|MASK)\]|[\ufffd\u2047]")  # fmt: skip


def _require_str(text: object, func: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{func}() expects text as str, got {type(text).__name__}")
    return text


def compression_ratio(text: str) -> float:
    """len(UTF-8 bytes) / len(zlib-compressed bytes), as Whisper computes it; 0.0 for "".

    Repetition compresses: a phrase said 20 times costs little more than said once. zlib's fixed overhead
    (about 8 bytes) keeps short samples below 1.
    """
    data = _require_str(text, "compression_ratio").encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _ngrams(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return list(zip(*(words[i:] for i in range(n))))


def repeated_ngram_coverage(text: str, n: int = 4) -> float:
    """Share of words (lowercased) that lie inside an n-gram which already occurred earlier; 0.0 with < n words.

    A loop repeats every n-gram after its first period, so nearly all its words are covered; prose repeats an
    n-gram rarely. ``n`` must be at least 1.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    words = _require_str(text, "repeated_ngram_coverage").lower().split()
    if len(words) < n:
        return 0.0
    seen: set[tuple[str, ...]] = set()
    covered = [False] * len(words)
    for i, gram in enumerate(_ngrams(words, n)):
        if gram in seen:
            covered[i : i + n] = [True] * n
        else:
            seen.add(gram)
    return sum(covered) / len(words)


def seq_rep_n(text: str, n: int = 4) -> float:
    """Welleck et al.'s seq-rep-n: 1 - distinct word n-grams / word n-grams; 0.0 with fewer than n words."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    words = _require_str(text, "seq_rep_n").lower().split()
    grams = _ngrams(words, n)
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0


def char_repetition(text: str) -> float:
    """1 - zlib size / size of the text's UTF-8 bytes with all whitespace removed; 0.0 for blank text.

    Removing whitespace first means spacing cannot hide a loop: ``jump jump jump`` and ``jump,jump,jump`` are the
    same repetition, and so are sub-word fragments ``region ionionion``. The value can be negative for short
    text (zlib's overhead exceeds the saving); it approaches 1 for a long flood of one character.
    """
    data = "".join(_require_str(text, "char_repetition").split()).encode("utf-8")
    return 1.0 - len(zlib.compress(data)) / len(data) if data else 0.0


def consecutive_duplicate_rate(text: str) -> float:
    """Share of words (cores, lowercased; a word with no letters keeps its form) equal to the word before them;
    0.0 with fewer than 2 words. ``the the cat cat`` -> 2 of 3 pairs -> 0.667."""
    words = [word_core(w) or w for w in _require_str(text, "consecutive_duplicate_rate").lower().split()]
    if len(words) < 2:
        return 0.0
    return sum(a == b for a, b in zip(words, words[1:])) / (len(words) - 1)


def function_word_share(text: str) -> float:
    """Share of words whose core (lowercased) is an English function word; 0.0 with no words."""
    words = _require_str(text, "function_word_share").lower().split()
    if not words:
        return 0.0
    return sum(word_core(w) in FUNCTION_WORDS for w in words) / len(words)


def special_token_density(text: str) -> float:
    """Special tokens and chat markup (``SPECIAL_TOKEN``) per whitespace word, capped at 1.0; 0.0 with no words.

    Counted as matches, not words, because they glue: ``<|endoftext|>`` x 30 with no spaces is one word
    holding 30 tokens (capped: density 1.0).
    """
    text = _require_str(text, "special_token_density")
    n_words = len(text.split())
    if not n_words:
        return 0.0
    return min(1.0, len(SPECIAL_TOKEN.findall(text)) / n_words)


def whitespace_share(text: str) -> float:
    """Whitespace characters / all characters; 0.0 for "" (a newline or space flood is near 1)."""
    text = _require_str(text, "whitespace_share")
    if not text:
        return 0.0
    return (len(text) - len("".join(text.split()))) / len(text)


def min_window_english(text: str, window: int = 8) -> float:
    """The lowest share of English words in any ``window`` consecutive letter-words; 1.0 with no letter-words.

    A letter-word is a word whose core is all letters (``str.isalpha``: CJK counts, ``x.sum()`` does not), so
    code and numbers do not dilute the window. A few sentences of German or Chinese in an English answer pull one
    window far down while the whole sample's English share hardly moves. With fewer letter-words than
    ``window``, the share over all of them.
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    lex = english_lexicon()
    hits = [c in lex for w in _require_str(text, "min_window_english").lower().split()
            if (c := word_core(w)).isalpha()]  # fmt: skip
    if not hits:
        return 1.0
    if len(hits) <= window:
        return sum(hits) / len(hits)
    run = sum(hits[:window])
    low = run
    for i in range(window, len(hits)):
        run += hits[i] - hits[i - window]
        low = min(low, run)
    return low / window


LATIN_END = 0x24F  # Basic Latin through Latin Extended-B: English, German, French, Portuguese ... letters


def foreign_letter_share(text: str) -> float:
    """Letters beyond the Latin alphabets (code point above U+024F: CJK, Cyrillic, Greek ...) / all letters;
    0.0 with no letters. One Chinese sentence in an English answer is a few percent; English text is 0."""
    letters = [ch for ch in _require_str(text, "foreign_letter_share") if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(ord(ch) > LATIN_END for ch in letters) / len(letters)
