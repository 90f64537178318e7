"""What the signals and v2's English axis ask of each distinct word, computed once per word string and remembered
across samples.

v4's verdict (v4gate.judge) reads six properties of every distinct word of a sample: is its core (metrics.word_core)
an English word, an English function word, a German, French ... function word (wordlists), is its core all letters,
is the word one piece glued three times (wordlists.GLUED_REPEAT, a regular expression that backtracks), and does its
stutter key (its core, or the word itself when it has no letters) differ from the word. Each costs Python work per
distinct word, and per sample it added up to a large part of issue 11's budget of 100 microseconds per verdict (on
the real-world corpus's texts cycled to 128 words, the glued test alone took about 14). But a training run writes
the same words again and again, and so does a collapsing one, so each word's answer is kept: one byte of bit flags
(``ENGLISH`` ... ``STRIPPED``) and the stutter key per word string. A sample then reads all its words' flags with
one ``bytes(map(dict.__getitem__, words))``, a loop in C; the words it has not seen are worked out together.

The memory is bounded: when ``CACHE_WORDS`` words or ``CACHE_CHARS`` characters are stored, the store is emptied
and refills from the next samples; a word longer than ``LONGEST_CACHED`` is never stored (it is worked out each
time: a sample holding one costs a Python call per distinct word). A word is looked up as the sample's split gives
it: ``bytes`` for ASCII text (coursekit.alarm.prepared splits ASCII text as bytes), ``str`` otherwise; both get the
same answer (``b"cat"`` is worked out as ``"cat"``). ``clear()`` empties the store (benchmarks/bench_realworld.py
uses it to time a verdict with nothing remembered).
"""

from __future__ import annotations

import operator
from itertools import repeat

from .metrics import english_lexicon, word_core
from .wordlists import FOREIGN_FUNCTION_WORDS, FUNCTION_WORDS, GLUED_REPEAT

__all__ = ["ENGLISH", "FUNCTION", "FOREIGN", "LETTERS", "GLUED", "STRIPPED", "flags_of", "keys_of", "word_flags",
           "word_key", "clear", "CACHE_WORDS", "CACHE_CHARS", "LONGEST_CACHED", "ASCII_NONLETTERS"]  # fmt: skip

ENGLISH = 1  # the core is in metrics.english_lexicon() (v2's English axis)
FUNCTION = 2  # the core is in wordlists.FUNCTION_WORDS
FOREIGN = 4  # the core is in wordlists.FOREIGN_FUNCTION_WORDS
LETTERS = 8  # the core is all letters (str.isalpha): a letter-word, for the drift window
GLUED = 16  # 6+ characters holding one piece of 2+ characters three times in a row (wordlists.GLUED_REPEAT)
STRIPPED = 32  # the word's key is not the word itself ("cat," -> "cat"), so another word may share the key

CACHE_WORDS = 100_000  # words remembered at most ...
CACHE_CHARS = 2_000_000  # ... and characters in them: with the dicts' entries, at most about 20 MB
LONGEST_CACHED = 10_000  # a "word" this long is a flood with no spaces, not a word

# What str.strip must remove from an ASCII word to leave its core (metrics.word_core: leading and trailing
# characters that are not str.isalpha; in ASCII only A-Z and a-z are). One C call instead of a Python loop.
ASCII_NONLETTERS = "".join(chr(i) for i in range(128) if not chr(i).isalpha())

_FLAGS: dict[bytes | str, int] = {}  # word -> its flags
_KEYS: dict[bytes | str, str] = {}  # word -> its key; holds exactly _FLAGS's words
_stored_chars = 0  # the characters of _FLAGS's words


def word_flags(word: bytes | str) -> int:
    """``word``'s flags (a lowercased word of a split; ``bytes`` only for ASCII), remembered for next time."""
    flags = _FLAGS.get(word)
    return flags if flags is not None else _learn([word])[0]


def _learn(words: list) -> bytes:
    """The flags of ``words``, in order, worked out together and stored: each property is one C loop over the
    words (a map), and the six 0/1 bytes per word are merged as big integers, a byte per word (no byte carries)."""
    global _stored_chars
    if all(isinstance(w, bytes) for w in words):  # an ASCII text's words: decoded and stripped in C
        texts = list(map(bytes.decode, words))
        cores = list(map(str.strip, texts, repeat(ASCII_NONLETTERS)))
    else:
        texts = [w if isinstance(w, str) else w.decode("ascii") for w in words]
        cores = list(map(word_core, texts))
    lexicon = english_lexicon()
    merged = 0
    for flag, has in ((ENGLISH, map(lexicon.__contains__, cores)), (FUNCTION, map(FUNCTION_WORDS.__contains__, cores)),
                      (FOREIGN, map(FOREIGN_FUNCTION_WORDS.__contains__, cores)), (LETTERS, map(str.isalpha, cores)),
                      (GLUED, (len(t) >= 6 and GLUED_REPEAT.search(t) is not None for t in texts))):  # fmt: skip
        merged |= int.from_bytes(bytes(has), "big") * flag
    # STRIPPED: a core that is neither empty nor the word itself
    merged |= (int.from_bytes(bytes(map(operator.ne, cores, texts)), "big")
               & int.from_bytes(bytes(map(bool, cores)), "big")) * STRIPPED  # fmt: skip
    flags = merged.to_bytes(len(words), "big")
    keys = [core or text for core, text in zip(cores, texts)]
    if len(_FLAGS) + len(words) > CACHE_WORDS or _stored_chars >= CACHE_CHARS:
        clear()
    stored, stored_keys, stored_flags = words, keys, flags
    if max(map(len, words), default=0) > LONGEST_CACHED:  # rare: leave out the floods
        kept = [i for i, w in enumerate(words) if len(w) <= LONGEST_CACHED]
        stored, stored_keys, stored_flags = [words[i] for i in kept], [keys[i] for i in kept], [flags[i] for i in kept]
    _stored_chars += sum(map(len, stored))
    _KEYS.update(zip(stored, stored_keys))  # before _FLAGS: a word found in _FLAGS has its key stored
    _FLAGS.update(zip(stored, stored_flags))
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
        _learn(list(set(words).difference(_FLAGS)))
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
