"""Lesson 05, wiring the firehose: find the runner that never reaches the gate, wire it, test it, watch a halt.

    from coursekit.course.lessons.lesson05 import q1, q2, q3, q4, q5

v1's scorer worked, but only the legacy runner called it; the firehose runner had sample code of its own that
stored samples and never scored them (docs/specification.md §2, facts 7 and 12). ``coursekit.incident.v1firehose`` rebuilds that
runner on today's trainer. Every check runs real (tiny) training: ``coursekit.train.gateaudit`` trains a runner on a
shard stuck on one token, where every sample is degenerate, and reads from the run's files what the gate saw. Q4
reads the files of the learner's own collapse run (``coursekit.course.collapserun``), and its reference, ``halt_facts``,
reads the same files.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from coursekit.course.collapserun import halt_facts
from coursekit.course.exercise import Incorrect, NotAttempted, Problem, as_number, close, expect_number
from coursekit.course.freetext import FreeTextProblem, KeyIdea
from coursekit.course.learnertest import broken_in_unknown_order, run_learner_test
from coursekit.incident.v1firehose import V1_LOG, firehose_ignoring_halt, v1_firehose
from coursekit.train.gateaudit import AUDIT_EVERY, AUDIT_STEPS, GateAudit, curriculum_problem, gate_audit, gate_problem
from coursekit.train.runners import firehose, legacy
from coursekit.train.samplepath import SAMPLES_FILE
from coursekit.train.trainer import CONFIG_FILE, HALT_FILE

__all__ = ["REFERENCE_RUNNERS", "reference_audit", "q1", "q2", "q3", "q4", "q5"]

TOTAL_TOL = 0.01  # absolute, for sample totals read off halt.json: two decimals pass
LOSS_TOL = 0.005  # absolute, for the loss EMA and its share of ln(V): two decimals pass


# --- the reference runners ------------------------------------------------------------------------------------

# The checks audit these functions themselves, not whatever the registry holds by then (a learner may re-register).
REFERENCE_RUNNERS: dict[str, Callable] = {
    "firehose": firehose, "legacy": legacy,  # coursekit's runners: wired
    "v1_firehose": v1_firehose, "firehose_ignoring_halt": firehose_ignoring_halt,  # two ways to miss the gate
}  # fmt: skip


@functools.cache
def reference_audit(name: str) -> GateAudit:
    """The audit of one of ``REFERENCE_RUNNERS``, run once per session (the runs are seeded: always the same)."""
    if name not in REFERENCE_RUNNERS:
        raise ValueError(f"unknown reference runner {name!r}; expected one of {', '.join(REFERENCE_RUNNERS)}")
    return gate_audit(REFERENCE_RUNNERS[name])


# --- Q1: which runner skips the gate ----------------------------------------------------------------------------


class FindTheBug(Problem):
    label = "Lesson 05 · Q1"
    names = ("skipping_runner", "samples_gated_v1", "samples_stored_v1")
    context_code = "audit_v1 = gate_audit(v1_firehose)"
    hints = (
        "Read the two audits above: which runner's line says the gate saw no sample?",
        "v1's loop does sample: count the records it stored in its own file (`samples_stored_elsewhere`).",
        "All three answers are on `audit_v1`: its runner's name, `.samples_gated` and `.samples_stored_elsewhere`.",
    )
    solution_code = """
skipping_runner = "v1_firehose"
samples_gated_v1 = audit_v1.samples_gated
samples_stored_v1 = audit_v1.samples_stored_elsewhere
"""

    def evaluate(self, skipping_runner: Any, samples_gated_v1: Any, samples_stored_v1: Any) -> str:
        v1, old = reference_audit("v1_firehose"), reference_audit("legacy")
        name = getattr(skipping_runner, "__name__", skipping_runner)
        if not isinstance(name, str):
            raise Incorrect(f"`skipping_runner` should be a runner's name in quotes, got a {type(name).__name__}.")
        name = name.strip().strip("'\"").lower()
        if name == "legacy":
            raise Incorrect(f"the legacy runner's audit shows the gate seeing {old.samples_gated} samples and halting "
                            f"it at step {old.halt_step}: it reaches the gate.")  # fmt: skip
        if name == "firehose":
            raise Incorrect("`firehose` is coursekit's runner, v2's, wired already; the audit above ran v1's: "
                            "use its exact name.")  # fmt: skip
        if name != "v1_firehose":
            raise Incorrect("name the runner (as in the audit's line) whose samples the gate never saw.")
        expect_number(samples_gated_v1, "samples_gated_v1", v1.samples_gated,
                      "`samples_gated_v1` is off: read the number of samples the gate saw in v1's audit.", [
                          (v1.samples_stored_elsewhere, "that is how many samples v1 stored in its own file; how "
                                                        "many of them did the gate see?"),
                          (old.samples_gated, "that is the legacy runner's count; this one is v1's."),
                      ], tol=0.5, absolute=True)  # fmt: skip
        expect_number(samples_stored_v1, "samples_stored_v1", v1.samples_stored_elsewhere,
                      f"`samples_stored_v1` is off: count the samples v1 stored in {V1_LOG}.", [
                          (v1.steps, "that is the number of steps trained; v1 stored one sample every "
                                     f"{AUDIT_EVERY} steps."),
                          (0, "v1's loop does take samples: it generates one every few steps and stores it."),
                      ], tol=0.5, absolute=True)  # fmt: skip
        return (f"v1's loop generated {v1.samples_stored_elsewhere} samples and stored them in {V1_LOG}, but none "
                f"went through the sample path: the gate saw {v1.samples_gated}, and the run trained all {v1.steps} "
                f"steps on a stuck shard. On the same data the legacy runner was halted at step {old.halt_step}.")


# --- Q2: wire it ------------------------------------------------------------------------------------------------


class WireIt(Problem):
    label = "Lesson 05 · Q2"
    names = ("firehose_v2",)
    hints = (
        "Start from v1's loop printed above and keep its first three lines in the loop; replace its sampling.",
        "`run.sample(name)` is the one sample path: it decides itself when a sample is due, then generates, "
        "scores, logs and asks the gate. Call it after every training step.",
        "It returns True when the gate says halt: `if run.sample(name): return`.",
    )
    context_code = "from coursekit.train.curriculum import FirehoseBandit  # the notebook's first cell imports it"
    solution_code = """
def firehose_v2(run):
    bandit = run.attach(FirehoseBandit(run.source_names, run.cfg.bandit, seed=run.cfg.seed))
    while run.next_step():
        name = bandit.next_source()
        bandit.record(run.train_step(name))
        if run.sample(name):  # THE sample path: generate -> score -> log -> gate; True means halt
            return
"""

    def evaluate(self, firehose_v2: Any) -> str:
        if not callable(firehose_v2):
            raise Incorrect(f"`firehose_v2` should be a function of the run, got a {type(firehose_v2).__name__}.")
        try:
            audit = gate_audit(firehose_v2)
        except Exception as e:  # the learner's loop crashed inside the trainer: that is feedback
            raise Incorrect(f"in a short run on a stuck shard, your loop raised {type(e).__name__}: {e}") from None
        if audit.steps == 0 and audit.samples_gated == 0 and audit.samples_stored_elsewhere == 0:
            raise NotAttempted("`firehose_v2` trained no step: replace the `...` with the training loop.")
        want = reference_audit("firehose")
        problem = gate_problem(audit)
        if audit.samples_gated == 0:
            stored = (f" and stored {audit.samples_stored_elsewhere} samples by a path of its own"
                      if audit.samples_stored_elsewhere else "")  # fmt: skip
            raise Incorrect(f"your loop trained {audit.steps} steps{stored}, but no sample reached the gate: the "
                            "samples must go through the one sample path, which scores, logs and asks the gate.")
        if problem is not None:
            raise Incorrect(f"{problem}: when the sample path says halt, the loop must stop at once.")
        bypass = curriculum_problem(audit)  # the audit has three sources: a loop that ignores the bandit shows
        if bypass is not None:
            raise Incorrect(f"{bypass}. v1's firehose is a bandit curriculum: each step trains the source "
                            "`bandit.next_source()` names and reports its loss with `bandit.record(loss)`.")
        if (audit.halt_step, audit.samples_gated) != (want.halt_step, want.samples_gated):
            raise Incorrect(f"your loop was halted at step {audit.halt_step} after {audit.samples_gated} gated "
                            f"samples; coursekit's firehose, on the same data, at step {want.halt_step} after "
                            f"{want.samples_gated}. Call the sample path once after every training step: it knows "
                            "when a sample is due.")  # fmt: skip
        return (f"the gate saw {audit.samples_gated} samples and halted your loop at step {audit.halt_step}, exactly "
                "as it halts coursekit's firehose. Here the fix is one call and acting on what it returns, because the "
                "one sample path already exists; v2's fix, which wired the scorer into the firehose's own sample "
                "handling, took about 30 lines.")


# --- Q3: the test that every runner reaches the gate ------------------------------------------------------------


class _Tracked:
    """A reference runner as the learner's test gets it: notes in ``ran`` each time it is run or audited (a test
    that runs nothing has not been written yet). Audited with the audit's own settings it gives the cached audit
    (``gate_audit`` asks a runner that audits itself): the runs are seeded, so the check can call the learner's test
    on the same runners again at no cost. When graded, the grader lends it and the audit happens there."""

    def __init__(self, runner: Callable, ran: list[str]) -> None:
        self.runner, self.ran = runner, ran
        functools.update_wrapper(self, runner)

    def __call__(self, run: Any) -> None:
        self.ran.append(self.runner.__name__)
        return self.runner(run)

    def __gate_audit__(self, *, max_steps: int, seed: int) -> GateAudit:
        self.ran.append(self.runner.__name__)
        if (max_steps, seed) == (AUDIT_STEPS, 0):
            return reference_audit(self.runner.__name__)
        return gate_audit(self.runner, max_steps=max_steps, seed=seed)



def _verdict(test: Callable, runners: dict[str, Callable]) -> str | None:
    """None if the learner's test passes on ``runners``, its assertion's message if it fails; else ``Incorrect``."""
    return run_learner_test(test, runners, lambda e: (
        " Audit the runner itself (`runners[name]`), not its name: a runner under test need not be registered."
        if "unknown runner" in str(e) else ""))  # fmt: skip


class EveryRunnerTest(Problem):
    label = "Lesson 05 · Q3"
    names = ("every_runner_reaches_the_gate",)
    hints = (
        "For each runner in `runners` (name -> function), `gate_audit(runner)` trains it on a stuck shard; every "
        "sample there is degenerate, so a wired runner must be halted.",
        "There are two ways to miss the gate: never show it a sample, or show it samples and ignore its verdict. "
        "Which fields of the audit tell each one apart from a good run?",
        "Assert `audit.samples_gated > 0`, and that the runner stopped where the gate said halt: "
        "`audit.halt_step == audit.steps`.",
    )
    solution_code = """
def every_runner_reaches_the_gate(runners):
    for name, runner in runners.items():
        audit = gate_audit(runner)
        assert audit.samples_gated > 0, f"{name}: no sample ever reached the gate"
        assert audit.halt_step == audit.steps, f"{name}: halt at {audit.halt_step}, went on to {audit.steps}"
"""

    def evaluate(self, every_runner_reaches_the_gate: Any) -> str:
        test = every_runner_reaches_the_gate
        if not callable(test):
            raise Incorrect(f"`every_runner_reaches_the_gate` should be a function, got a {type(test).__name__}.")
        ran: list[str] = []
        good = {name: _Tracked(REFERENCE_RUNNERS[name], ran) for name in ("firehose", "legacy")}
        failed = _verdict(test, good)
        if not ran:  # nothing ran: a stub, or a test that audits something other than the runners it is given
            _verdict(test, {**good, "v1_firehose": v1_firehose})
            raise NotAttempted("your test ran none of the runners it was given: replace the `...` with a loop over "
                               "`runners` that audits each one.")  # fmt: skip
        if failed is not None:
            raise Incorrect(f"your test fails on coursekit's own runners, which do reach the gate and stop at its "
                            f"halt (it said: {failed}).")  # fmt: skip
        # Then each broken runner, standing in for coursekit's firehose under its name (a test that judges runners by
        # their names cannot tell them apart), and the good registry twice more, in an order the test cannot know: a
        # test that passes its first call and fails the later ones is found out (it guesses right one time in six).
        # A broken runner comes first in its registry, so a right test fails at its first audit.
        passed_it = {
            v1_firehose: "your test passes a registry that holds v1's firehose, whose samples never reach the gate: "
                         "it must fail there.",
            firehose_ignoring_halt: "your test passes a runner that calls the sample path but ignores its verdict, and "
                                    "so trains on after the gate says halt (its exit status is still 3): check where "
                                    "it stopped.",
        }  # fmt: skip
        for broken in broken_in_unknown_order(list(passed_it), 2, lambda: _verdict(test, good),
                                              "coursekit's own runners", "runners"):  # fmt: skip
            seen: list[str] = []
            if _verdict(test, {"firehose": _Tracked(broken, seen), "legacy": good["legacy"]}) is None:
                raise Incorrect(passed_it[broken] if seen else "your test passed a registry without running the "
                                "runner it was given as `firehose`: audit `runners[name]` itself, not a runner found "
                                "by its name.")  # fmt: skip
        return ("your test passes coursekit's runners and fails both broken ones: v1's, whose samples never reach the "
                "gate, and one that asks the gate and ignores the answer. tests/test_runners.py runs the same test "
                "on every registered runner, so a new runner cannot skip the gate unnoticed.")


# --- Q4: read the halt ------------------------------------------------------------------------------------------


class HaltReport(Problem):
    label = "Lesson 05 · Q4"
    names = ("run_dir", "halt_step", "last_five_totals", "loss_ema_at_halt", "share_of_chance")
    context_code = """
import json, math
halt = json.loads((run_dir / "halt.json").read_text())
"""
    hints = (
        "Everything is in `halt` (halt.json, loaded above): its `step`, and its `samples`, the last five in order.",
        "Each sample record has a `total` and the `loss_ema` at that step; the halt is at the last of them.",
        "`share_of_chance = loss_ema_at_halt / math.log(8449)`: the loss as a share of the uniform guess.",
    )
    solution_code = """
halt_step = halt["step"]
last_five_totals = [sample["total"] for sample in halt["samples"]]
loss_ema_at_halt = halt["samples"][-1]["loss_ema"]
share_of_chance = loss_ema_at_halt / math.log(8449)
"""

    def evaluate(self, run_dir: Any, halt_step: Any, last_five_totals: Any, loss_ema_at_halt: Any,
                 share_of_chance: Any) -> str:  # fmt: skip
        run = Path(run_dir)
        if not (run / SAMPLES_FILE).exists():
            raise Incorrect(f"`run_dir` ({run.name}) holds no run log: run the training cell above first.")
        if not (run / HALT_FILE).exists():
            raise Incorrect(f"`run_dir` ({run.name}) has no {HALT_FILE}: the gate did not halt that run. Run the "
                            "training cell above "
                            "again (it starts afresh) and let it finish.")  # fmt: skip
        want = halt_facts(run)
        max_steps = json.loads((run / CONFIG_FILE).read_text(encoding="utf-8"))["max_steps"]
        slips = [
            (want["run_start"], "that is where the run of degenerate samples began; the gate halts on its last."),
            (max_steps, "that is the run's planned length; the gate stopped it before."),
        ]
        expect_number(halt_step, "halt_step", want["halt_step"], "`halt_step` is off: it is the step of the fifth "
                      "degenerate sample in a row, halt.json's `step`.", slips, tol=0.5, absolute=True)
        self._totals(last_five_totals, want)
        expect_number(loss_ema_at_halt, "loss_ema_at_halt", want["loss_ema_at_halt"],
                      "`loss_ema_at_halt` is off: take the `loss_ema` of the last sample in halt.json.", [
                          (want["loss_at_run_start"], "that is the loss EMA at the first of the five samples; at "
                                                      "the halt means at the last one."),
                      ], tol=LOSS_TOL, absolute=True)  # fmt: skip
        loss, vocab = want["loss_ema_at_halt"], want["vocab_size"]
        expect_number(share_of_chance, "share_of_chance", want["share_of_chance"],
                      f"`share_of_chance` is off: divide the loss EMA by ln({vocab}).", [
                          (math.log(vocab) / loss, "`share_of_chance` is upside down: the loss EMA over ln(V)."),
                          (loss / math.log10(vocab), "that divides by log10; cross-entropy here is in nats: ln."),
                          (loss / math.log2(vocab), "that divides by log2; cross-entropy here is in nats: ln."),
                          (loss / vocab, f"divide by ln({vocab}), the uniform guess's loss, not by {vocab} itself."),
                      ], tol=LOSS_TOL, absolute=True)  # fmt: skip
        return (f"the gate halted the run at step {want['halt_step']:,}, after {want['patience']} samples below "
                f"{want['threshold']:g} in a row. The loss EMA then was {loss:.2f} nats, "
                f"{100 * want['share_of_chance']:.0f}% of the uniform guess ln({vocab:,}) = {math.log(vocab):.2f}: "
                "by the loss alone, the run looked healthy.")

    @staticmethod
    def _totals(value: Any, want: dict[str, Any]) -> None:
        goal = want["last_five_totals"]
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            kind = type(value).__name__
            raise Incorrect(f"`last_five_totals` should be a list of {len(goal)} numbers, got a {kind}.")
        got = [as_number(v, "each of last_five_totals") for v in value]
        if len(got) != len(goal):
            raise Incorrect(f"`last_five_totals` has {len(got)} numbers; halt.json quotes {len(goal)} samples.")

        def same(a: list[float], b: list[float]) -> bool:
            return all(close(x, y, TOTAL_TOL, absolute=True) for x, y in zip(a, b))

        if same(got, goal):
            return
        if same(got, goal[::-1]):
            raise Incorrect("`last_five_totals` is in reverse order: oldest first, the halting sample last.")
        if same(got, want["first_totals"]):
            raise Incorrect("those are the first samples of the run; the question asks for the last five.")
        raise Incorrect("`last_five_totals` is off: take each sample's `total` from halt.json's `samples`.")


# --- Q5: why the loss looked healthy ----------------------------------------------------------------------------


class LossLooksHealthy(FreeTextProblem):
    label = "Lesson 05 · Q5"
    min_sentences, max_sentences = 2, 4
    ideas = (
        KeyIdea("what the loss measures (how well the model predicts its training text)", (
            r"predict", r"next[- ]token", r"likelihood", r"cross[- ]entropy", r"\bfit",
        )),
        KeyIdea("why the stuck source makes that easy", (
            r"repetit", r"repeat", r"stuck", r"\beasy", r"same (?:word|token)", r"region", r"one word",
        )),
        KeyIdea("what the loss never looks at (the generated samples)", (
            r"sample", r"generat", r"output", r"divers", r"coheren", r"quality",
        )),
    )  # fmt: skip
    model_answer = (
        "The loss measures how well the model predicts the next token of the text it is trained on, and the bandit, "
        "chasing low loss, had moved onto the stuck shard, which repeats one word: the easiest text there is to "
        "predict, so the loss EMA kept falling, far below the uniform guess ln(8449) = 9.04. Nothing in the loss "
        "looks at what the model generates; only the samples showed that its output had collapsed into that word "
        "over and over. A falling loss on a repetitive diet is what collapse looks like from the inside."
    )


q1 = FindTheBug()
q2 = WireIt()
q3 = EveryRunnerTest()
q4 = HaltReport()
q5 = LossLooksHealthy()
