"""The failure-mode battery: labelled samples of every way a language model's output goes wrong (data/battery.jsonl).

Each record is ``{"id", "mode", "origin", "text", "degenerate", "expected"?, "note"?}``:

- ``mode``: healthy, single_token_loop, ab_loop, longer_loop, punctuation_noise, non_english,
  character_collapse or empty (``MODES``);
- ``origin``: ``"hand"`` (written and labelled by hand) or ``"generated"`` (by a seeded generator below);
- ``degenerate``: the verdict the spec implies, derived by hand or, for generated samples, by arithmetic on
  how the sample was built, never by running the scorer;
- ``expected``: for generated samples, the four axis scores worked out from the construction (a k-word loop
  of n words has exactly k distinct bigrams and k distinct trigrams once n >= k + 2, and so on), which the tests
  compare with ``eval_chat_quality`` to 1e-9: an independent check of the scorer.

Regenerate with ``python -m coursekit.course.battery`` (``--check`` compares); tests/test_battery.py does the check.
Lessons 03 and 06 use the battery for the failure-mode x axis matrix and the composite's blind spots.
"""

from __future__ import annotations

import json
import random
import sys

from coursekit.alarm.metrics import (
    BIGRAM_MAX,
    CHARS_FULL_AT,
    CHARS_MAX,
    DEFAULT_THRESHOLD,
    ENGLISH_MAX,
    TRIGRAM_MAX,
    english_lexicon,
    english_words,
)
from coursekit.backtest.datasets import BATTERY_FILE, data_dir, load_battery

__all__ = ["MODES", "load_battery", "build_battery", "main"]  # load_battery lives in coursekit.backtest.datasets

MODES = (
    "healthy",
    "single_token_loop",
    "ab_loop",
    "longer_loop",
    "punctuation_noise",
    "non_english",
    "character_collapse",
    "empty",
)
SEED = 2024

# Written by hand. ``degenerate`` for each is worked out in the comment beside it or follows from the
# healthy text having nearly all-distinct n-grams (>= 60 of the 70 n-gram points alone).
HAND = [
    ("healthy", "The loss curve kept falling for sixteen days, so nobody opened the sample files until the run was already lost.", False, None),
    ("healthy", "Cross-entropy rewards a model for putting probability on the tokens that actually come next, and nothing else.", False, None),
    ("healthy", "A gate that needs five bad samples in a row will never fire on one unlucky draw, which is exactly why it is trusted.", False, None),
    ("healthy", "We checked the data loader, the learning rate schedule and the tokenizer before we looked at what the model wrote.", False, None),
    ("healthy", "She poured the coffee, opened the window and read the morning paper while the rain slowly stopped.", False, None),
    ("healthy", "Python lists keep their items in order, while sets forget the order and keep each item only once.", False, None),
    ("healthy", "def add(a, b):\n    return a + b\n\nprint(add(2, 3))", False, "code: few English words, but every n-gram is distinct"),
    ("single_token_loop", " ".join(["region"] * 8), False, "docs/specification.md §4: 5.0 + 5.8333 + 20 + 3.0 = 33.83, passes on its own"),
    ("single_token_loop", " ".join(["region"] * 64), True, "docs/specification.md §4: 0.5556 + 0.5645 + 20 + 3.0 = 24.12"),
    ("single_token_loop", " ".join(["the"] * 40), True, "35/39 + 35/38 + 20 + 10*3/20 = 0.897 + 0.921 + 20 + 1.5 = 23.32"),
    ("ab_loop", " ".join(["of the"] * 32), True, "2 distinct of 63 bigrams, 2 of 62 trigrams: 1.111 + 1.129 + 20 + 10*5/20 = 24.74"),
    ("ab_loop", " ".join(["yes no"] * 4), False, "8 words: 35*2/7 + 35*2/6 + 20 + 10*5/20 = 10 + 11.67 + 20 + 2.5 = 44.17, short loops pass"),
    ("longer_loop", " ".join(["the model said that"] * 16), True, "64 words, 4-word cycle: 35*4/63 + 35*4/62 + 20 + 10*10/20 = 2.222 + 2.258 + 20 + 5 = 29.48"),
    ("longer_loop", " ".join(["i think we should stop the run now"] * 8), False, "8-word cycle, 64 words: 35*8/63 + 35*8/62 + 20 + 10*14/20 = 4.444 + 4.516 + 20 + 7 = 35.96: long cycles pass"),
    ("punctuation_noise", "''''' ''''' '' ''' ''", False, "docs/specification.md §4: 35 + 35 + 0 + 0.5 = 70.5, the blind spot"),
    ("punctuation_noise", " ".join(["''"] * 40), True, "one token: 35/39 + 35/38 + 0 + 0.5 = 2.32"),
    ("punctuation_noise", ". , ; : ! ? ' \" ( ) [ ] { } - _ / \\ | * & ^ % $ #", False, "24 distinct one-char words: 35 + 35 + 0 + 10 = 80"),
    ("non_english", "Der Hund läuft schnell über die Straße und bellt laut.", False, "German: all n-grams distinct, 70 + some English credit"),
    ("non_english", "Le chat dort sur le canapé pendant que la pluie tombe.", False, "French: all n-grams distinct"),
    ("non_english", "猫がソファで寝ている間に雨が降っている。", True, "no spaces, so one 'word': 0 + 0 + 0 + 10*16/20 = 8, a false alarm on fluent Japanese"),
    ("character_collapse", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", True, "one word: 0 + 0 + 0 (core 'aaa…' not in lexicon) + 10*1/20 = 0.5"),
    ("character_collapse", " ".join(["aaaa"] * 30), True, "35/29 + 35/28 + 0 + 0.5 = 1.207 + 1.25 + 0.5 = 2.96"),
    ("character_collapse", "ɑɑɑɑ ɑɑɑ ɑɑɑɑɑ ɑɑ ɑɑɑɑ ɑɑɑ", False, "4 of 5 bigrams distinct -> 28, 4 of 4 trigrams -> 35, 0, 0.5 = 63.5: varied run lengths pass"),
    ("empty", "", True, "docs/specification.md §4: '' scores 0 on every axis"),
    ("empty", "   \n\t  ", True, "whitespace only: no words, no non-whitespace characters: 0"),
]


def _chars_score(text: str) -> float:
    return CHARS_MAX * min(1.0, len({c for c in text if not c.isspace()}) / CHARS_FULL_AT)


def _loop(words: list[str], n: int, english: float) -> tuple[str, dict]:
    """A cycle of k distinct-transition words repeated to n words, and its scores by construction.

    With k >= 2 distinct words in a cycle and n >= k + 2 there are exactly k distinct bigrams among n - 1 and k
    distinct trigrams among n - 2 (each position's n-gram is fixed by its phase in the cycle).
    """
    k = len(words)
    seq = [words[i % k] for i in range(n)]
    text = " ".join(seq)
    distinct = 1 if k == 1 else k
    expected = {
        "bigram": BIGRAM_MAX * distinct / (n - 1),
        "trigram": TRIGRAM_MAX * distinct / (n - 2),
        "english": english,
        "chars": _chars_score(text),
    }
    return text, expected


def _generated(rng: random.Random) -> list[tuple[str, str, dict]]:
    lexicon = [w for w in english_words() if w.isalpha() and 3 <= len(w) <= 8]  # most frequent first
    out = []
    for _ in range(6):  # single-token loops of a common English word, 32-96 words long
        word = rng.choice(lexicon[:2000])
        n = rng.randrange(32, 97)
        text, exp = _loop([word], n, ENGLISH_MAX)
        out.append(("single_token_loop", text, exp))
    for _ in range(5):  # a-b loops of two English words
        a, b = rng.sample(lexicon[:2000], 2)
        n = rng.randrange(32, 97)
        text, exp = _loop([a, b], n, ENGLISH_MAX)
        out.append(("ab_loop", text, exp))
    for _ in range(5):  # longer loops: a cycle of 3-6 distinct English words
        cycle = rng.sample(lexicon[:3000], rng.randrange(3, 7))
        n = rng.randrange(48, 129)
        text, exp = _loop(cycle, n, ENGLISH_MAX)
        out.append(("longer_loop", text, exp))
    marks = list("'\".,;:!?-*")
    for _ in range(5):  # punctuation noise: distinct runs of quotes and marks, so every n-gram is new
        seen: set[str] = set()
        while len(seen) < rng.randrange(6, 20):
            seen.add("".join(rng.choice(marks[: rng.randrange(1, 4)]) for _ in range(rng.randrange(1, 7))))
        words = rng.sample(sorted(seen), len(seen))
        text = " ".join(words)
        n = len(words)
        exp = {"bigram": BIGRAM_MAX, "trigram": TRIGRAM_MAX if n >= 3 else 0.0, "english": 0.0, "chars": _chars_score(text)}
        out.append(("punctuation_noise", text, exp))
    syllables = ["ka", "lo", "mi", "zu", "tre", "vak", "osh", "ny", "gü", "sei", "rå", "pex"]
    lex = english_lexicon()
    for _ in range(5):  # non-English drift: distinct pseudo-words none of which is in the lexicon
        words: list[str] = []
        while len(words) < rng.randrange(10, 40):
            w = "".join(rng.choice(syllables) for _ in range(rng.randrange(2, 4)))
            if w not in lex and w not in words:
                words.append(w)
        text = " ".join(words)
        exp = {"bigram": BIGRAM_MAX, "trigram": TRIGRAM_MAX, "english": 0.0, "chars": _chars_score(text)}
        out.append(("non_english", text, exp))
    for _ in range(4):  # character collapse: one repeated non-word run ("zzzz" is in no lexicon), 30-80 times
        run = ""
        while not run or run in lex:
            run = rng.choice(["x", "z", "q", "_", "~"]) * rng.randrange(3, 9)
        n = rng.randrange(30, 81)
        text, exp = _loop([run], n, 0.0)
        out.append(("character_collapse", text, exp))
    return out


def build_battery(seed: int = SEED) -> list[dict]:
    """All battery records: the hand-written ones, then the seeded generated ones."""
    records = []
    for i, (mode, text, degenerate, note) in enumerate(HAND):
        rec = {"id": f"hand-{i:02d}", "mode": mode, "origin": "hand", "text": text, "degenerate": degenerate}
        if note:
            rec["note"] = note
        records.append(rec)
    for i, (mode, text, expected) in enumerate(_generated(random.Random(seed))):
        total = sum(expected.values())
        records.append({
            "id": f"gen-{i:02d}",
            "mode": mode,
            "origin": "generated",
            "text": text,
            "degenerate": total < DEFAULT_THRESHOLD,
            "expected": dict(expected, total=total),
        })
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main(argv: list[str] | None = None) -> int:
    """``python -m coursekit.course.battery [--check]``: rewrite data/battery.jsonl, or compare with a regeneration."""
    argv = sys.argv[1:] if argv is None else argv
    target = data_dir() / BATTERY_FILE
    text = render(build_battery())
    if "--check" in argv:
        same = target.read_text(encoding="utf-8") == text
        print(f"{target}: {'up to date' if same else 'DIFFERS from a regeneration'}")
        return 0 if same else 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} records to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
