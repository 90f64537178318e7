"""Free-text exercises: an explain-or-argue question graded as an attempt, then compared with a model answer.

``FreeTextProblem`` is the one kind of ``Problem`` whose content no check can judge (see its docstring); the
instructor reads the answers ``coursekit grade`` collects. ``KeyIdea`` names what a strong answer covers, as
advice. May import: the standard library and ``coursekit.course.exercise``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .exercise import Incorrect, NotAttempted, Problem, _Note, show

__all__ = ["FreeTextProblem", "KeyIdea", "count_sentences"]


@dataclass(frozen=True)
class KeyIdea:
    """One idea a free-text answer should contain, recognised by any of a few regular expressions."""

    label: str  # how the feedback names the idea when it seems missing (a topic, not the answer)
    patterns: tuple[str, ...]  # case-insensitive regexes; one match is enough

    def found_in(self, text: str) -> bool:
        return any(re.search(p, text, re.IGNORECASE) for p in self.patterns)


_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf)\.", re.IGNORECASE)  # their dots end no sentence


def count_sentences(text: str) -> int:
    """Sentences in ``text``: runs of . ! ? followed by a space or the end, plus an unterminated last one."""
    text = _ABBREVIATIONS.sub("", text.strip())
    ends = _SENTENCE_END.findall(text)
    return len(ends) + (0 if not text or _SENTENCE_END.search(text[-1] + " ") else 1)


class FreeTextProblem(Problem):
    """An explain-or-argue question: graded on being a real attempt, then compared with a model answer.

    No keyword match can judge an argument: it passes nonsense that uses the right words and fails a right answer
    in other words. So a free-text answer is never failed or passed on its content. It passes once it is a real
    attempt (a string, not the stub, at least ``min_words`` words and at most ``2 * max_sentences`` sentences);
    the feedback then lists the key ideas as advice (naming those the answer does not seem to mention, in case it
    missed them) and shows the model answer to compare with, and ``coursekit grade`` collects the answer for the
    instructor, who reads it.
    """

    names = ("answer",)
    collects_answer = True
    passed_heading = "Recorded"  # a real attempt, not a right answer: no check can judge an argument
    min_sentences = 2  # the length the prompt asks for, in sentences (advice; see ``evaluate`` for the bounds)
    max_sentences = 3
    min_words = 12  # fewer words than this is not yet an explanation
    ideas: tuple[KeyIdea, ...] = ()
    model_answer = ""

    def evaluate(self, answer: Any) -> str:
        if not isinstance(answer, str):
            raise Incorrect(f"write your answer as a string in quotes; `answer` is a {type(answer).__name__}.")
        if answer.strip() in ("", "...", "…"):
            raise NotAttempted("`answer` is empty: write your explanation between the quotes.")
        n_words, n_sentences = len(answer.split()), count_sentences(answer)
        aim = f"aim for {self.min_sentences}-{self.max_sentences} sentences"
        if n_words < self.min_words:
            raise Incorrect(f"{aim}; this has {n_words} words. Say more: each step of the argument deserves a sentence.")
        if n_sentences > 2 * self.max_sentences:
            raise Incorrect(f"{aim}; this reads as {n_sentences}. Trim it to the argument's main steps.")
        return self.feedback(answer)

    def feedback(self, answer: str) -> str:
        """What a real attempt gets: advice on the key ideas, and the model answer to compare with."""
        parts = ["your instructor reads it (`coursekit grade` collects the answers)."]
        if self.ideas:
            parts.append("Advice, not a grade: a strong answer usually covers "
                         + "; ".join(idea.label for idea in self.ideas) + ".")
            unseen = [idea.label for idea in self.ideas if not idea.found_in(answer)]
            if unseen:
                parts.append("Your answer does not seem to mention " + "; ".join(unseen)
                             + " (at least not in the words this check looks for): see whether you covered it.")
        parts.append("Compare with a model answer: " + self.model_answer)
        return " ".join(parts)

    @property
    def solution_code(self) -> str:  # type: ignore[override]
        return f"answer = {self.model_answer!r}"

    def solution(self) -> None:
        show(_Note(f"{self.label}: a model answer", self.model_answer))
