"""Signals of degenerate text beyond v2's four axes: pure functions of one sample, standard library only.

Each signal reads one failure that v2 and v3 let through on the real-world corpus (data/realworld/); v4's rules
(coursekit.alarm.v4gate) compare each with one threshold:

    signal                      reads                                           high for
    compression_ratio           zlib ratio of the UTF-8 bytes                   a sentence said again and again
    repeated_ngram_coverage     share of words inside an n-gram seen before     phrase and word loops
    char_repetition             1 - zlib size / size, whitespace removed        loops however they are spaced
    consecutive_duplicate_rate  share of words equal to the word before         stutter
    function_word_share         share of words that are function words          function-word soup (low: token soup)
    special_token_density       <unk>, <|...|>, [/INST], U+FFFD per word        special-token floods
    whitespace_share            whitespace among all characters                 newline floods
    foreign_letter_share        letters beyond the Latin alphabets              Chinese in English text, soups
    foreign_function_window     German, French ... function words in the        a few sentences of another language
                                densest 8 letter-words
    glued_repeat_share          words that are one piece glued 3+ times         jump,jump,jump  regionionion  !!!!!!
    empty_slot_share            lines that are a bare list/table marker         list templates with empty slots

Words and characters both, so a model's own tokenizer cannot hide a loop from a whitespace split: ``jump,jump,
jump`` is one "word" to ``str.split`` but compresses like the loop it is (``char_repetition`` removes the
whitespace first). Whisper treats a compression ratio above 2.4 as a repetition loop and re-decodes (openai/whisper,
``compression_ratio_threshold``); repeated n-grams are Welleck et al. 2020's measure of repetition (seq-rep-n,
"Neural Text Generation with Unlikelihood Training").

Every function takes a ``str`` (anything else raises TypeError naming the type) and returns a float; the empty
string and other degenerate inputs get a defined value, documented per function. tests/test_signals.py works an
example of each by hand; benchmarks/bench_realworld.py measures their cost per sample. Each is computed from a
``Prepared`` text (coursekit.alarm.prepared: split, its words numbered and its n-grams packed once, so the work per
word runs in C), which ``measure_all`` and v4's ``judge`` share between all the signals and v2's four axes.
"""

from __future__ import annotations

import re
import zlib
from .prepared import Prepared
from .wordflags import FOREIGN, FUNCTION, GLUED, LETTERS, STRIPPED, keys_of
from .wordlists import EMPTY_SLOT, FUNCTION_WORDS, SPECIAL_TOKEN

__all__ = [
    "FUNCTION_WORDS",
    "SPECIAL_TOKEN",
    "compression_ratio",
    "repeated_ngram_coverage",
    "char_repetition",
    "consecutive_duplicate_rate",
    "function_word_share",
    "special_token_density",
    "whitespace_share",
    "foreign_letter_share",
    "foreign_function_window",
    "glued_repeat_share",
    "empty_slot_share",
    "measure_all",
    "Prepared",
    "prepare",
    "measure_prepared",
    "SIGNAL_NAMES",
]

def _require_str(text: object, func: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{func}() expects text as str, got {type(text).__name__}")
    return text


def prepare(text: str) -> Prepared:
    """Split and look up ``text`` once, for ``measure_prepared`` (and v4's judge)."""
    return Prepared(_require_str(text, "prepare"))


_Prep = Prepared


def _compression(p: _Prep) -> float:
    return len(p.data) / len(zlib.compress(p.data)) if p.data else 0.0


def _coverage(p: _Prep, n: int = 3) -> float:
    # No Python loop per word: a flag per n-gram says "seen before" (Prepared.seen_before); word j is covered iff a
    # flag sits in one of the n n-grams ending at j. As one big integer, a byte per n-gram (n-gram i is byte i),
    # OR-ed with itself shifted up by 1 ... n-1 bytes, byte j holds exactly that: 1 for a covered word.
    if p.n < n:
        return 0.0
    if p.distinct_ngrams(n) == p.n - n + 1:  # the common case: no n-gram occurs twice
        return 0.0
    flags = int.from_bytes(p.seen_before(n), "little")
    covered = flags
    for k in range(1, n):
        covered |= flags << (8 * k)
    return (p.n - covered.to_bytes(p.n, "little").count(0)) / p.n


def _char_rep(p: _Prep) -> float:
    data = p.nonspace.encode("utf-8")
    return 1.0 - len(zlib.compress(data)) / len(data) if data else 0.0


def _duplicates(p: _Prep) -> float:
    if p.n < 2:
        return 0.0
    if not p.any_flag(STRIPPED):  # the common case: every word is its own key, so equal keys are equal words
        return p.equal_neighbours() / (p.n - 1)
    # Per distinct word its key (its core, or the word if it has no letters; remembered per word by wordflags)
    # and the first distinct word with that key; then the words are compared with their neighbours in C
    # (Prepared.equal_neighbours).
    first: dict[str, int] = {}
    keys = list(map(first.setdefault, keys_of(p.vocab), range(len(p.vocab))))
    return p.equal_neighbours(keys) / (p.n - 1)


def _function_share(p: _Prep) -> float:
    if not p.n:
        return 0.0
    return p.count_flag(FUNCTION) / p.n


def _special(p: _Prep) -> float:
    if not p.n:
        return 0.0
    t = p.text
    if "<" not in t and "[" not in t and "\ufffd" not in t and "\u2047" not in t:  # the common case
        return 0.0
    return min(1.0, len(SPECIAL_TOKEN.findall(t)) / p.n)


def _whitespace(p: _Prep) -> float:
    t = p.text
    return (len(t) - p.nonspace_count()) / len(t) if t else 0.0


def _foreign_letters(p: _Prep) -> float:
    t = p.text
    if t.isascii():  # the common case: no letter beyond Latin
        return 0.0
    if not _beyond_latin(p.data):  # accents and symbols only (é, ä): no letter beyond Latin
        return 0.0
    # Counted per distinct character (a loop has few), each with one C count over the text.
    letters = [c for c in p.chars if c.isalpha()]
    beyond = sum(map(t.count, [c for c in letters if ord(c) > LATIN_END]))
    if not beyond:
        return 0.0
    return beyond / sum(map(t.count, letters))


def _foreign_window(p: _Prep, window: int = 8) -> float:
    hits = p.flag_hits(FOREIGN, LETTERS)  # per letter-word in text order: 1 for a foreign one
    if 1 not in hits:  # the common case: none at all (a foreign function word is all letters)
        return 0.0
    if len(hits) <= window:
        return sum(hits) / len(hits)
    if window < 256:
        # Every window's count at once, in C: hits as one big integer, a byte per word (word i is byte i), plus
        # itself shifted down by 1 ... window-1 words; byte i of the sum is the count of words i ... i+window-1
        # (at most window, so no byte carries into the next). The last few bytes count windows cut short by the
        # end of the text, each a part of the last whole window, so they are never the highest.
        x = int.from_bytes(hits, "little")
        counts = x
        for k in range(1, window):
            counts += x >> (8 * k)
        return max(counts.to_bytes(len(hits), "little")) / window
    run = high = sum(hits[:window])
    for i in range(window, len(hits)):  # slide: add the word entering, drop the one leaving
        run += hits[i] - hits[i - window]
        high = max(high, run)
    return high / window


def _glued(p: _Prep) -> float:
    # Each distinct (lowercased) word is tested once and remembered (wordflags): case does not change a run.
    if not p.n:
        return 0.0
    return p.count_flag(GLUED) / p.n


def _empty_slots(p: _Prep) -> float:
    if not p.lines:
        return 0.0
    return (len(p.lines) - list(map(EMPTY_SLOT.fullmatch, p.lines)).count(None)) / len(p.lines)  # in C


def _check_positive(name: str, v: object) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"{name} must be a positive int, got {v!r}")


# --- public API: one function per signal (each prepares the text itself), and all of them at once ------------


def compression_ratio(text: str) -> float:
    """len(UTF-8 bytes) / len(zlib-compressed bytes), as Whisper computes it; 0.0 for "".

    Repetition compresses: a phrase said 20 times costs little more than said once. zlib's fixed overhead
    (about 8 bytes) keeps short samples below 1.
    """
    return _compression(_Prep(_require_str(text, "compression_ratio")))


def repeated_ngram_coverage(text: str, n: int = 3) -> float:
    """Share of words (lowercased) that lie inside an n-gram which already occurred earlier; 0.0 with < n words.

    A loop repeats every n-gram after its first period, so nearly all its words are covered; prose repeats an
    n-gram rarely. ``n`` must be at least 1.
    """
    _check_positive("n", n)
    return _coverage(_Prep(_require_str(text, "repeated_ngram_coverage")), n)


def char_repetition(text: str) -> float:
    """1 - zlib size / size of the text's UTF-8 bytes with all whitespace removed; 0.0 for blank text.

    Removing whitespace first means spacing cannot hide a loop: ``jump jump jump`` and ``jump,jump,jump`` are the
    same repetition, and so are sub-word fragments ``region ionionion``. The value can be negative for short
    text (zlib's overhead exceeds the saving); it approaches 1 for a long flood of one character.
    """
    return _char_rep(_Prep(_require_str(text, "char_repetition")))


def consecutive_duplicate_rate(text: str) -> float:
    """Share of words (cores, lowercased; a word with no letters keeps its form) equal to the word before them;
    0.0 with fewer than 2 words. ``the the cat cat`` -> 2 of 3 pairs -> 0.667."""
    return _duplicates(_Prep(_require_str(text, "consecutive_duplicate_rate")))


def function_word_share(text: str) -> float:
    """Share of words whose core (lowercased) is an English function word; 0.0 with no words."""
    return _function_share(_Prep(_require_str(text, "function_word_share")))


def special_token_density(text: str) -> float:
    """Special tokens and chat markup (``SPECIAL_TOKEN``) per whitespace word, capped at 1.0; 0.0 with no words.

    Counted as matches, not words, because they glue: ``<|endoftext|>`` x 30 with no spaces is one word
    holding 30 tokens (capped: density 1.0).
    """
    return _special(_Prep(_require_str(text, "special_token_density")))


def whitespace_share(text: str) -> float:
    """Whitespace characters / all characters; 0.0 for "" (a newline or space flood is near 1)."""
    return _whitespace(_Prep(_require_str(text, "whitespace_share")))


LATIN_END = 0x24F  # Basic Latin through Latin Extended-B: English, German, French, Portuguese ... letters
# A character above U+024F in UTF-8 is a lead byte from 0xCA up (U+0280 on), or 0xC9 followed by a continuation
# byte from 0x90 (U+0250 to U+027F). bytes.translate deleting all bytes below 0xCA finds the first kind in one C pass,
# several times faster than a character class searched by re (in the str or in the bytes); 0xC9 is rare.
_BELOW_CA = bytes(range(0xCA))
_C9_BEYOND = re.compile(rb"\xc9[\x90-\xbf]")
assert LATIN_END == 0x24F, "_beyond_latin encodes U+024F as the last Latin code point"


def _beyond_latin(data: bytes) -> bool:
    """Whether the UTF-8 ``data`` holds a character above ``LATIN_END``: its first bytes first (a text in another
    script shows it at once), then all of it."""
    if data[:64].translate(None, _BELOW_CA) or data.translate(None, _BELOW_CA):
        return True
    return b"\xc9" in data and _C9_BEYOND.search(data) is not None


def foreign_letter_share(text: str) -> float:
    """Letters beyond the Latin alphabets (code point above U+024F: CJK, Cyrillic, Greek ...) / all letters;
    0.0 with no letters. One Chinese sentence in an English answer is a few percent; English text is 0."""
    return _foreign_letters(_Prep(_require_str(text, "foreign_letter_share")))


def foreign_function_window(text: str, window: int = 8) -> float:
    """The highest share of ``FOREIGN_FUNCTION_WORDS`` in any ``window`` consecutive letter-words; 0.0 with none.

    A letter-word is a word whose core (lowercased) is all letters, so code and numbers do not dilute a window.
    With fewer letter-words than ``window``, the share over all of them.
    """
    _check_positive("window", window)
    return _foreign_window(_Prep(_require_str(text, "foreign_function_window")), window)


def glued_repeat_share(text: str) -> float:
    """Share of words of 6+ characters that hold one piece of 2+ characters three times in a row with no space:
    ``jump,jump,jump,``, ``regionionion``, ``!!!!!!``; 0.0 with no words.

    ``str.split`` sees such a run as one word, so v2's n-gram axes count it once and its core may be English;
    this reads the repetition inside the word.
    """
    return _glued(_Prep(_require_str(text, "glued_repeat_share")))


def empty_slot_share(text: str) -> float:
    """Share of non-blank lines that are a bare marker with nothing in it (``1.``, ``- **:**``, ``| | |``,
    ``##``): a list or table template whose slots stayed empty; 0.0 with no non-blank lines.

    A Markdown table's ``|---|---|`` separator is not a slot (it has dashes), nor is a line of code.
    """
    return _empty_slots(_Prep(_require_str(text, "empty_slot_share")))


def measure_all(text: str) -> dict[str, float]:
    """Every signal of ``text`` at once (the text split and its words looked up once), by short name, with the
    defaults above (3-grams, windows of 8), plus the counts of words and of non-blank lines."""
    return measure_prepared(Prepared(_require_str(text, "measure_all")))


_KERNELS = {  # short name -> the signal of a Prepared text, with the defaults above
    "compression": _compression,
    "repeat": _coverage,
    "char_repeat": _char_rep,
    "glued": _glued,
    "stutter": _duplicates,
    "function_words": _function_share,
    "special_tokens": _special,
    "whitespace": _whitespace,
    "empty_slots": _empty_slots,
    "drift": _foreign_window,
    "foreign": _foreign_letters,
}
SIGNAL_NAMES = tuple(_KERNELS)


def measure_prepared(p: Prepared, names: tuple[str, ...] = SIGNAL_NAMES) -> dict[str, float]:
    """``measure_all`` of a ``prepare``-d text, or only the signals ``names`` (a gate computes what it reads)."""
    if not isinstance(p, Prepared):
        raise TypeError(f"measure_prepared() expects a Prepared (from prepare()), got {type(p).__name__}")
    out = {name: _KERNELS[name](p) for name in names}
    out["words"] = float(p.n)
    out["lines"] = float(len(p.lines))
    return out
