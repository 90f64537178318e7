"""Believable sample texts for the v1 reconstruction: what a small model writes at each stage of training.

coursekit.incident.v1sim decides *when* and *on which source* each stored sample was taken; this module decides what it
says. Healthy text is rendered from the templates of coursekit.incident.v1corpus (wiki, news, books, chat, code, web).
How coherent it is depends on one number, ``span`` (0-1), that grows with training:

    span ~ 0     unigram soup: frequent tokens in random order            ("the , of and . in was")
    span ~ 0.3   locally grammatical chunks from any source, stitched    (a 5-gram model's output)
    span ~ 1     whole sentences from the current source, one topic      (fluent-ish, drifts, cut off)

Collapse text (region loops, punctuation noise, mixed loops) is built by the ``*_loop`` / ``punct_*``
functions. None of this scores itself: v1sim scores every text with the real coursekit.alarm.metrics.
All randomness comes from the ``random.Random`` passed in, so a seed reproduces every text exactly.
"""

from __future__ import annotations

import random
import re

from .v1corpus import APOSTROPHE_TOKENS, FREQUENT_TOKENS, SLOTS, SUBWORDS, TEMPLATES

__all__ = [
    "SOURCES",
    "healthy_text",
    "truncate_words",
    "babble",
    "early_loop",
    "region_loop",
    "phrase_loop",
    "punct_noise",
    "punct_loop",
    "mixed_loop",
]

SOURCES = tuple(TEMPLATES)
_PROSE = ("wiki", "news", "books", "web")
_FAMILY = {src: (_PROSE if src in _PROSE else (src,)) for src in SOURCES}


def _draw(slot: str, rng: random.Random) -> str:
    base = slot.rstrip("0123456789")  # {place2} is a second, independent place
    if base == "year":
        return str(rng.randint(1790, 2019))
    if base == "num":
        return str(rng.choice([2, 3, 4, 5, 6, 8, 12, 15, 20, 25, 40]))
    if base == "pop":
        return f"{rng.randint(300, 48000):,}"
    if base == "pct":
        return str(rng.randint(2, 38))
    return rng.choice(SLOTS[base])


def _render(template: str, rng: random.Random, topic: dict[str, str], stick: float) -> str:
    """Fill a template's {slots}; with probability ``stick`` a slot keeps the value it had earlier in the sample."""

    def fill(m: re.Match) -> str:
        slot = m.group(1)
        key = slot.lower()
        if key not in topic or rng.random() > stick:
            topic[key] = _draw(key, rng)
        value = topic[key]
        return value[:1].upper() + value[1:] if slot[:1].isupper() else value

    return re.sub(r"\{(\w+)\}", fill, template)


def truncate_words(text: str, n_words: int) -> str:
    """``text`` up to the end of its ``n_words``-th word: the sampler stops at a token budget, mid-sentence."""
    ends = [m.end() for m in re.finditer(r"\S+", text)]
    return text if len(ends) <= n_words else text[: ends[n_words - 1]]


def babble(rng: random.Random, n_words: int) -> str:
    """Unigram soup with stray sub-word pieces: a model at the very start of training."""
    out: list[str] = []
    for _ in range(n_words):
        tok = rng.choice(SUBWORDS) if rng.random() < 0.15 else rng.choice(FREQUENT_TOKENS)
        if out and (tok in ",.):" or tok in SUBWORDS) and rng.random() < 0.6:
            out[-1] += tok  # glued to the previous piece, as BPE detokenisation does
        else:
            out.append(tok)
    return " ".join(out)


def early_loop(rng: random.Random, n_words: int) -> str:
    """An untrained model stuck on its most frequent token: ``the the the`` or ``, , ,`` (early, and brief)."""
    unit = rng.choice(["the", ",", "the ,", "of the", "."])
    return truncate_words(" ".join([unit] * n_words), n_words)


def healthy_text(source: str, rng: random.Random, n_words: int, span: float, stray: float = 0.0) -> str:
    """About ``n_words`` words of ``source``-like text at coherence ``span`` (0-1, see the module docstring).

    ``stray`` (0-1) is the rate of collapse leaking into otherwise healthy text: a doubled phrase, a stray
    ``region`` or ``''``, as a model that has started to fail on one source shows on the others.
    """
    if source not in TEMPLATES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    if not 0.0 <= span <= 1.0:
        raise ValueError(f"span must be within 0-1, got {span}")
    pieces: list[str] = []
    topic: dict[str, str] = {}
    stick = 0.9 * span  # a coherent model keeps talking about the same place, person or thing
    chunk = 2 + round(10 * span)  # words a model keeps together before it wanders off
    count, used = 0, set()
    while count < n_words + 4:
        own = rng.random() < 0.25 + 0.75 * span
        # Early on, any source's phrases bleed into any other; later only sources of the same kind mix.
        src = source if own else rng.choice(SOURCES if span < 0.3 else _FAMILY[source])
        fresh = [t for t in TEMPLATES[src] if t not in used] or TEMPLATES[src]
        template = rng.choice(fresh)
        used.add(template)
        text = _render(template, rng, topic, stick)
        if rng.random() > span**2:  # keep only a chunk of the sentence: local grammar, no global plan
            words = text.split()
            start = rng.randrange(max(1, len(words) - chunk + 1))
            text = " ".join(words[start : start + chunk])
        if stray and rng.random() < stray:
            words = text.split()
            at = rng.randrange(len(words) + 1)
            glitch = rng.choice([["region"], ["''"], ["region", "region"], words[max(0, at - 3) : at]])
            text = " ".join(words[:at] + glitch + words[at:])
        pieces.append(text)
        count += len(text.split())
    joiner = "\n" if source in ("code", "chat") else " "
    return truncate_words(joiner.join(pieces), n_words)


# --- collapse ------------------------------------------------------------------------------------------------


def region_loop(rng: random.Random, n_words: int) -> str:
    """The stuck loop of v1's collapse: ``region`` over and over, sometimes with a comma or a capital."""
    style = rng.random()
    if style < 0.6:
        words = ["region"] * n_words
    elif style < 0.8:
        words = ["region,"] * (n_words - 1) + ["region"]
    else:
        words = ["Region"] + ["region"] * (n_words - 1)
    return " ".join(words)


def phrase_loop(rng: random.Random, prefix: str, n_words: int) -> str:
    """A sentence that falls into a short loop: ``... in the region of the region of the region``."""
    phrase = rng.choice(["the region of", "region of the", "in the region", "the region", "of the region of the"])
    words = prefix.split()
    loop = phrase.split()
    while len(words) < n_words:
        words += loop
    return " ".join(words[:n_words])


def punct_noise(rng: random.Random, n_words: int) -> str:
    """Apostrophe noise with no pattern: garbage to a reader, yet every n-gram distinct (the blind spot)."""
    return " ".join(rng.choice(APOSTROPHE_TOKENS[:5]) for _ in range(n_words))


def punct_loop(rng: random.Random, n_words: int) -> str:
    """Apostrophe noise that has settled into a short cycle (two or three tokens)."""
    cycle = rng.sample(APOSTROPHE_TOKENS, rng.choice([1, 2, 2, 3]))
    return " ".join(cycle[i % len(cycle)] for i in range(n_words))


def mixed_loop(rng: random.Random, n_words: int) -> str:
    """``region`` and apostrophes in one cycle: the late collapse, where both failures meet."""
    cycle = ["region"] + rng.sample(APOSTROPHE_TOKENS[:5], rng.choice([1, 1, 2]))
    if rng.random() < 0.5:
        cycle.reverse()
    return " ".join(cycle[i % len(cycle)] for i in range(n_words))
