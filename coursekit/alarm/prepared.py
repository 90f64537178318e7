"""One sample split and encoded once, for the signals (coursekit.alarm.signals) and v4's verdict (v4gate.judge).

Why a module of its own: v4's verdict reads v2's four scores and ten signals of every sample, and issue 11 asks
for at least 10,000 verdicts of 128 words per second on one core (benchmarks/bench_realworld.py prints it; on the
course's test machine it measured 9,400 to 11,000, median of three runs 10,625, where v2 scored 13,100 to 15,600).
Computed one by one, each signal would split the text, look its words up and build n-gram tuples again, and a
Python loop per word costs more than the whole budget. So ``Prepared`` splits the text once and replaces each
word by a small integer, its *id* (the distinct words numbered in order of first appearance), after which all
the work per word runs inside C code of the standard library:

- ``seq``: the ids in text order, one byte each (``bytes``) when the text has at most 256 distinct words, as any
  sample of up to 256 words does; a list of ints otherwise (the same arithmetic, only slower);
- what each distinct word is (English, a function word, glued ...) is one byte of bit flags (``flags``), which
  coursekit.alarm.wordflags remembers per word string across samples; ``bytes.translate`` gives every word its
  byte (``word_flags``), and "how many words have property P" deletes the others (``count_flag``);
- an n-gram is one integer (``codes(n)``): the n ids of a window written side by side into a ``bytearray`` and
  read back through a 16-, 32- or 64-bit ``memoryview``, so a set of n-grams is a set of ints, not of tuples; with
  few distinct words (a loop) the ids are the digits of one number below 256, a byte, and a set of them makes no
  int objects at all;
- consecutive equal words (stutter): XOR the sequence with itself shifted by one word; a zero byte is an equal
  pair (``equal_neighbours``).
- which n-grams occurred before (``seen_before``, for the repeated-n-gram coverage): in a loop from its first
  word, the first ``distinct`` n-grams are the first occurrences and nothing needs looking up.

Work per *distinct* word stays in Python only the first time a word is seen (wordflags); the values are exactly
those of the obvious definitions (every signal's docstring in coursekit.alarm.signals); tests/test_prepared.py
checks each fast path against the plain Python it replaces, on random text.
"""

from __future__ import annotations

import operator
import sys
from array import array
from itertools import repeat

from .metrics import word_core
from .wordflags import ASCII_NONLETTERS, ENGLISH, FOREIGN, FUNCTION, GLUED, LETTERS, STRIPPED, flags_of

__all__ = ["Prepared", "ASCII_NONLETTERS", "ASCII_WHITESPACE"]

# The ASCII characters str.isspace (and so str.split) treats as whitespace.
ASCII_WHITESPACE = bytes(i for i in range(128) if chr(i).isspace())
# str.lower and str.split of ASCII text as one bytes.translate and bytes.split, which make bytes objects (cheaper
# than str). bytes.split does not split at \x1c-\x1f, which str.split does, so those become spaces first.
_LOWER_ASCII = bytes.maketrans(bytes(range(65, 91)) + bytes(range(0x1C, 0x20)), bytes(range(97, 123)) + b"    ")

# Tables for bytes.translate over wordflags bytes: _WITHOUT[f] deletes the bytes lacking flag f, _HAS[f] maps a
# byte to 1 when it has f and to 0 otherwise. _NOT_LOWER deletes all but a-z.
_ALL_FLAGS = (ENGLISH, FUNCTION, FOREIGN, LETTERS, GLUED, STRIPPED)
_WITHOUT = {f: bytes(b for b in range(256) if not b & f) for f in _ALL_FLAGS}
_HAS = {f: bytes(1 if b & f else 0 for b in range(256)) for f in _WITHOUT}
_NOT_LOWER = bytes(b for b in range(256) if not 97 <= b <= 122)

# id -> id * m (mod 256) for each power m of a base up to 16 that is below 256, for _pack's one-byte codes.
_TIMES = {b**k: bytes(i * b**k % 256 for i in range(256)) for b in range(1, 17) for k in range(8) if b**k < 256}

_PACK = {1: "B", 2: "H", 4: "I", 8: "Q"}  # memoryview formats by width in bytes
assert all(array(f).itemsize == w for w, f in _PACK.items()), "a platform whose C ints are not 2, 4 and 8 bytes"


class Prepared:
    """``text`` split and encoded once (module docstring). Attributes:

    ``text``, ``data`` (its UTF-8 bytes), ``n`` (its number of words: ``text.lower().split()``), ``vocab`` (the
    distinct words, lowercased, in order of first appearance, as the split gives them: ``bytes`` for ASCII text,
    ``str`` otherwise; a word's id is its index here), ``flags`` (each distinct word's ``wordflags`` byte, in the
    same order), ``seq`` (the ids in text order), ``word_flags`` (each word's flags byte, in text order) and
    ``lines`` (the non-blank lines). ``distinct`` (``vocab`` as ``str``), ``core`` (each distinct word's
    ``metrics.word_core``), ``words``, ``nonspace`` and ``chars`` are computed when first asked for.
    """

    __slots__ = ("text", "data", "n", "vocab", "flags", "seq", "word_flags", "lines", "_distinct", "_core", "_codes",
                 "_sets", "_words", "_nonspace", "_chars", "_low")  # fmt: skip

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        ascii_ = text.isascii()
        self._low = low = None if ascii_ else text.lower()
        words: list = self.data.translate(_LOWER_ASCII).split() if ascii_ else low.split()
        self.n = n = len(words)
        # Each word's id in one pass of dict.setdefault (in C, through map): a word seen before gets its old id.
        # The ids handed out are positions in the text; translate renumbers them 0, 1, 2 ... (bytes.maketrans).
        ids: dict = {}
        if n <= 256:
            firsts = bytes(map(ids.setdefault, words, range(n)))
            renumber = bytes.maketrans(bytes(ids.values()), bytes(range(len(ids))))
            self.seq: bytes | list[int] = firsts.translate(renumber)
        else:
            ids = dict(zip(dict.fromkeys(words), range(n)))
            self.seq = list(map(ids.__getitem__, words))
            if len(ids) <= 256:
                self.seq = bytes(self.seq)
        # ASCII words stay bytes: the per-word work is the flags, remembered per word string (wordflags), so
        # nothing needs them as str unless ``distinct`` or ``core`` is asked for.
        self.vocab = list(ids)
        self.flags = flags = flags_of(self.vocab)
        # Each word's flags byte in text order, which every count of flagged words reads (count_flag).
        self.word_flags = self.seq.translate(flags.ljust(256, b"\0")) if isinstance(self.seq, bytes) else bytes(
            map(flags.__getitem__, self.seq))
        self._distinct = None if ascii_ else self.vocab
        self._words = None if ascii_ else words
        self._core: list[str] | None = None
        self.lines = list(filter(str.strip, text.splitlines()))  # the non-blank lines, filtered in C
        self._codes: dict[int, list] = {}
        self._sets: dict[int, set] = {}
        self._nonspace: str | None = None
        self._chars: set[str] | None = None

    @property
    def distinct(self) -> list[str]:
        """The distinct words (lowercased) as ``str``, in order of first appearance."""
        if self._distinct is None:
            self._distinct = list(map(bytes.decode, self.vocab))
        return self._distinct

    @property
    def core(self) -> list[str]:
        """Each distinct word's ``metrics.word_core``, in ``distinct``'s order."""
        if self._core is None:
            if self.text.isascii():  # one C call per distinct word
                self._core = list(map(str.strip, self.distinct, repeat(ASCII_NONLETTERS)))
            else:
                self._core = list(map(word_core, self.distinct))
        return self._core

    @property
    def words(self) -> list[str]:
        """``text.lower().split()``."""
        if self._words is None:
            self._words = list(map(self.distinct.__getitem__, self.seq))
        return self._words

    def count_flag(self, flag: int) -> int:
        """How many words (positions in the text) have ``flag`` (one of wordflags' bits): deleting the words
        without it is one C pass."""
        return len(self.word_flags.translate(None, _WITHOUT[flag]))

    def any_flag(self, flag: int) -> bool:
        """Whether some distinct word has ``flag``."""
        return len(self.flags.translate(None, _WITHOUT[flag])) > 0

    def flag_hits(self, hit: int, among: int) -> bytes:
        """For each word with flag ``among``, in text order, 1 when it also has flag ``hit``, else 0."""
        return self.word_flags.translate(_HAS[hit], _WITHOUT[among])

    @property
    def chars(self) -> set[str]:
        """The set of the text's non-whitespace characters (case-sensitive)."""
        if self._chars is None:
            # Every non-whitespace character lies in a word: joining the distinct words makes far fewer one-char
            # strings than the whole text when words repeat (a set of the text costs one object per character
            # beyond Latin-1). Lowercase text's distinct words are at hand; others are split again, keeping case.
            words = self.vocab if self._low == self.text else dict.fromkeys(self.text.split())
            self._chars = set("".join(words))
        return self._chars

    @property
    def nonspace(self) -> str:
        """The text with all its whitespace removed (``str.split``'s whitespace, i.e. ``str.isspace``'s)."""
        if self._nonspace is None:
            self._nonspace = "".join(self.text.split())
        return self._nonspace

    def nonspace_count(self) -> int:
        """How many characters of the text are not whitespace (one C pass deleting it from the bytes)."""
        t = self.text
        if t.isascii():
            return len(self.data.translate(None, ASCII_WHITESPACE))
        if len(self._low) == len(t):
            # Lowercasing made each character one character, and keeps whitespace whitespace and the rest not
            # (tests/test_prepared.py checks every code point): the lowercased words hold the rest, counted in C.
            return sum(map(len, self._words))
        return len(self.nonspace)

    def distinct_chars(self, cap: int) -> int:
        """min(``cap``, the number of distinct non-whitespace characters of the text, case-sensitive): what v2's
        character axis needs, which is full at 20."""
        t = self.text
        if t.isascii():
            # Every non-whitespace character lies in a word, and the distinct words hold them all, lowercased: a
            # loop's few words are far shorter than the text. Folding case only merges characters, so reaching
            # the cap lowercased settles it; below it, a letter counts once for each case the text holds it in.
            joined = b"".join(self.vocab)
            chars = set(joined[: 8 * cap])  # prose reaches the cap within a few lines: no need to read the rest
            if len(chars) < cap:
                chars = set(joined)
            if len(chars) >= cap:
                return cap
            low = bytes(chars).translate(None, _NOT_LOWER)  # the letters, all lowercase as the words are
            data = self.data
            cased = sum(map(data.__contains__, low)) + sum(map(data.__contains__, low.upper()))
            return min(cap, len(chars) - len(low) + cased)
        if self._low == t:  # the distinct words hold every non-whitespace character, in their own case
            if len(set("".join(self.vocab)[: 8 * cap])) >= cap:
                return cap
        else:
            head = set(t[: 8 * cap])  # as above: prose reaches the cap early
            if len(head) - sum(map(str.isspace, head)) >= cap:
                return cap
        return min(cap, len(self.chars))

    def codes(self, n: int) -> list:
        """One hashable value per word n-gram, in order: equal values for equal n-grams and only for them (ints
        packed from the n ids when they fit in 64 bits, tuples of ids otherwise). Computed once per n."""
        codes = self._packed(n)
        if not isinstance(codes, list):
            codes = self._codes[n] = list(codes)
        return codes

    def _packed(self, n: int) -> bytes | memoryview | list:
        """``codes(n)``, or the same ints still in bytes or a memoryview: a set reads them from it without a list
        of them (which costs as much as the set)."""
        if n not in self._codes:
            self._codes[n] = _pack(self.seq, n, len(self.vocab))
        return self._codes[n]

    def ngram_set(self, n: int) -> set:
        """The distinct word n-grams, as ``codes(n)`` values: a set built in C. Computed once per n."""
        if n not in self._sets:
            self._sets[n] = set(self._packed(n))
        return self._sets[n]

    def distinct_ngrams(self, n: int) -> int:
        """How many distinct word n-grams the text has (v2's n-gram axes and ``repeated_ngram_coverage``)."""
        if n == 2 and isinstance(self.seq, bytes) and self.n >= 3:
            # The bigrams are the trigrams' first two words, and the last bigram: read from the distinct trigrams
            # (a loop has few, prose repeats few) instead of from every position.
            d, seq = len(self.vocab), self.seq
            if d**3 <= 256:  # one-byte trigram codes a*d*d + b*d + c (_pack): the bigram's a*d + b is code // d
                bigrams = {code // d for code in self.ngram_set(3)}
                bigrams.add(seq[-2] * d + seq[-1])
                return len(bigrams)
            # Wider codes: a trigram's bytes are its ids a, b, c, 0, so the first half of each code, read as a
            # 16-bit int, is its bigram's code.
            firsts = memoryview(array("I", self.ngram_set(3))).cast("B").cast("H")[::2]
            bigrams = set(firsts)
            bigrams.add(int.from_bytes(seq[-2:], sys.byteorder))  # the same native 16-bit code
            return len(bigrams)
        return len(self.ngram_set(n))

    def seen_before(self, n: int) -> bytearray:
        """One flag per word n-gram, in order: 1 when the same n-gram occurred earlier, 0 at its first occurrence."""
        codes, distinct = self._packed(n), len(self.ngram_set(n))
        flags = bytearray(b"\x01") * len(codes)
        if len(set(codes[:distinct])) == distinct:
            # The first `distinct` n-grams are all different, so every distinct n-gram occurs first among them:
            # a loop from its first word. Nothing to look up.
            flags[:distinct] = bytes(distinct)
            return flags
        if distinct > 32:
            # Many distinct n-grams (prose that repeats a phrase): a dict filled from the last n-gram to the first
            # ends up holding each one's first position; those flags are cleared by a map, in C.
            g = len(codes)
            firsts = dict(zip(reversed(codes), range(g - 1, -1, -1)))
            any(map(flags.__setitem__, firsts.values(), repeat(0)))  # each call returns None, so any() runs them all
            return flags
        # dict.fromkeys keeps the distinct n-grams in order of first appearance, so each one's first position
        # lies after the previous one's: list.index resumes there, and the scans add up to one pass in C. The
        # Python loop runs once per distinct n-gram, which a loop has few of.
        codes = self.codes(n)
        i = 0
        for code in dict.fromkeys(codes):
            i = codes.index(code, i)
            flags[i] = 0
        return flags

    def equal_neighbours(self, keys: list[int] | None = None) -> int:
        """How many words equal the word before them, where two distinct words are equal when ``keys`` gives them
        the same number (``keys`` has one id from 0 to len(distinct) - 1 per distinct word, in its order; None:
        each distinct word its own number, i.e. equal words)."""
        seq = self.seq
        if len(seq) < 2:
            return 0
        if isinstance(seq, bytes):
            k = seq if keys is None else seq.translate(bytes(keys).ljust(256, b"\0"))
            # XOR of the sequence with itself one word later, as two big integers: a zero byte is an equal pair.
            x = int.from_bytes(k[:-1], "big") ^ int.from_bytes(k[1:], "big")
            return x.to_bytes(len(k) - 1, "big").count(0)
        k = seq if keys is None else list(map(keys.__getitem__, seq))
        return sum(map(operator.eq, k, k[1:]))


def _pack(seq: bytes | list[int], n: int, distinct: int) -> bytes | memoryview | list:
    """The n-grams of ``seq`` (ids below ``distinct``) as ints (module docstring): one byte each when they fit in
    one, in a memoryview of wider ints otherwise, or as a list of tuples when the ids or n are too large."""
    g = len(seq) - n + 1
    if g < 1:
        return []
    width = 1 if n == 1 else 2 if n == 2 else 4 if n <= 4 else 8 if n <= 8 else 0  # the narrowest that holds n
    if not isinstance(seq, bytes) or not width:
        return list(zip(*(seq[k:] for k in range(n))))
    if width == 1:
        return seq
    if distinct**n <= 256:
        # Few distinct words (a loop): the n ids as the digits of one base-`distinct` number, below 256. Lane k,
        # seq[k : k+g], times distinct**(n-1-k) (a translate), summed over k as big integers with a byte per
        # window: no byte exceeds 255, so none carries into the next. A set of these costs no int objects.
        total = 0
        for k in range(n):
            total += int.from_bytes(seq[k : k + g].translate(_TIMES[distinct ** (n - 1 - k)]), "big")
        return total.to_bytes(g, "big")
    # Window i's n ids go to bytes i*width ... i*width+n-1 (the rest stay 0): lane k holds seq[k : k+g].
    buf = bytearray(width * g)
    for k in range(n):
        buf[k::width] = seq[k : k + g]
    return memoryview(buf).cast(_PACK[width])
