"""Back-testing: replay a run log through a gate, and judge gates against failing and healthy logs.

- ``replay``: ``backtest(records, gate=None)`` and ``compute_saved``, the report of what stopping saved;
- ``sensitivity``: the trigger step over a grid of thresholds x patiences;
- ``gatereport``: a gate on v1's log and on healthy logs beside v2's (``coursekit compare-gates``);
- ``datasets``: the logs and labelled samples shipped in ``coursekit.data``, and their loaders;
- ``plots``: the matplotlib figures of a back-test, a sensitivity grid and a comparison.

Layer rule (import-linter): may import ``coursekit.alarm``; not the trainer, the incident or the course.

Everything ``replay`` exports is re-exported here, so ``from coursekit.backtest import backtest, compute_saved``
works as it did when the back-tester was one module.
"""

from . import replay
from .replay import *  # noqa: F403 - the package's public names are the replay module's

__all__ = list(replay.__all__)
