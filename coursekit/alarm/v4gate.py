"""The v4 gate: v3's floors plus repetition, soup, markup and drift signals, each an interpretable rule.

v3 (coursekit.alarm.v3gate) lets through much of what real models write when they collapse (issue 11;
data/realworld/, benchmarks/bench_realworld.py prints the table). v4 keeps v3's rules and adds one rule per
failure, each reading one signal of coursekit.alarm.signals against one threshold of ``V4Config``:

    rule                fires when                                        catches
    total, bigram,      v3's rules, unchanged                             loops, noise, non-words
    english, chars
    compression         zlib compression ratio > 2.5                      a sentence said again and again
    repeat              > 30% of words inside a repeated word trigram     phrase loops of 2-3 repeats
    glued               > 15% of words are one piece glued 3+ times       jump,jump,jump,  regionionion  !!!!!!
    stutter             > 35% of words equal the word before              the the answer answer
    function_words      > 90% of words are English function words         function-word soup (v2: ~97/100)
    few_function_words  < 3% function words, in 20 words or more          token soup, one-word loops
    special_tokens      > 0.3 special tokens per word                     <unk>, <|endoftext|>, [/INST], U+FFFD
    whitespace          > 80% of characters are whitespace                newline floods
    empty_slots         > half of 4+ non-blank lines are bare markers     list templates with empty slots
    drift               3+ of 8 letter-words are German, French ...       a few sentences in another language
                        function words
    foreign             > 2% of letters beyond Latin                      Chinese in an English answer, soups

A sample is bad when it breaks any rule (``judge``). The gate halts when ``needed`` of the last ``window`` samples
are bad: 5 of the last 13, which ``coursekit.alarm.falsealarm.choose_window`` picks from the rate at which v4
calls the dev split's healthy samples bad (tests/test_v4gate.py recomputes it). Every threshold was set on the
dev split and on the course's healthy runs (data/healthy/) only; the test split was scored once.

``V4Gate`` is a ``V3Gate`` with the per-sample rule replaced, so it drops in wherever ``CoherenceGate`` goes
(``observe(step, text)``, ``state_dict``, ``load_state_dict``, the ``_advance_to`` step check) and
``coursekit.backtest.backtest(records, V4Gate())`` replays a log through it. Unlike v2 and v3 it judges texts,
not four scores, so ``observe_score`` raises: a log's stored scores are not enough to judge it. ``judge`` splits
a text once and computes v2's four scores from the same split (exactly ``eval_chat_quality``'s floats).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import compress

from . import signals as S
from .metrics import (
    BIGRAM_MAX,
    CHARS_FULL_AT,
    CHARS_MAX,
    DEFAULT_THRESHOLD,
    ENGLISH_MAX,
    TRIGRAM_MAX,
    SampleScore,
    eval_chat_quality,
)
from .v3gate import V3Config, V3Decision, V3Gate, verdict
from .wordflags import ENGLISH

__all__ = ["V4Config", "Verdict", "V4Decision", "V4Gate", "judge", "V4_RULES", "GATE_NAMES", "verdict_of"]

V4_RULES = ("compression", "repeat", "glued", "stutter", "function_words", "few_function_words",
            "special_tokens", "whitespace", "empty_slots", "drift", "foreign")  # fmt: skip


@dataclass(frozen=True)
class V4Config(V3Config):
    """v3's floors (inherited), v4's window, and one threshold per v4 rule; set on data/realworld/ dev."""

    window: int = 13  # choose_window's pick for the dev healthy rate (v3: 10) ...
    needed: int = 5  # ... and the bad samples that halt, as v3

    max_compression: float = 2.5  # Whisper re-decodes above 2.4; healthy runs come close (bench_realworld.py)
    max_repeat_coverage: float = 0.3  # share of words inside a repeated word trigram
    max_glued_share: float = 0.15  # words that are one piece glued 3+ times
    max_duplicate_rate: float = 0.35  # words equal to the word before
    max_function_share: float = 0.9  # function-word soup
    min_function_share: float = 0.03  # ... and its opposite: no grammar at all (token soup) ...
    min_words_for_function: int = 20  # ... judged only on samples this long (a short answer may have none)
    max_special_density: float = 0.3  # special tokens per word
    max_whitespace_share: float = 0.8  # newline and space floods
    max_empty_slots: float = 0.5  # share of non-blank lines that are bare list / table markers ...
    min_lines_for_slots: int = 4  # ... judged with at least this many non-blank lines
    max_foreign_function: float = 0.3  # 3 of 8 letter-words are German, French ... function words
    max_foreign_letters: float = 0.02  # letters beyond Latin (CJK, Cyrillic ...)

    def __post_init__(self) -> None:
        super().__post_init__()
        for f in fields(self):
            if f.name.startswith(("max_", "min_function", "min_words", "min_lines")):
                value = getattr(self, f.name)
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"V4Config.{f.name} must be a non-negative number, got {value!r}")


@dataclass(frozen=True)
class Verdict:
    """``judge``'s answer for one sample: bad or not, the rules broken, and every value they were read from."""

    bad: bool
    reasons: tuple[str, ...]  # names from v3gate.RULES and V4_RULES, in that order
    score: SampleScore  # v2's four axes and total
    signals: dict[str, float]  # the signals the rules read, by name (signals.SIGNAL_NAMES), and words, lines


DEFAULT = V4Config()


# The signals v4's rules read: all of coursekit.alarm.signals but char_repeat, which on the dev split caught
# nothing the others miss and would cost a second zlib pass per sample.
RULE_SIGNALS = tuple(name for name in S.SIGNAL_NAMES if name != "char_repeat")


def _score(p: S.Prepared) -> SampleScore:
    """``eval_chat_quality`` of a prepared text, reusing its split, word ids and n-grams (the same arithmetic, the
    same floats: tests/test_v4gate.py checks it on random text)."""
    n = p.n
    english = ENGLISH_MAX * p.count_flag(ENGLISH) / n if n else 0.0  # the lexicon flag, remembered per word
    b = BIGRAM_MAX * p.distinct_ngrams(2) / (n - 1) if n >= 2 else 0.0
    t = TRIGRAM_MAX * p.distinct_ngrams(3) / (n - 2) if n >= 3 else 0.0  # shared with the "repeat" rule
    c = CHARS_MAX * min(1.0, p.distinct_chars(CHARS_FULL_AT) / CHARS_FULL_AT)
    return SampleScore(bigram=b, trigram=t, english=english, chars=c, total=b + t + english + c)


def judge(text: str, config: V4Config = DEFAULT) -> Verdict:
    """Is ``text`` degenerate? v3's rules on its four scores, then the v4 rules (module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"judge() expects text as str, got {type(text).__name__}")
    if not isinstance(config, V4Config):
        raise TypeError(f"config must be a V4Config, got {type(config).__name__}")
    p = S.Prepared(text)
    score, sig = _score(p), S.measure_prepared(p, RULE_SIGNALS)
    c = config
    broken = (  # one per V4_RULES name, in its order
        sig["compression"] > c.max_compression,
        sig["repeat"] > c.max_repeat_coverage,
        sig["glued"] > c.max_glued_share,
        sig["stutter"] > c.max_duplicate_rate,
        sig["function_words"] > c.max_function_share,
        sig["words"] >= c.min_words_for_function and sig["function_words"] < c.min_function_share,
        sig["special_tokens"] > c.max_special_density,
        sig["whitespace"] > c.max_whitespace_share,
        sig["lines"] >= c.min_lines_for_slots and sig["empty_slots"] > c.max_empty_slots,
        sig["drift"] > c.max_foreign_function,
        sig["foreign"] > c.max_foreign_letters,
    )
    reasons = verdict(score, config) + tuple(compress(V4_RULES, broken))  # the names of the rules broken, in C
    return Verdict(bad=bool(reasons), reasons=reasons, score=score, signals=sig)


GATE_NAMES = ("v2", "v3", "v4")


def verdict_of(text: str, gate: str = "v4", threshold: float = DEFAULT_THRESHOLD) -> Verdict:
    """One sample's verdict under v2's rule (total < ``threshold``), v3's floors or v4's ``judge``, as a
    ``Verdict`` (v2 and v3 carry no signals), so a tool can offer the three side by side."""
    if gate == "v4":
        return judge(text)
    if gate not in GATE_NAMES:
        raise ValueError(f"gate must be one of {GATE_NAMES}, got {gate!r}")
    if not isinstance(text, str):
        raise TypeError(f"verdict_of() expects text as str, got {type(text).__name__}")
    score = eval_chat_quality(text)
    reasons = verdict(score) if gate == "v3" else ("total",) if score.total < threshold else ()
    return Verdict(bad=bool(reasons), reasons=reasons, score=score, signals={})


@dataclass(frozen=True)
class V4Decision(V3Decision):
    """v4's conclusion from one sample: v3's decision fields, plus the sample's full ``Verdict``."""

    verdict: Verdict | None = None


class V4Gate(V3Gate):
    """v4's per-sample rule, ``needed`` bad samples of the last ``window``: see the module docstring."""

    def __init__(self, config: V4Config | None = None) -> None:
        if config is not None and not isinstance(config, V4Config):
            raise TypeError(f"config must be a V4Config, got {type(config).__name__}")
        super().__init__(config or DEFAULT)

    def describe(self) -> str:
        return (f"halt when {self.config.needed} of the last {self.config.window} samples are bad "
                "(v3's floors or a v4 signal past its threshold)")

    def __repr__(self) -> str:
        return (f"V4Gate(in_window={sum(self.recent)}, consecutive={self.consecutive}, "
                f"last_step={self.last_step})")  # fmt: skip

    def observe(self, step: int, text: str) -> V4Decision:
        """Judge ``text``, sampled at training step ``step``, and update the window."""
        if not isinstance(text, str):
            raise TypeError(f"observe() expects text as str, got {type(text).__name__}")
        self._advance_to(step)
        v = judge(text, self.config)
        self.recent.append(v.bad)
        self.consecutive = self.consecutive + 1 if v.bad else 0
        return V4Decision(step=step, score=v.score, consecutive=self.consecutive, halt=self.halted,
                          in_window=sum(self.recent), reasons=v.reasons, verdict=v)  # fmt: skip

    def observe_score(self, step: int, score: SampleScore) -> V4Decision:
        raise TypeError("V4Gate judges texts, not four scores: call observe(step, text)")
