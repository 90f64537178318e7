"""The gates by name: one registry that the trainer's config, the integrations and the gate report all read.

    gate = make_gate("v3")                        # a fresh V3Gate with its defaults
    gate = make_gate("v2", threshold=30, patience=5)
    GATES["v3"].description                       # "floors on every axis, 5 of the last 10"

A name is what a config file or a command line can hold (``AlarmConfig(gate="v3")``,
``CoherenceCallback(gate="v3")``), so every place that lets a user pick a gate looks it up here, and a gate
registered once is offered everywhere. A factory takes the two settings every gate in the course has, as keyword
arguments with the gate's defaults: ``threshold`` (a composite below it is degenerate) and ``patience`` (the bad
samples needed to halt: in a row for v2, within the window for v3 and v4). Adding a gate is one call::

    register_gate("v5", "what v5 does, in a few words", lambda threshold=30.0, patience=5: V5Gate(...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

from .gate import DEFAULT_PATIENCE, CoherenceGate
from .metrics import DEFAULT_THRESHOLD
from .v3gate import V3Config, V3Gate
from .v4gate import V4Config, V4Gate

__all__ = ["GateEntry", "GATES", "register_gate", "make_gate", "gate_names"]


class GateEntry(NamedTuple):
    """A registered gate: a few words on its rule (reports show them) and the factory of fresh gates."""

    description: str
    factory: Callable[..., Any]  # (threshold=..., patience=...) -> a gate with observe(step, text)


def _v2(threshold: float = DEFAULT_THRESHOLD, patience: int = DEFAULT_PATIENCE) -> CoherenceGate:
    return CoherenceGate(threshold, patience)


def _v3(threshold: float = DEFAULT_THRESHOLD, patience: int = V3Config().needed) -> V3Gate:
    # v3's "patience" is the bad samples it needs within its window (5 of the last 10 by default).
    return V3Gate(replace(V3Config(), threshold=threshold, needed=patience))


def _v4(threshold: float = DEFAULT_THRESHOLD, patience: int = V4Config().needed) -> V4Gate:
    # v4 keeps v3's floors and adds one rule per signal; "patience" is again the bad samples within its window.
    return V4Gate(replace(V4Config(), threshold=threshold, needed=patience))


GATES: dict[str, GateEntry] = {
    "v2": GateEntry("total < 30, 5 in a row", _v2),
    "v3": GateEntry("floors on every axis, 5 of the last 10", _v3),
    "v4": GateEntry("floors + v4 signals, 5 of the last 13", _v4),
}


def register_gate(name: str, description: str, factory: Callable[..., Any], *, replace: bool = False) -> None:
    """Offer a gate under ``name`` everywhere a gate is chosen by name (refused if taken, unless ``replace``)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a gate's name must be a non-empty str, got {name!r}")
    if not callable(factory):
        raise TypeError(f"a gate's factory must be callable, got {type(factory).__name__}")
    if name in GATES and not replace:
        raise ValueError(f"a gate named {name!r} is already registered (pass replace=True to swap it)")
    GATES[name] = GateEntry(description, factory)


def gate_names() -> tuple[str, ...]:
    return tuple(GATES)


def make_gate(name: str, **settings: Any) -> Any:
    """A fresh gate of the registered ``name``; ``settings`` (threshold, patience) override its defaults."""
    if name not in GATES:
        raise ValueError(f"unknown gate {name!r}; registered: {', '.join(GATES)}")
    return GATES[name].factory(**settings)
