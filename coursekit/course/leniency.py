"""What a check accepts as the same answer: a number at the precision the course quotes, a numpy scalar as Python's.

A check must not fail a right answer for its form. Two rules, used by every lesson that needs them:

- ``figures_tol(want, figures)``: the absolute tolerance of a number given to ``figures`` significant figures,
  half a unit in the last of them. At two figures the account's "about 12 kWh" (11.92), "7.1 steps/min" (7.117),
  "91.6 h" (91.67) and "about 19 days" (19.10) all pass; a notebook prompt says which precision it asks for.
- ``as_bool(value, name)``: ``True``/``False``, and numpy's booleans (what ``np.mean(...) > 0.5`` or a comparison
  of numpy scalars returns), as Python's ``bool``; anything else is ``Incorrect``, naming what it got.
"""

from __future__ import annotations

import math
from typing import Any

from coursekit.course.exercise import Incorrect

__all__ = ["figures_tol", "as_bool"]


def figures_tol(want: float, figures: int = 2) -> float:
    """Half a unit in the ``figures``-th significant figure of ``want``: 0.5 for 11.92 at 2 figures, 0.05 for 7.117."""
    if isinstance(figures, bool) or not isinstance(figures, int) or figures < 1:
        raise ValueError(f"figures must be a positive int, got {figures!r}")
    if want == 0 or not math.isfinite(want):
        raise ValueError(f"figures_tol needs a finite, non-zero value, got {want!r}")
    return 0.5 * 10 ** (math.floor(math.log10(abs(want))) - figures + 1)


def as_bool(value: Any, name: str) -> bool:
    """``value`` as a Python bool when it is ``True``/``False`` or a numpy bool; otherwise ``Incorrect``."""
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):  # numpy 2 and 1 names
        return bool(value)
    raise Incorrect(f"`{name}` should be True or False, got a {type(value).__name__}: {value!r:.40}.")
