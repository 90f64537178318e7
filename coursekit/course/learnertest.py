"""Judging a test the learner wrote: run it on what the check gives it, and try it on broken inputs it must fail.

Lessons 05 and 08 ask for a test (every runner, every trainer reaches the gate). A check runs it on good inputs,
which it must pass, and on broken ones, which it must fail. ``run_learner_test`` runs it once; ``broken_in_unknown_order``
interleaves the broken inputs with more runs on the good ones in a random order, so a test that passes its first
call and fails the rest (or counts its calls) is found out.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from .exercise import Incorrect

__all__ = ["run_learner_test", "broken_in_unknown_order"]

T = TypeVar("T")
_GOOD = object()  # a round on the good inputs again


def run_learner_test(test: Callable, arg: Any, crash_hint: Callable[[Exception], str] = lambda e: "") -> str | None:
    """Run a test the learner wrote on ``arg``: None if it passes, its assertion's message if it fails.

    A test should fail by asserting; any other exception is ``Incorrect`` (plus ``crash_hint(e)``, if any).
    """
    try:
        test(arg)
    except AssertionError as e:
        return str(e) or "AssertionError"
    except Exception as e:  # a crash is feedback on the learner's test, never a crash of the check
        raise Incorrect(f"your test raised {type(e).__name__}: {e}.{crash_hint(e)}") from None
    return None


def broken_in_unknown_order(broken: Sequence[T], again: int, rerun: Callable[[], str | None], what: str,
                            same: str) -> Iterator[T]:  # fmt: skip
    """Each of ``broken``, for the caller to try, with ``again`` more runs of ``rerun()`` (the test on the good
    inputs, after its first) among them, in an order the test cannot know. A rerun that fails is ``Incorrect``:
    "your test passed {what} once and failed on them when run again ... the same answer on the same {same}"."""
    rounds: list[Any] = [*broken, *[_GOOD] * again]
    random.SystemRandom().shuffle(rounds)
    for item in rounds:
        if item is not _GOOD:
            yield item
            continue
        said = rerun()
        if said is not None:
            raise Incorrect(f"your test passed {what} once and failed on them when run again (it said: {said}): a "
                            f"test must give the same answer on the same {same}.")
