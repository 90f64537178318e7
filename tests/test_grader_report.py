"""Reports: Markdown that no learner-controlled text can restructure, CSV that no spreadsheet evaluates."""

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.course.grader.report import GradeReport, Verdict, csv_safe, md_escape


@given(st.text())
def test_escaped_markdown_is_one_inert_line(text):
    out = md_escape(text)
    assert "\n" not in out and "\r" not in out
    # every markup character is preceded by a backslash: no pipe, heading, image, link or tag can start
    for i, ch in enumerate(out):
        if ch in "|#![]()<>`*_":
            assert out[i - 1] == "\\"


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://e.vil")'])
def test_formulas_get_an_apostrophe(text):
    assert csv_safe(text) == "'" + text


def test_plain_fields_are_unchanged():
    assert csv_safe("alice") == "alice" and csv_safe(None) is None and csv_safe("a=b") == "a=b"


def test_a_hostile_learner_name_adds_no_row_or_column():
    name = "eve | passed | 99/1 |\n| mallory"
    report = GradeReport([Verdict(name, "x.ipynb", "Lesson 02 · Q1", "failed", answer="## heading\n![i](http://e)")])
    lines = report.to_markdown().splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 3  # header, rule, one learner
    assert len(re.findall(r"(?<!\\)\|", table[2])) == 4  # learner, verdict, passed: 3 cells = 4 unescaped pipes
    assert not any(line.startswith("#") and "heading" in line for line in lines)
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert rows[0]["learner"] == name


def test_summary_line():
    report = GradeReport([Verdict("a", "n", "Q1", "passed"), Verdict("a", "n", "Q2", "error"),
                          Verdict("b", "m", "", "error", "not JSON")], seconds=75.2)  # fmt: skip
    # 2 learners; 1 of 2 graded exercises passed; errors: 1 exercise + 1 unreadable notebook
    assert report.summary() == "graded 2 learner(s): 1/2 exercises passed, 0 failed, 0 timed out, 2 error(s), in 75 s"
