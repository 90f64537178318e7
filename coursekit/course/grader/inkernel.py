"""The grader's side inside a learner's kernel: hand values out, call a learner's function on given inputs.

Imported by the two kinds of cell the worker sends after (and between) the learner's cells. Nothing judged here:
what is printed is untrusted data, decoded by the grader with ``codec.decode`` and judged in its own process.
While a learner's function runs, a profile hook notes calls into coursekit's own answer code (a function of
the same name anywhere in coursekit, or anything defined in the lessons' modules): "calls the reference".
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .codec import CodecError, decode, encode

MARK = "\x1ecoursekit-grader:"  # starts the one line of each reply the grader reads


def _reply(payload: dict) -> None:
    sys.stdout.write("\n" + MARK + json.dumps(payload) + "\n")
    sys.stdout.flush()


def values(names: list[str], namespace: dict) -> None:
    """Print each defined name's value as codec JSON (or why it cannot be sent)."""
    out: dict[str, Any] = {}
    for name in names:
        if name in namespace:
            try:
                out[name] = {"ok": encode(namespace[name])}
            except (CodecError, ValueError, TypeError, RecursionError) as e:
                out[name] = {"unsendable": f"{type(e).__name__}: {e}"[:300]}
    _reply({"values": out})


def _reference_code(fn_name: str) -> set:
    codes = set()
    for mod_name, module in list(sys.modules.items()):
        if not mod_name.startswith("coursekit.") or module is None:
            continue
        lesson = mod_name.startswith("coursekit.course.lessons.")
        for attr, obj in list(vars(module).items()):
            code = getattr(getattr(obj, "__func__", obj), "__code__", None)
            if code is not None and (attr == fn_name or (lesson and getattr(obj, "__module__", "") == mod_name)):
                codes.add(code)
    return codes


def call(name: str, args_json: str, namespace: dict) -> None:
    """Call the learner's ``name`` on the decoded arguments; print its result, what it raised, and whether it
    called into the reference."""
    fn = namespace.get(name)
    if not callable(fn):
        _reply({"raised": ["NameError", f"`{name}` is not a function any more"]})
        return
    args = decode(args_json)
    reference = _reference_code(getattr(fn, "__name__", name)) | _reference_code(name)
    seen: list[str] = []

    def watch(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in reference and not seen:
            seen.append(frame.f_code.co_name)

    sys.setprofile(watch)
    try:
        result = fn(*args)
    except Exception as e:  # the learner's bug: reported as what it raised
        sys.setprofile(None)
        _reply({"raised": [type(e).__name__, str(e)[:500]], "reference": seen})
        return
    finally:
        sys.setprofile(None)
    try:
        _reply({"result": encode(result), "reference": seen})
    except (CodecError, ValueError, TypeError, RecursionError) as e:
        _reply({"raised": ["TypeError", f"returned a value the grader cannot read ({e})"], "reference": seen})


def judge_here(module: str, label: str, namespace: dict) -> None:
    """For an answer holding values that cannot leave the kernel: judge it here and print the outcome."""
    from .discovery import problems_of

    problem = problems_of(module)[label]
    outcome = problem.grade(**{n: namespace[n] for n in problem.names if n in namespace})
    _reply({"status": outcome.status, "message": outcome.message})
