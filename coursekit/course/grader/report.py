"""The class's verdicts as a table: Markdown for reading, CSV for a spreadsheet, both safe to open.

Everything a learner controls (folder names, notebook paths, free-text answers, messages quoting their values)
is escaped: in Markdown, no pipe can add a column or row, no line can start a heading, list or quote, and no
``![...](...)``, link or HTML tag renders (CI appends grades.md to the run's summary page); in CSV, a field that
a spreadsheet would read as a formula (leading ``= + - @``, tab or carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field

from .judge import ERROR, FAILED, NOT_ATTEMPTED_V, PASSED, TIMED_OUT

__all__ = ["Verdict", "GradeReport", "md_escape", "csv_safe"]


@dataclass
class Verdict:
    """One learner's result on one exercise."""

    learner: str
    notebook: str  # path as given
    exercise: str  # the exercise's label, e.g. "Lesson 02 · Q1"; "" when the notebook could not be graded at all
    verdict: str  # PASSED, FAILED, NOT_ATTEMPTED_V, TIMED_OUT or ERROR
    message: str = ""  # the check's feedback, or what went wrong
    answer: str | None = None  # a free-text answer, for the instructor to read


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~>=])")


def md_escape(text: object) -> str:
    """``text`` as inert Markdown on one line: every markup character backslash-escaped, newlines as spaces."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat).replace("&", "&amp;")


def csv_safe(value: object) -> object:
    """``value``, with a leading apostrophe if a spreadsheet would otherwise read it as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@dataclass
class GradeReport:
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0

    def exercises(self) -> list[str]:
        return sorted({v.exercise for v in self.verdicts if v.exercise})

    def learners(self) -> list[str]:
        return sorted({v.learner for v in self.verdicts})

    def counts(self) -> dict[str, int]:
        return {k: sum(v.verdict == k for v in self.verdicts if v.exercise) for k in (PASSED, FAILED, NOT_ATTEMPTED_V, TIMED_OUT, ERROR)}

    def summary(self) -> str:
        """One line: learners, exercises passed, errors, time."""
        c, graded = self.counts(), sum(1 for v in self.verdicts if v.exercise)
        unreadable = sum(1 for v in self.verdicts if not v.exercise)
        return (f"graded {len(self.learners())} learner(s): {c[PASSED]}/{graded} exercises passed, {c[FAILED]} failed, "
                f"{c[TIMED_OUT]} timed out, {c[ERROR] + unreadable} error(s), in {self.seconds:.0f} s")  # fmt: skip

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(Verdict.__dataclass_fields__), lineterminator="\n")
        writer.writeheader()
        for v in self.verdicts:
            writer.writerow({k: csv_safe(x) for k, x in asdict(v).items()})
        return out.getvalue()

    def to_markdown(self) -> str:
        """The learner x exercise table, a count of passes per learner, then the free-text answers."""
        exercises = self.exercises()
        cell = {(v.learner, v.exercise): v.verdict for v in self.verdicts}
        head = " | ".join(md_escape(e) for e in exercises)
        lines = [f"| learner | {head} | passed |", "|---" * (len(exercises) + 2) + "|"]
        for learner in self.learners():
            row = [cell.get((learner, e), "") for e in exercises]
            lines.append(f"| {md_escape(learner)} | " + " | ".join(md_escape(r) for r in row)
                         + f" | {row.count(PASSED)}/{len(exercises)} |")  # fmt: skip
        problems = [v for v in self.verdicts if not v.exercise]
        if problems:
            lines += ["", "Notebooks that could not be graded:", ""]
            lines += [f"- {md_escape(v.learner)}: {md_escape(v.notebook)}: {md_escape(v.message)}" for v in problems]
        answers = [v for v in self.verdicts if v.answer]
        if answers:
            lines += ["", "## Free-text answers", ""]
            for v in sorted(answers, key=lambda v: (v.exercise, v.learner)):
                lines.append(f"**{md_escape(v.exercise)}, {md_escape(v.learner)}** ({v.verdict}): {md_escape(v.answer)}")
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"
