"""What the signals and v2's English axis ask of each distinct word, computed once per word string and remembered
across samples.

v4's verdict (v4gate.judge) reads five properties of every distinct word of a sample: is its core (metrics.word_core)
an English word, an English function word, a German, French ... function word (wordlists), is its core all letters,
and is the word one piece glued three times (wordlists.GLUED_REPEAT, a regular expression that backtracks). Each
costs a Python call per distinct word, and per sample they added up to more than a third of issue 11's budget of
100 microseconds per verdict. But a training run writes the same words again and again, and so does a collapsing
one, so each word's answer is kept: one byte of bit flags (``ENGLISH`` ... ``GLUED``) per word string, and the
word's *key* for the stutter signal (its core, or the word itself when it has no letters). A sample then reads all
its words' flags with one ``bytes(map(dict.__getitem__, words))``, a loop in C.

The memory is bounded: when ``CACHE_WORDS`` words or ``CACHE_CHARS`` characters are stored, the store is emptied
and refills from the next samples; a word longer than ``LONGEST_CACHED`` is never stored (it is worked out each
time: a sample holding one costs a Python call per distinct word). A word is looked up
as the sample's split gives it: ``bytes`` for ASCII text (coursekit.alarm.prepared splits ASCII text as bytes),
``str`` otherwise; both get the same answer (``b"cat"`` is worked out as ``"cat"``). ``clear()`` empties the store
(benchmarks/bench_realworld.py uses it to time a verdict with nothing remembered).
"""

from __future__ import annotations

from .metrics import english_lexicon, word_core
from .wordlists import FOREIGN_FUNCTION_WORDS, FUNCTION_WORDS, GLUED_REPEAT

__all__ = ["ENGLISH", "FUNCTION", "FOREIGN", "LETTERS", "GLUED", "STRIPPED", "flags_of", "keys_of", "word_flags", "word_key",
           "clear", "CACHE_WORDS", "CACHE_CHARS", "LONGEST_CACHED"]  # fmt: skip

ENGLISH = 1  # the core is in metrics.english_lexicon() (v2's English axis)
FUNCTION = 2  # the core is in wordlists.FUNCTION_WORDS
FOREIGN = 4  # the core is in wordlists.FOREIGN_FUNCTION_WORDS
LETTERS = 8  # the core is all letters (str.isalpha): a letter-word, for the drift window
GLUED = 16  # 6+ characters holding one piece of 2+ characters three times in a row (wordlists.GLUED_REPEAT)
STRIPPED = 32  # the word's key is not the word itself ("cat," -> "cat"), so another word may share the key

CACHE_WORDS = 100_000  # words remembered at most ...
CACHE_CHARS = 2_000_000  # ... and characters in them: with the dicts' entries, at most about 20 MB
LONGEST_CACHED = 10_000  # a "word" this long is a flood with no spaces, not a word

_FLAGS: dict[bytes | str, int] = {}  # word -> its flags
_KEYS: dict[bytes | str, str] = {}  # word -> its key; holds exactly _FLAGS's words
_stored_chars = 0  # the characters of _FLAGS's words


def word_flags(word: bytes | str) -> int:
    """``word``'s flags (a lowercased word of a split; ``bytes`` only for ASCII), remembered for next time."""
    flags = _FLAGS.get(word)
    if flags is not None:
        return flags
    text = word if isinstance(word, str) else word.decode("ascii")
    core = word_core(text)
    flags = ((core in english_lexicon()) * ENGLISH | (core in FUNCTION_WORDS) * FUNCTION
             | (core in FOREIGN_FUNCTION_WORDS) * FOREIGN | core.isalpha() * LETTERS
             | (len(text) >= 6 and GLUED_REPEAT.search(text) is not None) * GLUED
             | (core not in ("", text)) * STRIPPED)  # fmt: skip
    if len(word) <= LONGEST_CACHED:
        global _stored_chars
        if len(_FLAGS) >= CACHE_WORDS or _stored_chars >= CACHE_CHARS:
            clear()
        _stored_chars += len(word)
        _KEYS[word] = core or text  # before _FLAGS: a word found in _FLAGS has its key stored
        _FLAGS[word] = flags
    return flags


def word_key(word: bytes | str) -> str:
    """``word``'s key for stutter (consecutive_duplicate_rate): its core, or the word when the core is empty."""
    text = word if isinstance(word, str) else word.decode("ascii")
    return word_core(text) or text


def flags_of(words: list) -> bytes:
    """One flags byte per word of ``words``, in order: a loop in C when every word is remembered."""
    try:
        return bytes(map(_FLAGS.__getitem__, words))
    except KeyError:  # new words: work out only those (a set difference in C), then read all again
        for word in set(words).difference(_FLAGS):
            word_flags(word)
    try:
        return bytes(map(_FLAGS.__getitem__, words))
    except KeyError:  # a word too long to remember, or the store was emptied meanwhile
        return bytes(map(word_flags, words))


def keys_of(words: list) -> list[str]:
    """``word_key`` of each word of ``words``, in order (remembered by ``flags_of``)."""
    try:
        return list(map(_KEYS.__getitem__, words))
    except KeyError:  # not stored: too long, or the store was emptied since flags_of
        return list(map(word_key, words))


def clear() -> None:
    """Forget every word."""
    global _stored_chars
    _stored_chars = 0
    _FLAGS.clear()
    _KEYS.clear()
