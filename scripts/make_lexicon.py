"""Regenerate data/english_words.txt, the English lexicon behind the "English word presence" axis.

Source: the `wordfreq` package (Robyn Speer et al.), whose word lists ship inside the package, so this runs
offline. We take wordfreq's 30,000 most frequent English words and keep those made of lowercase ASCII letters,
with at most one inner apostrophe ("don't", "it's"), since a scored word's core keeps its inner apostrophes.

    python scripts/make_lexicon.py            # rewrite data/english_words.txt
    python scripts/make_lexicon.py --check    # exit 1 if the committed file differs from a regeneration
"""

import argparse
import re
import sys
from pathlib import Path

TOP_N = 30_000
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
OUT = Path(__file__).resolve().parent.parent / "data" / "english_words.txt"


def build_lexicon(top_n: int = TOP_N) -> list[str]:
    """Return the lexicon's words, most frequent first."""
    import wordfreq  # only this script needs it; the course reads the committed file

    return [w for w in wordfreq.top_n_list("en", top_n) if WORD.fullmatch(w)]


def render(words: list[str]) -> str:
    return "".join(w + "\n" for w in words)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    text = render(build_lexicon())
    if args.check:
        same = args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a regeneration'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.splitlines())} words to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
