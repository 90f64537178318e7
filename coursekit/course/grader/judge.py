"""Verdicts: the lesson's own exercises judge the values a kernel handed out, in the grader's process.

Each exercise is judged on its own: an exception, a timeout or a reference-wrapper in one never touches another.
A learner's function reaches a check as a ``LearnerFunction``: calling it runs the learner's code in the kernel
on the check's inputs, with the cell time limit; a call past it makes that exercise "timed out". An input the
codec cannot copy (the training run a learner's loop drives, the runners a learner's test audits) is lent by
handle and stays in the grader's process (hosting.py). Nothing is judged in the kernel: an answer that cannot
cross, or an input that cannot be lent, is that exercise's "error" with the reason.

Cell attribution is by what a cell *defines* (assignments, ``def``, imports, parsed with ``ast``), never by
words in its text: a comment mentioning ``answer`` makes no cell the free-text exercise's.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import re
from typing import Any

from ..exercise import CORRECT, ERROR as CHECK_ERROR, INCORRECT, NOT_ATTEMPTED, Problem
from ..freetext import FreeTextProblem
from .codec import CodecError, Function, decode

PASSED, FAILED, NOT_ATTEMPTED_V, TIMED_OUT, ERROR = "passed", "failed", "not attempted", "timed out", "error"
VERDICTS = (PASSED, FAILED, NOT_ATTEMPTED_V, TIMED_OUT, ERROR)
_FROM_STATUS = {CORRECT: PASSED, INCORRECT: FAILED, NOT_ATTEMPTED: NOT_ATTEMPTED_V, CHECK_ERROR: ERROR}


class CallTimedOut(BaseException):
    """A learner's function (or cell) ran past its limit. BaseException: no check's ``except Exception`` eats it."""


class KernelGone(BaseException):
    """The kernel died: nothing more can be called."""


class NotPortable(BaseException):
    """Arguments or values that cannot cross the kernel boundary: this exercise cannot be judged."""


class CallsReference(BaseException):
    """The learner's function called coursekit's own answer code."""


def _learner_exception(name: str, message: str) -> Exception:
    """What the learner's function raised, rebuilt here: a built-in exception as itself (a learner's test fails by
    raising AssertionError, and a check catches exactly that), any other as an ``Exception`` of the same name."""
    safe = re.sub(r"\W", "", str(name))[:60] or "Exception"
    builtin = getattr(builtins, safe, None)
    if isinstance(builtin, type) and issubclass(builtin, Exception) and builtin.__module__ == "builtins":
        try:
            return builtin(str(message)[:500])
        except Exception:  # a built-in whose constructor wants more (UnicodeDecodeError ...)
            pass
    return type(safe, (Exception,), {})(str(message)[:500])


class LearnerFunction:
    """A learner's function as a check sees it: calls go to the kernel, only results come back."""

    def __init__(self, var: str, fn_name: str, session: Any, loop: asyncio.AbstractEventLoop, written: bool) -> None:
        self.var, self.__name__, self._session, self._loop = var, fn_name, session, loop
        self._written = written  # the exercise asks the learner to write this very function
        self.__qualname__ = fn_name

    def __call__(self, *args: Any) -> Any:
        reply = asyncio.run_coroutine_threadsafe(self._session.call(self.var, args), self._loop).result()
        if self._written and reply.get("reference"):
            raise CallsReference(f"`{self.var}` calls coursekit's own `{str(reply['reference'][0])[:60]}`")
        if "raised" in reply and isinstance(reply["raised"], list) and len(reply["raised"]) == 2:
            raise _learner_exception(*reply["raised"])
        host = getattr(self._session, "host", None)
        try:
            return decode(reply.get("result"), host.decode_result if host is not None else None)
        except CodecError as e:
            raise _learner_exception("TypeError", f"returned something the grader cannot read ({e})") from None


def cell_status(cell: Any) -> tuple[str, str | None]:
    """("ok" | "error" | "timeout", the error's name) from an executed cell's outputs."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return "ok", None
    timed = any("Cell execution timed out" in " ".join(o.get("traceback", [])) or o.get("ename") == "KeyboardInterrupt"
                for o in errors)  # fmt: skip
    return ("timeout" if timed else "error"), str(errors[0].get("ename"))[:80]


def defined_names(source: str) -> set[str]:
    """Names a cell binds at its top level or anywhere (assignment, def, class, import, for, with)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # a broken cell: fall back to `name =` / `def name` outside comments
        code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
        return set(re.findall(r"^\s*(?:def\s+|class\s+)?([A-Za-z_]\w*)\s*(?:[:+\-*/]?=|\()", code, re.M))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
    return out


def _writes_function(problem: Problem, name: str) -> bool:
    try:
        code = problem.solution_code
    except Exception:
        return False
    return bool(re.search(rf"^\s*def\s+{re.escape(name)}\s*\(", code or "", re.M))


async def _judge_one(problem: Problem, raw: dict, session: Any) -> tuple[str, str, str | None]:
    """(verdict, message, free-text answer) from the values alone; cells are weighed by the caller."""
    loop = asyncio.get_running_loop()
    host = getattr(session, "host", None)
    values: dict[str, Any] = {}
    unsendable: list[str] = []
    for name in problem.names:
        entry = raw.get(name)
        if not isinstance(entry, dict):
            continue
        try:
            value = decode(entry["ok"], host.decode_value if host is not None else None)
        except (KeyError, CodecError) as e:  # "unsendable", or a payload that does not decode
            unsendable.append(f"`{name}`: {str(entry.get('unsendable') or e)[:200]}")
            continue
        if isinstance(value, Function):
            value = LearnerFunction(name, value.name, session, loop, _writes_function(problem, name))
        values[name] = value
    answer = values.get("answer") if isinstance(problem, FreeTextProblem) else None
    answer = answer if isinstance(answer, str) else None
    if unsendable:
        return ERROR, "the grader cannot read " + "; ".join(unsendable) + " (plain values and functions only)", answer
    try:
        outcome = await asyncio.to_thread(problem.grade, **values)
        return _FROM_STATUS.get(outcome.status, ERROR), outcome.message, answer
    except CallTimedOut as e:
        return TIMED_OUT, f"your function ran past its time limit while being checked: {e}", answer
    except CallsReference as e:
        return FAILED, f"calls the reference: {e}; write it yourself", answer
    except KernelGone as e:
        return ERROR, str(e), answer
    except NotPortable as e:
        return ERROR, f"the check's inputs could not be lent to your function: {e}", answer


async def judge(problems: dict[str, Problem], values: dict, cells: list[dict], stopped: str | None,
                fatal: str | None, session: Any) -> list[dict]:  # fmt: skip
    """Every exercise's verdict, in lesson order."""
    out = []
    for label, problem in problems.items():
        verdict, message, answer = await _judge_one(problem, values, session)
        if verdict != PASSED:
            names = set(problem.names)
            bad = [c for c in cells if c["status"] != "ok" and names & defined_names(c["source"])]
            if any(c["status"] == "timeout" for c in bad):
                verdict, message = TIMED_OUT, "a cell defining " + ", ".join(problem.names) + " ran past the time limit"
            elif bad:
                verdict, message = ERROR, f"a cell defining {', '.join(problem.names)} raised {bad[-1].get('ename')}"
            elif not any(n in values for n in problem.names) and (stopped or fatal):
                verdict, message = (TIMED_OUT, stopped) if stopped else (ERROR, fatal)
        out.append({"label": label, "verdict": verdict, "message": message, "answer": answer})
    return out
