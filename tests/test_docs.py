"""The instructor guide and README stay true to the code: model answers quoted verbatim, commands that exist."""

import importlib
import pkgutil
import re
from pathlib import Path

from coursekit.cli import build_parser
from coursekit.course import lessons
from coursekit.course.freetext import FreeTextProblem

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


# --- every file the repository names exists ---------------------------------------------------------------------

TOP = ("coursekit", "data", "docs", "notebooks", "tests", "benchmarks", "scripts", ".github", ".ci")
# a path inside the repository, as prose and code write it: `data/v1/README.md`, coursekit/train/samplepath.py ...
REPO_PATH = re.compile(r"(?<![\w./-])((?:%s)/[\w./-]*[\w/])" % "|".join(re.escape(t) for t in TOP))
TOP_FILE = re.compile(r"(?<![\w./-])([A-Z][\w-]*\.(?:md|yml|toml|txt))\b")  # README.md, environment.yml ...
MADE_AT_RUN_TIME = ("runs/", "build/", "wheelhouse/", "submissions/")  # folders the commands create
NOT_IN_REPO_DESIGN_NOTE = "COURSE" + ".md"  # the course's design note lives outside the repository: never cite it


def text_files():
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in (".git", ".venv", "build", "runs", "wheelhouse") or "__pycache__" in rel.parts:
            continue
        if path.is_file() and path.suffix in (".md", ".py", ".ipynb", ".toml", ".yml", ".cfg") or path.name == "Makefile":
            yield rel, path.read_text(encoding="utf-8")


def named_paths(text):
    for match in REPO_PATH.finditer(text):
        name = match.group(1).rstrip(".")
        if any(part in name for part in ("*", "<", "{", "NN")) or name.startswith(MADE_AT_RUN_TIME):  # patterns
            continue
        yield name
    yield from TOP_FILE.findall(text)


def test_every_repository_file_named_exists():
    missing = []
    for rel, text in text_files():
        if rel == Path(__file__).relative_to(ROOT):
            continue  # this file names a missing path on purpose, below
        for name in set(named_paths(text)):
            if not (ROOT / name).exists() and not (ROOT / rel.parent / name).exists():
                missing.append(f"{rel}: {name}")
    assert not missing, "named but not in the repository:\n" + "\n".join(sorted(missing))


def test_nothing_cites_the_design_note_outside_the_repository():
    citing = [str(rel) for rel, text in text_files() if NOT_IN_REPO_DESIGN_NOTE in text]
    citing += [p for p in ("data/battery.jsonl",) if NOT_IN_REPO_DESIGN_NOTE in (ROOT / p).read_text()]
    assert not citing, f"these cite a file that is not in the repository: {citing}"


def test_the_checker_finds_a_missing_file():
    # the test above must be able to fail: a made-up path is reported, an existing one is not
    assert list(named_paths("see `docs/no_such_file.md` and docs/specification.md")) == [
        "docs/no_such_file.md", "docs/specification.md"]
    assert not (ROOT / "docs/no_such_file.md").exists() and (ROOT / "docs/specification.md").exists()
