"""The pieces every integration shares: cadence, step checks, scoring through the gate, the run log, the halt report.

``SampleWatch`` is what happens around one sample, whoever generates it (the course trainer's sample path,
``coursekit.integrations.torch.Alarm``, the Hugging Face and Lightning callbacks)::

    watch = SampleWatch(make_gate("v3"), every=100, log_file="runs/x/samples.jsonl")
    if watch.due(step):                                   # every `every` steps, each step once
        record = watch.observe(step, lambda: (text_of_a_sample(), {}), source="train", loss_ema=loss)
        if watch.halted: ...                              # the gate says halt

It holds the rules the course teaches about wiring an alarm, once:

- **cadence**: a sample every ``every`` steps;
- **each step once**: a step that is not after the last one seen (a replayed or repeated step: gradient
  accumulation, a resumed loop) is skipped with a warning, never scored twice and never an error;
- **the gate never kills a run**: an exception while sampling, scoring or writing the log is caught, reported
  with a warning, and counted as "no sample" (``failures``); the training loop goes on;
- **the run log**: one record per sample in the course's format (coursekit.alarm.runlog), flushed at once;
- **resume**: ``state_dict()`` holds the gate's state and the last samples, never a path, so a checkpoint copied
  to another run folder cannot make that run write into this one's files; ``load_state_dict(state, step)``
  restores it and drops the log's records after ``step`` (they will be produced again).

Only the main process (rank 0) scores and writes; a ``SampleWatch`` on another rank only tracks the steps, so
every rank agrees on which steps are due. Sharing the verdict is the caller's (``coursekit.integrations.torch``).
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.gates import make_gate
from coursekit.alarm.runlog import LogWriter, rewind_log

__all__ = ["SampleWatch", "AlarmWarning", "resolve_gate", "first_words", "REPORT_SAMPLES"]

REPORT_SAMPLES = 5  # samples quoted in a halt report: v2's patience, so the report shows the whole bad run
_WORD = re.compile(r"\S+")  # a whitespace word, as the metrics split text


class AlarmWarning(RuntimeWarning):
    """The alarm skipped a step or lost a sample; training goes on (the gate never kills a run)."""


def first_words(text: str, n: int) -> tuple[str, bool]:
    """``text`` up to the end of its ``n``-th whitespace word, and whether that word is known to be whole.

    A word is whole once whitespace follows it; the last word of a generation may go on in the next token.
    """
    ends = [(m.end(), m.end() < len(text)) for m in itertools.islice(_WORD.finditer(text), n)]
    if not ends:
        return text, False
    end, followed = ends[-1]
    return text[:end], len(ends) == n and followed


def resolve_gate(gate: Any, **settings: Any) -> Any:
    """A gate object from a registered name ("v2", "v3", ...; coursekit.alarm.gates) or a gate itself."""
    if isinstance(gate, str):
        return make_gate(gate, **settings)
    if not callable(getattr(gate, "observe", None)):
        raise TypeError(f"gate must be a registered name or an object with observe(step, text), got {gate!r:.60}")
    return gate


class SampleWatch:
    """Cadence, step checks, gate, log and halt report around each sample; see the module docstring."""

    def __init__(self, gate: Any, every: int, log_file: str | Path | None, *, is_main: bool = True) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        self.gate = resolve_gate(gate)
        self.every = every
        self.log_path = None if log_file is None else Path(log_file)
        self.is_main = is_main
        self.last_step: int | None = None  # the last step looked at, on every rank
        self.failures = 0  # samples lost to an exception: counted as no sample
        self.recent: deque[dict[str, Any]] = deque(maxlen=REPORT_SAMPLES)  # the last records, for the report
        self.last: dict[str, Any] | None = None  # the latest record
        self._writer: LogWriter | None = None  # opened on the first record, after any rewind on resume

    @property
    def halted(self) -> bool:
        return bool(self.gate.halted)

    def due(self, step: int) -> bool:
        """True when ``step`` takes a sample: a multiple of ``every``, after the last step looked at.

        A step at or before the last one is skipped with a warning (a repeated or replayed step); every rank
        calls this, so every rank agrees.
        """
        if step % self.every:
            return False
        if self.last_step is not None and step <= self.last_step:
            warnings.warn(f"the alarm skipped step {step}: it already saw step {self.last_step} (a repeated or "
                          "replayed step; each step is sampled once)", AlarmWarning, stacklevel=3)
            return False
        self.last_step = step
        return True

    def observe(self, step: int, produce: Callable[[], tuple[str, dict[str, Any]]], *, source: str,
                loss_ema: float | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Sample (``produce() -> (text, more record keys)``), score, log; the record, or None if it failed.

        Call only on the main process and only for a step ``due`` said yes to. Any exception from ``produce``,
        the gate or the log is caught: a warning names it, ``failures`` counts it, and None is returned.
        """
        try:
            text, more = produce()
            decision = self.gate.observe(step, text)
        except Exception as e:  # the gate never kills a run: whatever went wrong, training goes on
            return self._lost(step, "sampling or scoring", e)
        record = {
            "step": step,
            "source": source,
            "text": text,
            "loss_ema": None if loss_ema is None else float(loss_ema),
            **decision.score.as_dict(),  # bigram, trigram, english, chars, total
            "consecutive": decision.consecutive,
            "halt": decision.halt,
            **more,
            **(extra or {}),
        }
        self.recent.append(record)
        self.last = record
        if self.log_path is not None:
            try:
                if self._writer is None:
                    self._writer = LogWriter(self.log_path)
                self._writer.append(record)
            except Exception as e:  # a full disk must not stop training either; the gate has seen the sample
                self._lost(step, f"writing {self.log_path.name}", e)
        return record

    def _lost(self, step: int, what: str, error: Exception) -> None:
        self.failures += 1
        warnings.warn(f"the alarm lost the sample of step {step}: {what} failed ({type(error).__name__}: {error}); "
                      f"counted as no sample ({self.failures} so far), training goes on", AlarmWarning, stacklevel=3)

    def report(self) -> dict[str, Any]:
        """The halt report (halt.json): the step, the reason, and the last samples with their scores."""
        if not self.halted:
            raise RuntimeError(f"report() is for a halted run; the gate has not halted ({self.gate!r})")
        last = self.recent[-1]
        describe = getattr(type(self.gate), "describe", None)
        if describe is None or describe is CoherenceGate.describe:  # v2's rule, in its own words
            why = (f"{self.gate.consecutive} consecutive samples scored below {self.gate.threshold:g} "
                   f"(patience {self.gate.patience})")
        else:
            why = f"the gate's rule: {self.gate.describe()}"
        return {
            "step": last["step"],
            "reason": f"{why}; the last one scored {last['total']:.2f}",
            "threshold": self.gate.threshold,
            "patience": self.gate.patience,
            "consecutive": self.gate.consecutive,
            "samples": list(self.recent),
        }

    def state_dict(self) -> dict[str, Any]:
        """The gate's state, the last samples and the counts: plain values, and no path."""
        return {"gate": self.gate.state_dict(), "recent": list(self.recent), "last_step": self.last_step,
                "failures": self.failures}  # fmt: skip

    def load_state_dict(self, state: dict[str, Any] | None, step: int) -> int:
        """Restore a state saved after ``step`` and drop the log's later records; returns the lines dropped.

        ``state`` None (nothing saved yet) only rewinds the log to ``step``.
        """
        if self._writer is not None:
            raise RuntimeError("load_state_dict() must come before the first sample: the log is already open")
        if state is not None:
            self.gate.load_state_dict(state["gate"])
            self.recent = deque(state["recent"], maxlen=REPORT_SAMPLES)
            self.last = self.recent[-1] if self.recent else None
            self.last_step = state.get("last_step", self.gate.last_step)
            self.failures = state.get("failures", 0)
        if self.is_main and self.log_path is not None:
            return rewind_log(self.log_path, step)
        return 0

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
