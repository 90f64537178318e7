"""Checks accept the precision the course quotes, and numpy scalars as Python's."""

import numpy as np
import pytest

from coursekit.course.exercise import Incorrect, close
from coursekit.course.leniency import as_bool, figures_tol


@pytest.mark.parametrize("quoted, exact", [
    (12, 11.9167),  # "about 12 kWh": 91.67 h x 0.13 kW
    (7.1, 165_000 / (16.1 * 24 * 60)),  # 7.117 steps/min
    (91.6, 33_000 / 6 / 60),  # the account's 91.6 h for 91.67
    (19, 165_000 / 6 / 60 / 24),  # "about 19 days": 19.10
    (77, 33_000 / (165_000 / (16.1 * 24 * 60)) / 60),  # 77.28 h
])
def test_the_figures_the_course_quotes_pass_at_two_figures(quoted, exact):
    assert close(quoted, exact, figures_tol(exact, 2), absolute=True)


def test_figures_tol_hand_worked():
    assert figures_tol(11.92) == pytest.approx(0.5)  # 2 figures of 11.92: units, half a unit
    assert figures_tol(7.117) == pytest.approx(0.05)  # tenths
    assert figures_tol(91.67, 3) == pytest.approx(0.05)
    assert not close(13.0, 11.92, figures_tol(11.92), absolute=True)  # 13 is another answer


@pytest.mark.parametrize("bad", [0, 0.0, -1])
def test_figures_tol_bad_input(bad):
    with pytest.raises(ValueError):
        figures_tol(bad if bad != -1 else 5.0, 2 if bad != -1 else 0)


def test_as_bool_accepts_numpy_booleans():
    assert as_bool(np.bool_(True), "x") is True and as_bool(np.float64(1) < 0.5, "x") is False
    assert as_bool(False, "x") is False
    for bad in (1, "True", None, np.float64(1.0)):
        with pytest.raises(Incorrect, match="True or False"):
            as_bool(bad, "x")
