"""Plain-data values across the kernel boundary: what a learner's kernel may hand the grader, and back.

The learner's kernel only *produces* values; the grader judges them in its own process. Everything that
crosses goes through this codec as JSON: numbers, strings, lists, tuples, sets, dicts, ``...``,
NumPy arrays, and the few coursekit dataclasses an exercise passes (``SampleScore``). A function is sent as a
name only ({"$fn": name}): the grader calls it back through the kernel and only its results cross again.
Nothing here imports a module or builds an object named by the data (no pickle), so decoding a hostile payload
gives plain values or ``CodecError``; sizes and depth are capped.

Each side may add a ``special`` hook for what only it knows how to carry: the grader lends live objects (a training
run, a runner) as handles and the kernel sends paths as copies of their files (hosting.py and inkernel.py). A hook
takes a value (encoding) or a ``{"$...": ...}`` dict (decoding) and returns ``NOT_MINE`` for anything it leaves to
the codec.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["CodecError", "Function", "encode", "decode", "to_plain", "from_plain", "carried_by_field", "MAX_BYTES",
           "NOT_MINE"]

MAX_BYTES = 2_000_000  # one payload; a learner's value larger than this is not judged
MAX_DEPTH = 20
MAX_ARRAY_BYTES = 64_000_000  # one decoded array: a text dtype ("U2000000") would otherwise make a 300-character
# payload allocate (and fill) gigabytes in the grader's own process, which no rlimit confines
NOT_MINE = object()  # a special hook's answer for a value or payload it does not handle


class CodecError(ValueError):
    """A value that cannot cross the boundary (an object, too big, too deep, malformed)."""


class Function:
    """A learner's function, by name: the grader's stand-in until it is called back through the kernel."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<learner function {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Function) and other.name == self.name

    __hash__ = None  # type: ignore[assignment]


# The only objects that cross by field, each named here with its module: the data decides nothing about what is
# built. Imported only when one crosses (GateAudit's module imports torch; lesson 01's kernel should not).
_DATACLASSES = {"SampleScore": "coursekit.alarm.metrics", "GateAudit": "coursekit.train.gateaudit",
                "BanditConfig": "coursekit.train.curriculum"}  # fmt: skip


def carried_by_field(value: Any) -> bool:
    """Whether the codec itself carries ``value`` (one of the dataclasses above)."""
    kind = type(value).__name__
    return kind in _DATACLASSES and type(value) is _dataclass(kind)


def _dataclass(kind: Any) -> type | None:
    if not isinstance(kind, str) or kind not in _DATACLASSES:
        return None
    import importlib

    return getattr(importlib.import_module(_DATACLASSES[kind]), kind)


def _to_plain(value: Any, depth: int, functions: bool = True, special: Any = None) -> Any:
    if depth > MAX_DEPTH:
        raise CodecError("nested too deeply")
    if special is not None:
        plain = special(value)
        if plain is not NOT_MINE:
            return plain
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {"$bigint": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if value is Ellipsis:
        return {"$ellipsis": True}
    if isinstance(value, (list, tuple)):
        items = [_to_plain(v, depth + 1, functions, special) for v in value]
        return items if isinstance(value, list) else {"$tuple": items}
    if isinstance(value, (set, frozenset)):
        return {"$set": [_to_plain(v, depth + 1, functions, special) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):  # any other keys: as pairs
            return {"$map": [[_to_plain(k, depth + 1, functions, special), _to_plain(v, depth + 1, functions, special)] for k, v in value.items()]}
        return {"$dict": {k: _to_plain(v, depth + 1, functions, special) for k, v in value.items()}}
    kind = type(value).__name__
    if type(value).__module__ == "numpy":  # a NumPy scalar or array, by its plain-data form
        if hasattr(value, "shape") and value.shape != ():
            return {"$array": _to_plain(value.tolist(), depth + 1, functions, special), "dtype": str(value.dtype)}
        return _to_plain(value.item(), depth + 1, functions, special)
    if kind in _DATACLASSES and type(value) is _dataclass(kind):
        import dataclasses

        return {"$dc": kind, "fields": {f.name: _to_plain(getattr(value, f.name), depth + 1, functions, special)
                                        for f in dataclasses.fields(value)}}  # fmt: skip
    if callable(value) and functions:
        return {"$fn": getattr(value, "__name__", "?")}
    raise CodecError(f"a {kind} cannot be judged outside the kernel")


def to_plain(value: Any, special: Any = None) -> Any:
    """``value`` as JSON-ready data (what ``encode`` dumps), for a hook that nests values in its own payload."""
    return _to_plain(value, 0, False, special)


def from_plain(data: Any, special: Any = None) -> Any:
    """The inverse of ``to_plain``, for a hook decoding its own payload's nested values."""
    return _from_plain(data, 0, special)


def encode(value: Any, functions: bool = True, special: Any = None) -> str:
    """``value`` as JSON text, or ``CodecError`` saying what could not be sent. ``functions=False`` refuses
    functions too: the grader's own functions (a check's runners) never cross into a kernel as names; they cross
    only as handles its ``special`` hook hands out."""
    text = json.dumps(_to_plain(value, 0, functions, special), allow_nan=False)
    if len(text) > MAX_BYTES:
        raise CodecError(f"too large to judge ({len(text):,} characters of data)")
    return text


def _from_plain(data: Any, depth: int, special: Any = None) -> Any:
    if depth > MAX_DEPTH:
        raise CodecError("nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [_from_plain(v, depth + 1, special) for v in data]
    if not isinstance(data, dict):
        raise CodecError("malformed value")
    if special is not None:
        value = special(data)
        if value is not NOT_MINE:
            return value
    if len(data) not in (1, 2):
        raise CodecError("malformed value")
    if "$tuple" in data:
        return tuple(_from_plain(data["$tuple"], depth + 1, special))
    if "$dict" in data and isinstance(data["$dict"], dict):
        return {str(k): _from_plain(v, depth + 1, special) for k, v in data["$dict"].items()}
    try:
        if isinstance(data.get("$set"), list):
            return {_from_plain(v, depth + 1, special) for v in data["$set"]}
        if isinstance(data.get("$map"), list):
            return {_from_plain(k, depth + 1, special): _from_plain(v, depth + 1, special) for k, v in data["$map"]}
    except (TypeError, ValueError) as e:  # an unhashable key, a pair that is not a pair
        raise CodecError(f"malformed set or mapping: {e}") from None
    if data.get("$ellipsis") is True:
        return Ellipsis
    if isinstance(data.get("$float"), str) and data["$float"] in ("nan", "inf", "-inf"):
        return float(data["$float"])
    if isinstance(data.get("$bigint"), str) and data["$bigint"].lstrip("-").isdigit():
        try:
            return int(data["$bigint"])
        except ValueError as e:  # past Python's 4,300-digit limit for int(str)
            raise CodecError(f"malformed integer: {e}") from None
    if isinstance(data.get("$fn"), str):
        return Function(data["$fn"][:100])
    if "$array" in data and isinstance(data.get("dtype"), str):
        import numpy as np

        try:
            dtype = np.dtype(data["dtype"])
            if dtype.kind not in "biufcU":  # numbers, booleans and text only: never object arrays
                raise TypeError(f"dtype {dtype} is not plain data")
            items = _from_plain(data["$array"], depth + 1, special)
            size = np.asarray(items).size  # its own dtype: no bigger than the payload
            if size * dtype.itemsize > MAX_ARRAY_BYTES:
                raise CodecError(f"an array of {size:,} x {dtype.itemsize:,} bytes is too large to judge")
            return np.array(items, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise CodecError(f"malformed array: {e}") from None
    cls = _dataclass(data.get("$dc"))
    if cls is not None and isinstance(data.get("fields"), dict):
        fields = {str(k): _from_plain(v, depth + 1, special) for k, v in data["fields"].items()}
        try:
            return cls(**fields)
        except (TypeError, ValueError) as e:  # ValueError: a dataclass that checks its fields (BanditConfig)
            raise CodecError(f"malformed {cls.__name__}: {e}") from None
    raise CodecError("malformed value")


def decode(text: str, special: Any = None) -> Any:
    """The value ``encode`` wrote; ``CodecError`` for anything else (never an arbitrary object)."""
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        raise CodecError("missing or too large")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise CodecError(f"not valid JSON: {e}") from None
    return _from_plain(data, 0, special)
