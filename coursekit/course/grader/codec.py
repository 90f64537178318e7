"""Plain-data values across the kernel boundary: what a learner's kernel may hand the grader, and back.

The learner's kernel only *produces* values; the grader judges them in its own process. Everything that
crosses goes through this codec as JSON: numbers, strings, lists, tuples, sets, dicts, ``...``,
NumPy arrays, and the few coursekit dataclasses an exercise passes (``SampleScore``). A function is sent as a
name only ({"$fn": name}): the grader calls it back through the kernel and only its results cross again.
Nothing here imports a module or builds an object named by the data (no pickle), so decoding a hostile payload
gives plain values or ``CodecError``; sizes and depth are capped.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["CodecError", "Function", "encode", "decode", "MAX_BYTES"]

MAX_BYTES = 2_000_000  # one payload; a learner's value larger than this is not judged
MAX_DEPTH = 20


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


def _dataclasses() -> dict[str, type]:
    # The only objects that cross by field, each named here: the data decides nothing about what is built.
    from coursekit.alarm.metrics import SampleScore

    return {"SampleScore": SampleScore}


def _to_plain(value: Any, depth: int, functions: bool = True) -> Any:
    if depth > MAX_DEPTH:
        raise CodecError("nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {"$bigint": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if value is Ellipsis:
        return {"$ellipsis": True}
    if isinstance(value, (list, tuple)):
        items = [_to_plain(v, depth + 1, functions) for v in value]
        return items if isinstance(value, list) else {"$tuple": items}
    if isinstance(value, (set, frozenset)):
        return {"$set": [_to_plain(v, depth + 1, functions) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):  # any other keys: as pairs
            return {"$map": [[_to_plain(k, depth + 1, functions), _to_plain(v, depth + 1, functions)] for k, v in value.items()]}
        return {"$dict": {k: _to_plain(v, depth + 1, functions) for k, v in value.items()}}
    kind = type(value).__name__
    if type(value).__module__ == "numpy":  # a NumPy scalar or array, by its plain-data form
        if hasattr(value, "shape") and value.shape != ():
            return {"$array": _to_plain(value.tolist(), depth + 1, functions), "dtype": str(value.dtype)}
        return _to_plain(value.item(), depth + 1, functions)
    classes = _dataclasses()
    if kind in classes and type(value) is classes[kind]:
        import dataclasses

        return {"$dc": kind, "fields": {f.name: _to_plain(getattr(value, f.name), depth + 1, functions)
                                        for f in dataclasses.fields(value)}}  # fmt: skip
    if callable(value) and functions:
        return {"$fn": getattr(value, "__name__", "?")}
    raise CodecError(f"a {kind} cannot be judged outside the kernel")


def encode(value: Any, functions: bool = True) -> str:
    """``value`` as JSON text, or ``CodecError`` saying what could not be sent. ``functions=False`` refuses
    functions too: the grader's own functions (a check's runners) never cross into a kernel as names."""
    text = json.dumps(_to_plain(value, 0, functions), allow_nan=False)
    if len(text) > MAX_BYTES:
        raise CodecError(f"too large to judge ({len(text):,} characters of data)")
    return text


def _from_plain(data: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise CodecError("nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [_from_plain(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise CodecError("malformed value")
    if "$tuple" in data:
        return tuple(_from_plain(data["$tuple"], depth + 1))
    if "$dict" in data and isinstance(data["$dict"], dict):
        return {str(k): _from_plain(v, depth + 1) for k, v in data["$dict"].items()}
    try:
        if isinstance(data.get("$set"), list):
            return {_from_plain(v, depth + 1) for v in data["$set"]}
        if isinstance(data.get("$map"), list):
            return {_from_plain(k, depth + 1): _from_plain(v, depth + 1) for k, v in data["$map"]}
    except (TypeError, ValueError) as e:  # an unhashable key, a pair that is not a pair
        raise CodecError(f"malformed set or mapping: {e}") from None
    if data.get("$ellipsis") is True:
        return Ellipsis
    if isinstance(data.get("$float"), str) and data["$float"] in ("nan", "inf", "-inf"):
        return float(data["$float"])
    if isinstance(data.get("$bigint"), str) and data["$bigint"].lstrip("-").isdigit():
        return int(data["$bigint"])
    if isinstance(data.get("$fn"), str):
        return Function(data["$fn"][:100])
    if "$array" in data and isinstance(data.get("dtype"), str):
        import numpy as np

        try:
            dtype = np.dtype(data["dtype"])
            if dtype.kind not in "biufcU":  # numbers, booleans and text only: never object arrays
                raise TypeError(f"dtype {dtype} is not plain data")
            return np.array(_from_plain(data["$array"], depth + 1), dtype=dtype)
        except (TypeError, ValueError) as e:
            raise CodecError(f"malformed array: {e}") from None
    cls = _dataclasses().get(data.get("$dc"))  # type: ignore[arg-type]
    if cls is not None and isinstance(data.get("fields"), dict):
        fields = {str(k): _from_plain(v, depth + 1) for k, v in data["fields"].items()}
        try:
            return cls(**fields)
        except TypeError as e:
            raise CodecError(f"malformed {cls.__name__}: {e}") from None
    raise CodecError("malformed value")


def decode(text: str) -> Any:
    """The value ``encode`` wrote; ``CodecError`` for anything else (never an arbitrary object)."""
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        raise CodecError("missing or too large")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise CodecError(f"not valid JSON: {e}") from None
    return _from_plain(data, 0)
