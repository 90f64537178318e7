"""Objects the grader lends a learner's function (hosting.py, inkernel.py, callcell.py): only what is lent, only
while it runs, and never judged in the kernel.

The first tests drive ``Host`` and the kernel-side encoders directly, without a kernel. The last grades a small
class with real kernels (lesson 05's loop and test, lesson 08's HF wiring), including a learner who patches every
piece of coursekit inside their kernel: the run their loop trains is the grader's, so nothing they patch changes
what the grader's audit reads.
"""

import json
import os
from pathlib import Path

import nbformat
import pytest

from coursekit.course.grader import inkernel
from coursekit.course.grader.codec import NOT_MINE, CodecError, decode, encode
from coursekit.course.grader.hosting import FolderFacts, Host, lend_folders, stand_in
from coursekit.course.grader.judge import _learner_exception
from coursekit.course.grading import FAILED, NOT_ATTEMPTED_V, PASSED, grade
from coursekit.train.curriculum import BanditConfig, FirehoseBandit

ROOT = Path(__file__).resolve().parent.parent


def ask(host, **request):
    return json.loads(host.serve(inkernel.MARK + json.dumps(request)))


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path / "scratch")


def test_a_lent_object_answers_only_the_names_it_offers(host):
    bandit = FirehoseBandit(["a", "b"], BanditConfig(min_stint=2, max_stint=2), seed=0)
    handle = host.lend(bandit)
    assert handle == {"$remote": 0, "kind": "FirehoseBandit"} and host.lend(bandit) == handle  # one handle per object
    assert ask(host, op="get", obj=0, name="steps") == {"value": {"$dict": {"a": 0, "b": 0}}}
    assert ask(host, op="get", obj=0, name="next_source") == {"method": True}
    first = ask(host, op="call", obj=0, name="next_source", args=[], kwargs={"$dict": {}})["value"]
    assert first in ("a", "b") and bandit.current == first  # the call ran on the grader's own object
    refused = [
        ask(host, op="get", obj=0, name="rng"),  # not offered: its random state
        ask(host, op="call", obj=0, name="load_state_dict", args=[{"$dict": {}}]),  # not a lent method
        ask(host, op="get", obj=7, name="steps"),  # a handle never given out
        ask(host, op="set", obj=0, name="steps"),  # no such operation
    ]
    assert all("raised" in r for r in refused), refused
    assert "offers" in refused[0]["raised"][1] and "next_source" in refused[0]["raised"][1]
    # Anything that is not a request from the stand-ins (the learner's own input(), garbage) is refused, never run.
    assert "raised" in json.loads(host.serve("What is your name?"))
    assert "raised" in json.loads(host.serve(inkernel.MARK + "{not json"))


def test_plain_data_and_classes_are_never_lent(host):
    from coursekit.alarm.metrics import SampleScore

    import torch

    # Plain data and the codec's own dataclasses cross by value; classes, built-ins, modules and other callables
    # (a model is callable) are not lent at all: encoding them fails, and the kernel gets nothing.
    for value in ("text", 3, [1, 2], {"a": 1}, SampleScore(1, 2, 3, 4, 10), FirehoseBandit, len, object(),
                  torch.nn.Linear(1, 1), os):  # fmt: skip
        assert host.lend(value) is NOT_MINE, value
    with pytest.raises(CodecError):
        encode([torch.nn.Linear(1, 1)], functions=False, special=host.lend)
    assert host.objects == {}


def test_a_bandit_given_to_attach_is_rebuilt_with_its_state(host):
    mine = FirehoseBandit(["a", "b", "c"], BanditConfig(min_stint=2, max_stint=3), seed=4)
    for _ in range(5):
        mine.next_source()
        mine.record(1.0)
    payload = json.dumps(inkernel._to_grader(mine))  # what the kernel's run.attach(mine) sends
    theirs = decode(payload, host.decode_rpc)
    assert isinstance(theirs, FirehoseBandit) and theirs is not mine
    assert theirs.state_dict() == mine.state_dict() and theirs.config == mine.config
    assert [theirs.next_source() for _ in range(6)] == [mine.next_source() for _ in range(6)]  # same random state
    with pytest.raises(CodecError, match="only a FirehoseBandit"):
        decode(json.dumps({"$curriculum": {"kind": "os.system"}}), host.decode_rpc)


def test_folder_arguments_cross_as_facts_and_paths_never_become_paths(host, tmp_path):
    empty, full = tmp_path / "empty", tmp_path / "full"
    empty.mkdir()
    full.mkdir()
    (full / "x").write_text("x")
    facts = [decode(json.dumps(inkernel._folder_facts(str(p))), host.decode_rpc) for p in (empty, full, tmp_path / "no")]
    assert facts == [FolderFacts(str(empty), True, True), FolderFacts(str(full), True, False),
                     FolderFacts(str(tmp_path / "no"), False, False)]  # fmt: skip


def test_a_folder_argument_is_never_a_path_the_grader_opens(host, tmp_path):
    got = []
    handle = host.lend(lend_folders(lambda out_dir: got.append(out_dir), 0))["$remote"]
    facts = inkernel._folder_facts(str(tmp_path))
    # A request of the kernel's own sends a path as a keyword, or as the folder itself: refused, the trainer not run
    # (lesson 08's trainers would resolve and list it, on the grader's side).
    for args, kwargs in (([], {"out_dir": "/etc"}), (["/etc"], {}), ([facts], {"extra": "/etc"}), ([], {})):
        reply = ask(host, op="call", obj=handle, name="__call__", args=args, kwargs={"$dict": kwargs})
        assert "by position" in reply["raised"][1], (args, kwargs, reply)
    assert got == []
    assert ask(host, op="call", obj=handle, name="__call__", args=[facts], kwargs={"$dict": {}}) == {"value": None}
    assert got == [FolderFacts(str(tmp_path), True, True)]


def test_what_an_earlier_call_lent_is_not_reachable_in_a_later_one(host):
    first = FirehoseBandit(["a", "b"], BanditConfig(), seed=0)
    old = host.lend(first)["$remote"]
    host.begin_call()  # the worker's next call of a learner's function (lesson 05 Q3 after Q2's run)
    new = host.lend(FirehoseBandit(["a", "b"], BanditConfig(), seed=0))["$remote"]
    assert new != old  # never reused: a kept handle cannot reach the new call's object either
    assert "earlier call" in ask(host, op="get", obj=old, name="steps")["raised"][1]
    assert "value" in ask(host, op="get", obj=new, name="steps")


def test_a_lent_config_offers_no_grader_side_path(host):
    from coursekit.train.gateaudit import audit_config

    handle = host.lend(audit_config("/grader/secret-run"))["$remote"]
    assert ask(host, op="get", obj=handle, name="seed") == {"value": 0}
    for field in ("out_dir", "tokenizer_cache", "extra_files"):  # a kernel without bubblewrap could write there
        assert "raised" in ask(host, op="get", obj=handle, name=field), field


def test_too_many_alarms_are_refused_before_anything_is_built():
    from coursekit.course.lessons import lesson08_trainers as trainers

    built = []
    alarm = {"settings": {"$dict": {"every": 1, "gate": "v3", "prompts": [" the"]}}, "tokenizer": None}
    many = {"model": None, "args": None, "train_dataset": None, "processing_class": None,
            "alarms": [alarm] * (trainers.MAX_ALARMS + 1)}  # fmt: skip
    with pytest.raises(ValueError, match="CoherenceCallbacks"):  # each one samples: thousands would train for hours
        trainers.carry_in(many, built.append)
    long = {**many, "alarms": [{**alarm, "settings": {"$dict": {"every": 1, "prompts": ["x" * 20_000]}}}]}
    with pytest.raises(ValueError, match="prompts"):
        trainers.carry_in(long, lambda d: decode(json.dumps(d)))
    assert built == []


def test_a_path_answer_crosses_as_a_copy_of_its_small_text_files(host, tmp_path):
    run = tmp_path / "runs" / "05_collapse"
    run.mkdir(parents=True)
    (run / "halt.json").write_text('{"step": 190}')
    (run / "samples.jsonl").write_text('{"step": 10}\n')
    (run / "ckpt.pt").write_bytes(b"\0" * 100)  # weights: not copied
    secret = tmp_path / "secret.json"
    secret.write_text("not yours")
    os.symlink(secret, run / "link.json")  # never followed
    sent = encode({"run_dir": run}, special=inkernel._answer_value)
    got = decode(sent, host.decode_value)["run_dir"]
    assert got.name == "05_collapse" and got.is_relative_to(host.scratch)
    assert sorted(p.name for p in got.iterdir()) == ["halt.json", "samples.jsonl"]
    assert json.loads((got / "halt.json").read_text()) == {"step": 190}
    hostile = json.dumps({"$dir": {"name": "..", "files": {"../../evil.json": "x", "ok.json": "{}"}}})
    copy = decode(hostile, host.decode_value)
    assert copy.parent.parent == host.scratch and [p.name for p in copy.iterdir()] == ["ok.json"]
    assert not list(tmp_path.glob("**/evil.json"))
    lone = decode(json.dumps({"$dir": {"name": "x", "files": {"a.txt": "\ud800"}}}), host.decode_value)
    assert (lone / "a.txt").read_text() == "?"  # a lone surrogate is replaced, not a crash of the whole grading


def test_stand_ins_and_carried_results_come_only_from_lessons(host):
    with pytest.raises(ValueError, match="lesson modules"):
        stand_in(object(), "os", "system")
    forged = json.dumps({"$carried": {"module": "coursekit.course.lessons.lesson08_trainers", "spec": {}}})
    with pytest.raises(CodecError):  # no stand-in of that module was lent in this grading: nothing is imported
        decode(forged, host.decode_result)


def test_a_learner_exception_keeps_its_builtin_type_but_never_a_base_exception():
    assert type(_learner_exception("AssertionError", "runner_a: no sample")) is AssertionError
    assert type(_learner_exception("ValueError", "bad")) is ValueError
    for name in ("KeyboardInterrupt", "SystemExit", "CallTimedOut", "os.system"):
        e = _learner_exception(name, "x")
        assert isinstance(e, Exception) and type(e).__module__ != "builtins"


def test_decorator_code_is_not_the_reference():
    import contextlib

    from coursekit.course.lessons import lesson08_trainers as trainers

    codes = inkernel._reference_code("wired_trainer")
    helper = contextlib.contextmanager(lambda: iter([None])).__code__  # contextlib's own wrapper
    assert helper not in codes and trainers.wire_hf.__code__ in codes  # the lesson's own functions still are


# --- a small class graded with real kernels -------------------------------------------------------------------

L05, L08 = "05_wiring_the_firehose.ipynb", "08_wiring_real_trainers.ipynb"


def cells_of(name: str, *answers: str) -> list:
    """The solution's first code cell (its imports) and the answer cells defining ``answers``."""
    nb = nbformat.read(ROOT / "notebooks" / "solutions" / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [code[0]] + [c for c in code if any(f"def {a}(" in c.source for a in answers)]


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) if isinstance(c, str) else c for c in cells]
    return nb


# Patches everything a learner's kernel can reach, then a loop that never samples and a test that passes anything.
FORGER = '''
import coursekit.train.gateaudit as ga, coursekit.train.run as run_module
from coursekit.course import exercise as ex
from coursekit.course.lessons import lesson05
ex.Problem.grade = lambda self, **values: ex.Outcome(self.label, ex.CORRECT, "patched")
for n in ("q2", "q3"):
    getattr(lesson05, n).evaluate = lambda *a, **k: "patched"
real_audit = ga.gate_audit
ga.gate_problem = lambda audit: None
run_module.Run.sample = lambda self, name: True

def firehose_v2(run):
    for attempt in ("model", "alarm", "out"):  # the run's insides are not lent
        try:
            getattr(run, attempt)
        except Exception as e:
            assert "offers" in str(e), e
    while run.next_step():
        run.train_step(run.source_names[0])

def every_runner_reaches_the_gate(runners):
    for runner in runners.values():
        ga.gate_audit(runner)
'''
WRONG_HF = '''
def wired_trainer(model, args, train_dataset, tokenizer):
    alarm = CoherenceCallback(every=EVERY, gate=GATE, prompts=[PROMPT], new_tokens=NEW_TOKENS, words=NEW_TOKENS)
    return Trainer(model=model, args=args, train_dataset=train_dataset, callbacks=[alarm])  # no processing_class
'''


@pytest.fixture(scope="module")
def lent(tmp_path_factory):
    top = tmp_path_factory.mktemp("lent")
    cases = {
        "ann": (L05, notebook(cells_of(L05, "firehose_v2", "every_runner_reaches_the_gate"))),
        "max": (L05, notebook(cells_of(L05)[:1] + [FORGER])),
        "lea": (L08, notebook(cells_of(L08, "wired_trainer"))),
        "tom": (L08, notebook(cells_of(L08)[:1] + [WRONG_HF])),
    }
    for learner, (name, nb) in cases.items():
        (top / learner).mkdir()
        nbformat.write(nb, top / learner / name)
    # One notebook at a time: the suite runs on two workers, and each grading here is a kernel plus a worker that
    # trains, so two at once would starve whatever test shares the machine (the browser test timed out once so).
    report = grade([str(top)], cell_timeout=120, notebook_timeout=300, jobs=1)
    return {(v.learner, v.exercise.removeprefix("Lesson ")): (v.verdict, v.message) for v in report.verdicts}


def test_honest_loop_and_test_pass_with_the_grader_s_own_run(lent):
    assert lent[("ann", "05 · Q2")][0] == PASSED and "halted your loop at step 25" in lent[("ann", "05 · Q2")][1]
    assert lent[("ann", "05 · Q3")][0] == PASSED
    assert all("kernel" not in message for _, message in lent.values())  # nothing judged in a kernel any more


def test_patching_coursekit_in_the_kernel_changes_nothing(lent):
    verdict, message = lent[("max", "05 · Q2")]
    assert verdict == FAILED and "no sample reached the gate" in message, message
    verdict, message = lent[("max", "05 · Q3")]
    assert verdict == FAILED and ("v1's firehose" in message or "ignores its verdict" in message), message


def test_hf_wiring_is_rebuilt_and_trained_by_the_grader(lent):
    verdict, message = lent[("lea", "08 · Q1")]
    assert verdict == PASSED and "stopped your Trainer at step 25" in message, message
    verdict, message = lent[("tom", "08 · Q1")]
    assert verdict == FAILED and "no sample reached the gate" in message, message
    assert lent[("tom", "08 · Q2")][0] == NOT_ATTEMPTED_V
