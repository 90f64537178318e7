"""The instructor guide and README stay true to the code: model answers quoted verbatim, commands that exist."""

import importlib
import pkgutil
import re
from pathlib import Path

from coursekit.cli import build_parser
from coursekit.course import lessons
from coursekit.course.exercise import FreeTextProblem

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "instructor_guide.md").read_text()
README = (ROOT / "README.md").read_text()


def free_text_problems():
    for m in pkgutil.iter_modules(lessons.__path__):
        if re.fullmatch(r"lesson\d\d", m.name):
            module = importlib.import_module(f"{lessons.__name__}.{m.name}")
            yield from (q for q in vars(module).values() if isinstance(q, FreeTextProblem))


def test_every_discussion_prompt_has_the_lessons_own_model_answer():
    # The guide quotes each free-text exercise's model answer; a reworded answer in the code must reach the guide.
    problems = list(free_text_problems())
    assert len(problems) >= 5
    for q in problems:
        assert q.model_answer in GUIDE, f"{q.label}: its model answer is not quoted in docs/instructor_guide.md"


def test_coursekit_commands_named_in_the_docs_exist():
    commands = set(build_parser()._subparsers._group_actions[0].choices)
    # as typed: ".venv/bin/coursekit grade ..." or "`coursekit grade ...`"
    named = set(re.findall(r"(?:bin/|`)coursekit ([a-z][a-z-]*)", GUIDE + README))
    assert named and named <= commands, f"documented but not a command: {named - commands}"


def test_make_targets_named_in_the_docs_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"`make ([a-z][\w-]*)|^make ([a-z][\w-]*)", GUIDE + README, re.MULTILINE)):
        target = target[0] or target[1]
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"make {target} is documented but not defined"


def test_readme_points_each_reader_somewhere():
    assert "docs/instructor_guide.md" in README
    assert "make lab" in README and "make test" in README and "CoherenceGate" in README
