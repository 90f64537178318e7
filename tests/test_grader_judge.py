"""Judging outside the kernel: attribution by what a cell defines, learner functions called back, each exercise alone."""

import asyncio

import pytest

from coursekit.course.grader.codec import encode
from coursekit.course.grader.discovery import UnknownLesson, lesson_of, problems_of
from coursekit.course.grader.judge import (
    ERROR,
    FAILED,
    NOT_ATTEMPTED_V,
    PASSED,
    TIMED_OUT,
    CallTimedOut,
    defined_names,
    judge,
)
from pathlib import Path

L03 = "coursekit.course.lessons.lesson03"


def test_a_cell_is_attributed_by_what_it_defines_not_by_words_in_it():
    check_cell = "q3.check()\n# q3.hint()\n# q3.solution()   # uncomment to see the answer"
    assert "answer" not in defined_names(check_cell)  # the free-text exercise's `answer` is only mentioned
    assert defined_names("answer = 'x'") == {"answer"}
    assert defined_names("def f(t):\n    words = t.split()\n    return words") == {"f", "words"}
    assert defined_names("from coursekit.alarm.metrics import trigram_diversity as t") == {"t"}
    assert {"total_8"} <= defined_names("total_8 = 0\nwhile True:\n    total_8 += 1")
    assert defined_names("total_8 = (\n# a syntax error below") == {"total_8"}  # broken: the line still counts


def test_unknown_lessons_are_named():
    assert lesson_of(Path("x/03_building_the_metrics.ipynb")) == L03
    assert lesson_of(Path("my_work.ipynb"), "from coursekit.course.lessons.lesson04 import q1").endswith("lesson04")
    assert lesson_of(Path("my_work.ipynb"), "print(1)") is None
    with pytest.raises(UnknownLesson, match="no lesson 99"):
        problems_of("coursekit.course.lessons.lesson99")
    with pytest.raises(UnknownLesson):
        problems_of("os")  # only lesson modules are ever imported by name


def test_lesson01_bigram_cycle_with_a_list_inside_is_that_exercises_outcome():
    q4 = problems_of("coursekit.course.lessons.lesson01")["Lesson 01 · Q4"]
    assert q4.grade(bigram_cycle=[["region"], "region"]).status in ("incorrect", "error")  # never raises


class FakeKernel:
    """Stands in for a Session: runs 'learner functions' here, by name, and replies as the kernel would."""

    def __init__(self, functions, timeout_on=()):
        self.functions, self.timeout_on, self.calls = functions, set(timeout_on), 0

    async def call(self, name, args):
        self.calls += 1
        if name in self.timeout_on:
            raise CallTimedOut("it ran past the 4 s limit")
        try:
            return {"result": encode(self.functions[name](*args)), "reference": []}
        except Exception as e:
            return {"raised": [type(e).__name__, str(e)]}


def run_judge(values, functions=(), timeout_on=(), cells=()):
    kernel = FakeKernel(dict(functions), timeout_on)
    raw = {k: {"ok": encode(v)} for k, v in values.items()}
    out = asyncio.run(judge(problems_of(L03), raw, list(cells), None, None, kernel))
    return {r["label"][-2:]: r["verdict"] for r in out}, kernel


def bigram(text):
    words = text.lower().split()
    pairs = list(zip(words, words[1:]))
    return 35 * len(set(pairs)) / len(pairs) if pairs else 0.0


def test_each_exercise_is_judged_alone_and_a_timeout_is_its_own():
    got, kernel = run_judge({"bigram_diversity": bigram, "trigram_diversity": bigram, "english_word_presence": bigram},
                            {"bigram_diversity": bigram, "trigram_diversity": bigram}, timeout_on={"english_word_presence"})  # fmt: skip
    assert got["Q1"] == PASSED and got["Q2"] == FAILED and got["Q3"] == TIMED_OUT
    assert got["Q4"] == NOT_ATTEMPTED_V  # not defined
    assert kernel.calls > 60  # Q1 was called on every case of the battery, through the kernel


def test_a_cell_that_raised_while_defining_the_answer_makes_it_an_error():
    cells = [{"status": "error", "ename": "SyntaxError", "source": "def character_diversity(text)\n    return 1"}]
    got, _ = run_judge({}, cells=cells)
    assert got["Q4"] == ERROR and got["Q1"] == NOT_ATTEMPTED_V
