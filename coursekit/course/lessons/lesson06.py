"""Lesson 06, the principle and a better gate: argue it, prove the composite's blind spot, design and test a v3 gate.

    from coursekit.course.lessons.lesson06 import learner_gate, q1, q2, q3, q4, q5, q6

Expected values come from coursekit's reference code: the scorer (coursekit.alarm.metrics), v2's gate, the back-tester
(coursekit.backtest.replay), v3's reference gate (coursekit.alarm.v3gate) and its report on v1 and on the healthy logs
(coursekit.backtest.gatereport).
A learner's v3 is two functions, ``sample_is_bad(score)`` (q4: the per-sample rule) and ``halt_now(flags)`` (q5:
the halting rule); ``learner_gate`` turns them into a gate that ``backtest`` and ``gate_report`` can replay, so
the check back-tests it exactly like the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coursekit.alarm.metrics import (
    BIGRAM_MAX,
    TRIGRAM_MAX,
    eval_chat_quality,
)
from coursekit.backtest.gatereport import gate_report, healthy_sets, heldout_sets, v1_records
from coursekit.backtest.replay import (
    GPU_WATTS,
    KILL_STEP,
    STATED_STEPS_PER_MIN,
    compute_saved,
)
from coursekit.course.exercise import Incorrect, NotAttempted, Problem, call_learner, expect_number
from coursekit.course.freetext import FreeTextProblem, KeyIdea

from . import lesson06_reference as _ref  # the answers: used by the checks, never imported by the notebook
from .lesson06_reference import (
    GARBAGE_MODES,
    WINDOW_WORDS,
    human_text_scores,
    as_verdict,
    garbage_v2_passes,
    learner_gate,
    loops_and_marks,
    v2_report,
    v3_report,
)

__all__ = [
    "KILL_STEP", "STATED_STEPS_PER_MIN", "GPU_WATTS", "compute_saved", "gate_report",  # for the notebook's cells
    "ALPHABETS", "WORD_COUNTS", "GARBAGE_MODES", "loops_and_marks", "garbage_v2_passes",
    "learner_gate", "v2_report", "v3_report", "human_text_scores", "WINDOW_WORDS", "q1", "q2", "q3", "q4", "q5", "q6",
]  # fmt: skip

# q2 builds garbage from each of these: an apostrophe (v1's 110,000 sample), marks, Cyrillic, a CJK character
# and letters that are English "words" on their own (x, xx and xxx are in the lexicon).
ALPHABETS = ("'", ".,;", "ж", "雨", "xq")
WORD_COUNTS = (3, 8, 64)  # from the fewest words with a trigram to a full-length sample
HAND_TOL = 0.006  # absolute: hand arithmetic to two decimals passes


# --- Q1: the principle ----------------------------------------------------------------------------------------


class Principle(FreeTextProblem):
    label = "Lesson 06 · Q1"
    min_sentences, max_sentences = 2, 3
    ideas = (
        KeyIdea("where the scorer is called (the wiring: which code paths reach it)", (
            r"every (?:runner|code path|path|training loop|loop)", r"all (?:the )?(?:runners|code paths|paths|loops)",
            r"(?:one|single|shared|common) (?:sample|sampling|code)?[- ]?(?:handling )?path", r"wir(?:e|ed|ing)",
            r"not (?:by|in|from) (?:a|one|each|any) (?:particular |single )?runner", r"firehose",
        )),
        KeyIdea("why a sum of axes is weak (what one axis can do for another)", (
            r"\bsum", r"\badd(?:s|ed|ing)?\b", r"compensat", r"offset", r"\bbuy", r"\bmask", r"\bhide", r"blind",
            r"\bgam(?:e|ed|ing)", r"make up for", r"outweigh", r"average",
        )),
        KeyIdea("what the composite needs instead (each axis able to fail a sample on its own)", (
            r"floor", r"veto", r"\bmin(?:imum)?\b", r"each axis", r"every axis", r"own threshold",
            r"independent", r"on its own", r"separately",
        )),
    )
    model_answer = (
        'An alarm protects only the code paths that call it, so the scorer belongs in the one sample-handling '
        "path that every runner goes through, not in a runner: v1's scorer worked, but the firehose path "
        'never called it. A composite that sums its axes lets full marks on some axes make up for a failed '
        'one, so a sample with all-distinct n-grams passes whatever its content; each axis that detects a '
        'failure mode needs a floor of its own, a veto that no other axis can buy off. On the second point I '
        'part from the account, which argues that the four axes together span the failure space: under the '
        "course's formulas three of its four per-axis claims fail, and the sum lets the strong axes cover for "
        'the one that should have caught the failure.'
    )


# --- Q2 and Q3: the blind spot ----------------------------------------------------------------------------------


def _fmt_case(n_words: int, alphabet: str) -> str:
    return f"`garbage_with_full_diversity({n_words}, {alphabet!r})`"


class Garbage(Problem):
    label = "Lesson 06 · Q2"
    names = ("garbage_with_full_diversity",)
    hints = (
        "The n-gram axes only ask whether word pairs and triples repeat, not what the words are. When does no pair "
        "repeat at all?",
        "If every word is different from every other, no bigram or trigram can repeat. With one character you can "
        "still make many different words: by their length.",
        "`\" \".join(alphabet[0] * (i + 1) for i in range(n_words))`: `'`, `''`, `'''` ...",
    )
    solution_code = """
def garbage_with_full_diversity(n_words, alphabet):
    return " ".join(alphabet[0] * (i + 1) for i in range(n_words))
"""

    def evaluate(self, garbage_with_full_diversity: Any) -> str:
        fn = garbage_with_full_diversity
        if not callable(fn):
            raise Incorrect(f"`garbage_with_full_diversity` should be a function, but it is a {type(fn).__name__}.")
        lowest = None
        for alphabet in ALPHABETS:
            for n in WORD_COUNTS:
                case = _fmt_case(n, alphabet)
                text = call_learner(fn, n, alphabet, case=case)
                if not isinstance(text, str):
                    raise Incorrect(f"{case} returned a {type(text).__name__}; it should return the sample as a str.")
                words = text.split()
                if len(words) != n:
                    raise Incorrect(f"{case} has {len(words)} words (split on whitespace); it should have {n}.")
                stray = sorted({c for c in text if not c.isspace() and c not in alphabet})
                if stray:
                    raise Incorrect(f"{case} uses {''.join(stray[:5])!r}, which is not in the alphabet {alphabet!r}: "
                                    "garbage made of those characters only, please.")
                score = eval_chat_quality(text)
                if score.bigram < BIGRAM_MAX or score.trigram < TRIGRAM_MAX:
                    raise Incorrect(f"{case} scores bigram {score.bigram:.2f} and trigram {score.trigram:.2f} of 35: "
                                    "some word pair or triple repeats. Make sure no two words are the same.")
                lowest = score.total if lowest is None else min(lowest, score.total)
        assert lowest is not None
        n_cases = len(ALPHABETS) * len(WORD_COUNTS)
        return (f"all {n_cases} samples are garbage, and the lowest of them still scores {lowest:.2f}: "
                "v2 passes every one, whatever the characters or the language.")


class MinTotal(Problem):
    label = "Lesson 06 · Q3"
    names = ("min_total",)
    hints = (
        "With all bigrams and trigrams distinct, the two n-gram axes are at their maximum. What is the least each "
        "of the other two axes can be?",
        "English presence can be 0 (no word is English). Character diversity counts distinct non-whitespace "
        "characters: how few can a sample with words have?",
        "35 + 35 + 0 + 10 x 1/20.",
    )
    solution_code = "min_total = 35 + 35 + 0 + 10 * 1 / 20  # n-gram axes full; no English; one distinct character"

    def evaluate(self, min_total: Any) -> str:
        want = _ref.min_total_full_diversity()
        slips = [
            (BIGRAM_MAX + TRIGRAM_MAX, "the two n-gram axes give 70, but a sample with words has at least one "
                                       "distinct non-whitespace character: what does the character axis give then?"),
            (BIGRAM_MAX + TRIGRAM_MAX + 20.0 + 0.5, "English presence need not be 20: the words need not be English."),
            (100.0, "that is the most any sample can score; the question is the least."),
            (BIGRAM_MAX + 0.5, "with at least 3 words, the trigram axis is full as well."),
            (0.5, "add the two n-gram axes, which are full when every bigram and trigram is distinct."),
        ]
        expect_number(min_total, "min_total", want,
                      "`min_total` is off: take each axis at its smallest possible value, given that the n-gram "
                      "axes are full.", slips, HAND_TOL, absolute=True)
        return (f"{want:g}: more than twice the threshold of 30, from the n-gram axes alone. v1's "
                f"`''''' ''''' '' ''' ''` scores exactly that, the least any such sample can.")


# --- Q4 and Q5: design a v3 gate -------------------------------------------------------------------------------

def _describe(where: str, text: str) -> str:
    s = eval_chat_quality(text)
    return (f"{where} (bigram {s.bigram:.1f}, trigram {s.trigram:.1f}, english {s.english:.1f}, chars {s.chars:.1f}, "
            f"total {s.total:.1f}): `{' '.join(text.split())[:50]}`")


def _is_bad(sample_is_bad: Callable, text: str, where: str) -> bool:
    return as_verdict(call_learner(sample_is_bad, eval_chat_quality(text), case=where), sample_is_bad, where)


class SampleRule(Problem):
    label = "Lesson 06 · Q4"
    names = ("sample_is_bad",)
    hints = (
        "Compare the two tables above: on which axes does the garbage that v2 passed go far lower than any healthy "
        "sample? A floor between the two catches it.",
        "Keep v2's rule (`score.total < 30`) and add one floor per axis, with `or`: a sample is bad if *any* "
        "rule says so.",
        "`return score.total < 30 or score.bigram < 17.5 or score.english < 4 or score.chars < 5`.",
    )
    solution_code = """
def sample_is_bad(score):
    # v2's rule, plus a floor on each axis that a failure mode empties: no axis can buy off another
    return score.total < 30 or score.bigram < 17.5 or score.english < 4 or score.chars < 5
"""

    def evaluate(self, sample_is_bad: Any) -> str:
        if not callable(sample_is_bad):
            raise Incorrect(f"`sample_is_bad` should be a function, but it is a {type(sample_is_bad).__name__}.")
        logs = {**healthy_sets(), **heldout_sets()}  # the held-out runs played no part in choosing v3's floors
        for name, records in logs.items():
            for r in records:
                where = f"the sample at step {r['step']:,} of the healthy log \"{name}\""
                if _is_bad(sample_is_bad, r["text"], where):
                    raise Incorrect(f"your rule calls {_describe(where, r['text'])} bad, but that log is healthy. "
                                    "Which of your floors is above what healthy text reaches?")
        for r in v1_records():
            where = f"v1's sample at step {r['step']:,}"
            if eval_chat_quality(r["text"]).degenerate() and not _is_bad(sample_is_bad, r["text"], where):
                raise Incorrect(f"your rule passes {_describe(where, r['text'])}, which v2 already calls degenerate: "
                                "keep v2's rule as well.")
        missed = [(where, r) for where, r in garbage_v2_passes() if not _is_bad(sample_is_bad, r["text"], where)]
        if missed:
            where, r = missed[0]
            raise Incorrect(f"your rule still passes {len(missed)} garbage samples that v2 passes, e.g. "
                            f"{_describe(where, r['text'])}. Which axis is low on it?")
        windows, scores = _ref.human_text_windows(), _ref.human_text_scores()
        called_bad = [i for i, s in enumerate(scores)
                      if as_verdict(call_learner(sample_is_bad, s, case=f"window {i:,} of the human-written text"),
                                    sample_is_bad, f"window {i:,} of the human-written text")]
        share, budget = len(called_bad) / len(windows), _ref.HUMAN_TEXT_BUDGET
        if share > budget:
            first = windows[called_bad[0]]
            raise Incorrect(f"your rule calls {len(called_bad):,} of {len(windows):,} windows of human-written text "
                            f"bad ({share:.1%}; the budget is {budget:.0%}), e.g. "
                            f"{_describe(f'window {called_bad[0]:,}', first)}. A sum high enough to catch the garbage "
                            "also catches plain prose: which axis really separates the two?")
        n_healthy = sum(len(records) for records in logs.values())
        return (f"your rule catches all {len(garbage_v2_passes())} garbage samples that v2 lets through, calls none "
                f"of the {n_healthy} samples of {len(logs)} healthy logs bad (two of them held out), and "
                f"{share:.1%} of {len(windows):,} windows of human-written text (budget {budget:.0%}).")


class HaltRule(Problem):
    label = "Lesson 06 · Q5"
    names = ("sample_is_bad", "halt_now")
    hints = (
        "v2 asks for 5 bad samples *in a row*, and one good sample from another source resets it. Count bad samples "
        "in a window instead.",
        "`flags[-10:]` are the last 10 verdicts, and `sum(flags[-10:])` how many of them were bad.",
        "`return sum(flags[-10:]) >= 5`.",
    )
    solution_code = """
def halt_now(flags):
    # 5 bad among the last 10: a healthy sample from another source no longer wipes out the evidence
    return sum(flags[-10:]) >= 5
"""

    def evaluate(self, sample_is_bad: Any, halt_now: Any) -> str:
        learner_gate(sample_is_bad, halt_now)  # both must be functions
        try:  # a halting rule is only as good as the verdicts it counts: what Q4 rejects, Q5 rejects too
            SampleRule().evaluate(sample_is_bad)
        except Incorrect as e:
            raise Incorrect(f"first fix `sample_is_bad` (Q4's check): {e}") from None
        # Two rules of any alarm, before any data: silence on good samples, and no halt on one bad sample.
        for flags, case, why in (
            ([False] * 1000, "1,000 good samples", "an alarm must stay quiet while every sample is good"),
            ([False] * 20 + [True], "20 good samples and 1 bad one", "one unlucky draw would stop a healthy run. Ask "
                                                                    "for several bad samples"),
            (([False] * 99 + [True]) * 10, "1,000 samples with one bad one in every 100", "bad samples that far apart "
             "are chance, not a collapse. Count only recent ones"),
        ):  # fmt: skip
            if as_verdict(call_learner(halt_now, flags, case=case), halt_now, case):
                raise Incorrect(f"`halt_now` says halt after {case}: {why}.")
        report = gate_report(lambda: learner_gate(sample_is_bad, halt_now))
        for name, result in report.healthy.items():
            if result.trigger_step is not None:
                flagged = [d for d in result.decisions if d.degenerate]
                first = (f", the first {_describe(f'at step {flagged[0].step:,}', flagged[0].text)}. Which of your "
                         "rules does a sample like that break?") if flagged else "."
                raise Incorrect(f"your gate fired on the healthy log \"{name}\" at step {result.trigger_step:,}: a "
                                f"false alarm. It called {len(flagged)} of its {result.n_samples} samples bad{first}")
        v2 = report.v2_trigger
        if report.trigger is None:
            raise Incorrect(f"your gate never fires on v1's log (it calls {report.result.n_degenerate} of "
                            f"{report.result.n_samples} samples bad): it should fire before v2 does, at {v2:,}.")
        if report.trigger >= v2:
            raise Incorrect(f"your gate fires at step {report.trigger:,} on v1, no earlier than v2 ({v2:,}). Healthy "
                            "samples from other sources keep turning up between the bad ones: does your rule let "
                            "them wipe out the evidence?")
        quiet = sum(r.n_samples for r in report.healthy.values())
        return (f"your gate fires at step {report.trigger:,} on v1, {report.steps_earlier:,} steps before v2, and "
                f"stays quiet on {len(report.healthy)} healthy logs ({quiet} samples).")


# --- Q6: the report -------------------------------------------------------------------------------------------


class Report(Problem):
    label = "Lesson 06 · Q6"
    names = ("sample_is_bad", "halt_now", "my_trigger", "steps_earlier", "hours_saved", "my_false_alarms")
    hints = (
        "`report = gate_report(lambda: learner_gate(sample_is_bad, halt_now))` back-tests your gate; "
        "`report.trigger` and `report.v2_trigger` are where yours and v2 fire on v1.",
        "Steps earlier: v2's trigger minus yours. The time saved counts from your trigger to the manual kill "
        "(`KILL_STEP`): `compute_saved(steps)` at the stated 6 steps/min.",
        "`my_false_alarms = len(report.false_alarms)`: the healthy logs your gate fired on.",
    )
    solution_code = """
report = gate_report(lambda: learner_gate(sample_is_bad, halt_now))
my_trigger = report.trigger
steps_earlier = report.v2_trigger - my_trigger
hours_saved = compute_saved(KILL_STEP - my_trigger, STATED_STEPS_PER_MIN, GPU_WATTS).hours
my_false_alarms = len(report.false_alarms)
"""

    def evaluate(self, sample_is_bad: Any, halt_now: Any, my_trigger: Any, steps_earlier: Any, hours_saved: Any,
                 my_false_alarms: Any) -> str:  # fmt: skip
        report = gate_report(lambda: learner_gate(sample_is_bad, halt_now))
        if report.trigger is None:
            raise NotAttempted("your gate from Q4 and Q5 never fires on v1: finish those first.")
        v2 = report.v2_trigger
        expect_number(my_trigger, "my_trigger", report.trigger,
                      "`my_trigger` is not where your gate fires on v1: use `report.trigger`.",
                      [(v2, "`my_trigger` is v2's trigger; this is your gate's.")], tol=0.5, absolute=True)
        expect_number(steps_earlier, "steps_earlier", v2 - report.trigger,
                      f"`steps_earlier` is off: v2 fires at {v2:,}; count back to your trigger.",
                      [(report.trigger - v2, "`steps_earlier` has the wrong sign: yours fires first."),
                       (KILL_STEP - report.trigger, "that counts to the manual kill; compare with v2's trigger.")],
                      tol=0.5, absolute=True)
        saved = compute_saved(KILL_STEP - report.trigger, STATED_STEPS_PER_MIN, GPU_WATTS)
        extra = compute_saved(v2 - report.trigger, STATED_STEPS_PER_MIN, GPU_WATTS)
        expect_number(hours_saved, "hours_saved", saved.hours,
                      f"`hours_saved` is off: the steps from your trigger to the kill at {KILL_STEP:,}, at "
                      f"{STATED_STEPS_PER_MIN:g} steps/min, in hours.",
                      [(extra.hours, "that is the extra over v2; the question is the whole saving, up to the kill."),
                       (saved.minutes, "`hours_saved` is in minutes.")], tol=0.05, absolute=True)
        alarms = len(report.false_alarms)
        expect_number(my_false_alarms, "my_false_alarms", alarms,
                      "`my_false_alarms` is off: count the healthy logs your gate fires on (`report.false_alarms`).",
                      tol=0.5, absolute=True)
        v2_saved = compute_saved(KILL_STEP - v2, STATED_STEPS_PER_MIN, GPU_WATTS)
        return (f"your gate would have stopped v1 at {report.trigger:,}: {saved.hours:.1f} h ({saved.days:.1f} days, "
                f"{saved.kwh:.1f} kWh) before the kill, against v2's {v2_saved.hours:.1f} h, with "
                f"{alarms} false alarm{'s' * (alarms != 1)} on the healthy logs.")


q1 = Principle()
q2 = Garbage()
q3 = MinTotal()
q4 = SampleRule()
q5 = HaltRule()
q6 = Report()
