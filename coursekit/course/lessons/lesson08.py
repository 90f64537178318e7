"""Lesson 08, wiring real trainers: the same gate in the course trainer, a Hugging Face and a Lightning ``Trainer``.

    from coursekit.course.lessons.lesson08 import q1, q2, q3, q4

Lesson 05's every-runner test trains each runner on a shard stuck on one token and asks two things of the run's
files: did samples reach the gate, and did the run stop where the gate said halt? ``coursekit.integrations`` writes
the same run log from any trainer, so the same test covers trainers the course did not write. The three tiny
trainers are in ``lesson08_trainers``; every check here runs real (tiny) training with them. Q1 wires the alarm
into an HF ``Trainer``, Q2 writes the every-trainer test, Q3 finds what three pieces of hand-written glue get
wrong, Q4 explains the pattern for sharded models (FSDP / ZeRO-3).
"""

from __future__ import annotations

import functools
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback
from transformers import Trainer

from coursekit.course.exercise import Incorrect, NotAttempted, Problem
from coursekit.course.grader.hosting import FolderFacts, lend_folders, stand_in
from coursekit.course.learnertest import broken_in_unknown_order, run_learner_test
from coursekit.course.freetext import FreeTextProblem, KeyIdea
from coursekit.integrations.core import AlarmWarning
from coursekit.integrations.hf import CoherenceCallback as HFAlarm
from coursekit.train.gateaudit import GateAudit, gate_problem

from . import lesson08_trainers as trainers
from .lesson08_trainers import EVERY, GATE, PIECES, PROMPT, run_course, run_hf, run_lightning

__all__ = ["GLUE", "glue_snippets", "REFERENCE_TRAINERS", "BROKEN_TRAINERS", "POSES_AS", "reference_audit", "q1", "q2", "q3", "q4"]


# --- the trainers the checks run ---------------------------------------------------------------------------------


def _no_tokenizer(model: Any, args: Any, train_dataset: Any, tokenizer: Any) -> Trainer:
    """HF glue that forgets ``processing_class``: the callback has no tokenizer, so every sample is lost."""
    return Trainer(model=model, args=args, train_dataset=train_dataset,
                   callbacks=[HFAlarm(every=EVERY, gate=GATE, prompts=[PROMPT])])  # fmt: skip


class _KeepGoing(Callback):
    """A Lightning callback, after the alarm, that clears ``should_stop`` (say, a hand-written "patience" rule)."""

    def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
        trainer.should_stop = False


REFERENCE_TRAINERS: dict[str, Callable[[str], GateAudit]] = {
    "course trainer": run_course,
    "HF Trainer": run_hf,
    "Lightning Trainer": run_lightning,
}
BROKEN_TRAINERS: dict[str, Callable[[str], GateAudit]] = {
    "HF Trainer without processing_class": lambda out: run_hf(out, wire=_no_tokenizer),
    "Lightning Trainer with a callback that clears should_stop":
        lambda out: run_lightning(out, extra_callbacks=[_KeepGoing()]),
}  # fmt: skip


@functools.cache
def reference_audit(name: str) -> GateAudit:
    """The audit of one of the reference or broken trainers, trained once per session (seeded: always the same)."""
    trainers = {**REFERENCE_TRAINERS, **BROKEN_TRAINERS}
    if name not in trainers:
        raise ValueError(f"unknown trainer {name!r}; expected one of {', '.join(trainers)}")
    with tempfile.TemporaryDirectory(prefix="coursekit-l08-") as out, warnings.catch_warnings():
        warnings.simplefilter("ignore", AlarmWarning)  # the broken HF run loses every sample: expected here
        return trainers[name](out)


# --- Q1: wire the alarm into an HF Trainer -------------------------------------------------------------------------


class WireHF(Problem):
    label = "Lesson 08 · Q1"
    names = ("wired_trainer",)
    context_code = """
from transformers import Trainer
from coursekit.integrations.hf import CoherenceCallback
from coursekit.course.lessons.lesson08_trainers import EVERY, GATE, NEW_TOKENS, PROMPT
"""
    hints = (
        "`Trainer(model=..., args=..., train_dataset=..., callbacks=[...])` takes a list of callbacks: the alarm is "
        "one `CoherenceCallback`.",
        "Name the gate and the cadence: `CoherenceCallback(every=EVERY, gate=GATE, prompts=[PROMPT], "
        "new_tokens=NEW_TOKENS, words=NEW_TOKENS)`.",
        "The callback samples with the Trainer's tokenizer: pass it as `processing_class=tokenizer`.",
    )
    solution_code = """
def wired_trainer(model, args, train_dataset, tokenizer):
    alarm = CoherenceCallback(every=EVERY, gate=GATE, prompts=[PROMPT], new_tokens=NEW_TOKENS, words=NEW_TOKENS)
    return Trainer(model=model, args=args, train_dataset=train_dataset, processing_class=tokenizer,
                   callbacks=[alarm])
"""

    def evaluate(self, wired_trainer: Any) -> str:
        if not callable(wired_trainer):
            raise Incorrect(f"`wired_trainer` should be a function, got a {type(wired_trainer).__name__}.")
        lost: list[str] = []

        def wire(*pieces: Any) -> Any:
            # Graded, the pieces are the grader's and the Trainer is rebuilt from the wiring (lesson08_trainers).
            trainer = wired_trainer(*(stand_in(p, trainers.__name__, f) for p, f in zip(pieces, PIECES)))
            if trainer is ...:
                raise NotAttempted("`wired_trainer` returns `...`: build and return the Trainer.")
            if not isinstance(trainer, Trainer):
                raise Incorrect(f"`wired_trainer` should return a transformers.Trainer, got a "
                                f"{type(trainer).__name__}.")  # fmt: skip
            if not any(isinstance(cb, HFAlarm) for cb in trainer.callback_handler.callbacks):
                raise Incorrect("the Trainer has no CoherenceCallback among its callbacks: nothing would sample.")
            return trainer

        with tempfile.TemporaryDirectory(prefix="coursekit-l08-") as out, warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always", AlarmWarning)
            try:
                audit = run_hf(out, wire=wire)
            except (Incorrect, NotAttempted):
                raise
            except Exception as e:  # the learner's wiring crashed the Trainer: that is feedback
                raise Incorrect(f"training with your Trainer raised {type(e).__name__}: {e}") from None
            lost = [str(x.message) for x in w if issubclass(x.category, AlarmWarning)]
        want = reference_audit("HF Trainer")
        why = f" The alarm warned: {lost[0][:200]}" if lost else ""
        if lost and "IndexError" in lost[0]:  # the tiny GPT-2 has 64 positions; the callback's default is 64 new tokens
            why += " (the prompt and `new_tokens` together must fit the model's 64 positions: pass `new_tokens=NEW_TOKENS`)"
        if audit.samples_gated == 0:
            raise Incorrect(f"your Trainer trained {audit.steps} steps and no sample reached the gate.{why}")
        problem = gate_problem(audit)
        if problem is not None:
            raise Incorrect(f"{problem}; with the lesson's settings the gate halts this run at step "
                            f"{want.halt_step}.{why}")  # fmt: skip
        if (audit.halt_step, audit.samples_gated) != (want.halt_step, want.samples_gated):
            raise Incorrect(f"your run halted at step {audit.halt_step} after {audit.samples_gated} samples; with the "
                            f"lesson's settings (every {EVERY}, gate {GATE!r}) it halts at step {want.halt_step} after "
                            f"{want.samples_gated}: check the callback's settings.")  # fmt: skip
        return (f"the gate saw {audit.samples_gated} samples and stopped your Trainer at step {audit.halt_step}, as "
                "it stops the course trainer on the same shard. Two lines were the whole job: the callback with its "
                "gate named, and the tokenizer the callback samples with.")


# --- Q2: the every-trainer test ------------------------------------------------------------------------------------


# Each broken trainer is handed to the learner's test under the name of the wired trainer it replaces: a test that
# judges trainers by their names cannot tell them apart.
POSES_AS = {"HF Trainer without processing_class": "HF Trainer",
            "Lightning Trainer with a callback that clears should_stop": "Lightning Trainer"}  # fmt: skip


def _cached(name: str, ran: list[str], folders: set[str] | None = None) -> Callable[[Any], GateAudit]:
    """A trainer for the learner's test: notes that it ran, and trains only the first time (the runs are seeded).

    Like a real trainer's, its folder must be fresh: an existing, empty folder not given to another trainer (a
    stale ``samples.jsonl`` from another run could make an unwired trainer look wired).
    """
    folders = set() if folders is None else folders

    def run(out_dir: Any) -> GateAudit:
        ran.append(name)
        if isinstance(out_dir, FolderFacts):  # graded: the folder is in the learner's sandbox, as the kernel saw it
            where, shown, fresh = out_dir.path, out_dir.path, out_dir.exists and out_dir.empty
        else:
            folder = Path(out_dir)
            where, shown, fresh = str(folder.resolve()), str(out_dir), folder.is_dir() and not any(folder.iterdir())
        if not fresh or where in folders:
            raise ValueError(f"each trainer needs a fresh, empty folder of its own; {name!r} got {shown!r}")
        folders.add(where)
        return reference_audit(name)

    run.__name__ = name
    return lend_folders(run, 0)


class EveryTrainerTest(Problem):
    label = "Lesson 08 · Q2"
    names = ("every_trainer_reaches_the_alarm",)
    context_code = "import tempfile\nfrom coursekit.train.gateaudit import gate_problem"
    hints = (
        "Each value of `trainers` is a function of a fresh run folder that trains on the stuck shard and returns "
        "the run's `GateAudit`, as `gate_audit` does for a course runner.",
        "Lesson 05's two ways to miss the gate still apply: no sample reaches it, or the run goes on after its halt.",
        "For each trainer: `with tempfile.TemporaryDirectory() as out: audit = run(out)`, then "
        "`assert gate_problem(audit) is None, f\"{name}: {gate_problem(audit)}\"`.",
    )
    solution_code = """
def every_trainer_reaches_the_alarm(trainers):
    for name, run in trainers.items():
        with tempfile.TemporaryDirectory() as out:
            audit = run(out)
        assert gate_problem(audit) is None, f"{name}: {gate_problem(audit)}"
"""

    def evaluate(self, every_trainer_reaches_the_alarm: Any) -> str:
        test = every_trainer_reaches_the_alarm
        if not callable(test):
            raise Incorrect(f"`every_trainer_reaches_the_alarm` should be a function, got a {type(test).__name__}.")
        ran: list[str] = []
        folders: set[str] = set()
        good = {name: _cached(name, ran, folders) for name in REFERENCE_TRAINERS}
        failed = run_learner_test(test, good)
        if not ran:
            raise NotAttempted("your test ran none of the trainers it was given: loop over `trainers` and run each "
                               "into a fresh folder.")  # fmt: skip
        if failed is not None:
            raise Incorrect(f"your test fails on the three wired trainers, which reach the gate and stop at its halt "
                            f"(it said: {failed}).")  # fmt: skip
        if set(ran) != set(REFERENCE_TRAINERS):
            raise Incorrect(f"your test ran {sorted(set(ran))} but not every trainer it was given.")
        def rerun() -> str | None:  # the wired trainers again: each call of the test hands out fresh folders
            folders.clear()
            return run_learner_test(test, good)

        # Then each broken trainer, and the wired ones three times more, in an order the test cannot know: a test
        # that passes its first call and fails the later ones is found out (it guesses right one time in ten).
        for name in broken_in_unknown_order(list(BROKEN_TRAINERS), 3, rerun, "the three wired trainers", "trainers"):
            folders.clear()
            audit, key, seen = reference_audit(name), POSES_AS[name], []
            failed = run_learner_test(test, {**good, key: _cached(name, seen, folders)})
            if failed is None:
                raise Incorrect(f"your test passes a registry that holds the {name}, whose audit says: "
                                f"{gate_problem(audit)}. It must fail there."
                                + ("" if seen else f" (It never ran the trainer it was given as {key!r}.)"))
            if key not in failed:
                raise Incorrect(f"your test fails on the {name} (given as {key!r}), as it should, but its message "
                                f"({failed[:120]!r}) does not name the trainer: put the name in the assertion's message.")
        return ("your test passes the three wired trainers and fails both broken ones: an HF Trainer whose alarm has "
                "no tokenizer (every sample lost, with a warning, and training goes on) and a Lightning run where "
                "another callback clears the stop. Every trainer writes the same run log, so one test covers them all.")


# --- Q3: what is wrong with this glue? -----------------------------------------------------------------------------

# Three pieces of hand-written glue, each wrong in one way the integrations handle (the failure each one has).
GLUE: dict[str, tuple[str, str, str]] = {
    "A": ("counts_a_step_twice", """
class Alarm(lightning.pytorch.callbacks.Callback):          # trainer built with accumulate_grad_batches=4
    # (gate: a module-level CoherenceGate, saved in every checkpoint and restored on resume)
    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        step = trainer.global_step                           # optimizer steps: the same for 4 batches in a row
        if step % 100 == 0 and gate.observe(step, sample(module)).halt:
            trainer.should_stop = True
""", "with gradient accumulation `global_step` stays the same for several batches, so one optimizer step is "
        "sampled several times: the gate sees the same step again (coursekit's gates raise on a repeated step, "
        "which kills the run)."),
    "B": ("hangs_under_fsdp", """
class Alarm(transformers.TrainerCallback):                  # the model is wrapped in FSDP on 8 GPUs
    # (gate: a module-level CoherenceGate, saved in every checkpoint and restored on resume)
    def on_step_end(self, args, state, control, model=None, **kw):
        if state.global_step % 100 == 0 and state.is_world_process_zero:
            text = sample_text(model, tokenizer, "The")      # rank 0 alone runs the forward passes
            control.should_training_stop = gate.observe(state.global_step, text).halt
""", "under FSDP each rank holds a shard of the weights and every forward pass gathers them from all ranks; rank 0 "
        "generates alone and waits for ranks that never join: the run hangs (and the verdict stays on rank 0)."),
    "C": ("forgets_its_count_on_resume", """
class Alarm(transformers.TrainerCallback):
    def on_train_begin(self, args, state, control, **kw):
        self.gate = CoherenceGate(threshold=30.0, patience=5)   # a new gate at every train() call
    def on_step_end(self, args, state, control, model=None, **kw):
        if state.global_step % 100 == 0 and self.gate.observe(state.global_step, sample(model)).halt:
            control.should_training_stop = True
""", "the gate's counter lives only in memory and starts from zero at each `train()`: a run resumed from a "
        "checkpoint forgets the bad samples it had already seen and halts later than it should, or never."),
}


def glue_snippets() -> dict[str, str]:
    """The three snippets by letter, without what is wrong with them (the notebook prints these)."""
    return {letter: code.strip() for letter, (_, code, _) in GLUE.items()}


class WhatIsWrong(Problem):
    label = "Lesson 08 · Q3"
    names = tuple(failure for failure, _, _ in GLUE.values())
    hints = (
        "For each snippet ask: what does the trainer do around it? Several batches per optimizer step, weights split "
        "over ranks, a second `train()` call that resumes from a checkpoint.",
        "Which snippet makes a forward pass on one rank only? Which keys the gate on a step number that does not "
        "move with every batch? Which builds its gate where no checkpoint can reach it?",
        "Accumulation repeats `global_step`; FSDP needs every rank in generation; state built in `on_train_begin` "
        "and never saved is lost on resume.",
    )
    solution_code = "\n".join(f'{failure} = "{letter}"' for letter, (failure, _, _) in GLUE.items())

    def evaluate(self, **answers: Any) -> str:
        for failure, given in answers.items():
            if not isinstance(given, str) or given.strip().strip("'\"").upper() not in GLUE:
                raise Incorrect(f"`{failure}` should be one of the letters {', '.join(map(repr, GLUE))}, got "
                                f"{given!r:.40}.")  # fmt: skip
        for failure, given in answers.items():
            letter = given.strip().strip("'\"").upper()
            actual, _, why = GLUE[letter]
            if actual != failure:  # say no more than that: the failure itself would settle the other two
                raise Incorrect(f"`{failure}` is not snippet {letter}: look again at what the trainer does around "
                                f"snippet {letter} (the hints list what to ask of each).")
        return ("each one is a rule `coursekit.integrations` keeps for you: each optimizer step sampled once (a "
                "repeated step is skipped with a warning), every rank in generation when the weights are sharded, "
                "and the gate's state saved in the checkpoint and restored on resume.")


# --- Q4: the pattern for sharded models ----------------------------------------------------------------------------


class ShardedPattern(FreeTextProblem):
    label = "Lesson 08 · Q4"
    min_sentences, max_sentences = 2, 4
    ideas = (
        KeyIdea("why every rank must run the generation (sharded weights, collectives in each forward pass)", (
            r"shard", r"gather", r"collective", r"every (?:rank|gpu|process)", r"all (?:the )?(?:ranks|gpus|processes)",
            r"each (?:rank|gpu|process)", r"hang", r"deadlock", r"wait",
        )),
        KeyIdea("why one rank alone scores and writes", (
            r"rank 0", r"rank zero", r"one rank", r"main (?:process|rank|gpu)", r"first (?:rank|gpu|process)", r"once",
            r"duplicat", r"one (?:log|writer)",
        )),
        KeyIdea("how every rank learns the verdict (a broadcast, so all stop at the same step)", (
            r"broadcast", r"shares? (?:the|its) (?:verdict|decision)", r"same step", r"together", r"same time",
            r"every rank stops", r"all stop", r"tells? (?:the )?others", r"sends?",
        )),
    )  # fmt: skip
    model_answer = (
        "Under FSDP or ZeRO-3 each rank holds only a shard of the weights, and every forward pass gathers the "
        "missing shards from all ranks, so a sample can only be generated if every rank runs the same generation "
        "(the same prompt, the same number of tokens, the same random draws); a rank that skips it leaves the "
        "others waiting forever. The text is the "
        "same on every rank, so rank 0 alone scores it and writes the log, and then broadcasts the gate's verdict, "
        "so every rank leaves the training loop at the same step and none is left waiting in a collective."
    )


q1 = WireHF()
q2 = EveryTrainerTest()
q3 = WhatIsWrong()
q4 = ShardedPattern()
