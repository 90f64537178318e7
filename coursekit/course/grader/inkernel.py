"""The grader's side inside a learner's kernel: hand values out, call a learner's function on given inputs.

Imported by the two kinds of cell the worker sends after (and between) the learner's cells. Nothing is judged here:
what is printed is untrusted data, decoded by the grader with ``codec.decode`` and judged in its own process.
While a learner's function runs, a profile hook notes calls into coursekit's own answer code (a function of
the same name anywhere in coursekit, or anything defined in the lessons' modules): "calls the reference".

An argument the grader lends (a training run, a runner: hosting.py) arrives as a ``Remote``: reading one of its
attributes or calling one of its methods asks the grader, on the kernel's stdin channel, which the worker opens
only for its own call cells. A path-valued answer crosses as a copy of the small text files of that folder.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import json
import os
import stat
import sys
from pathlib import PurePath
from typing import Any

from .codec import NOT_MINE, CodecError, decode, encode, from_plain, to_plain

MARK = "\x1ecoursekit-grader:"  # starts the one line of each reply the grader reads
LESSONS = "coursekit.course.lessons."  # the lesson modules: the reference's home, the only builders of stand-ins
CURRICULUM_METHODS = ("next_source", "record", "probabilities", "shares", "state_dict")  # what a lent one offers


def _reply(payload: dict) -> None:
    sys.stdout.write("\n" + MARK + json.dumps(payload) + "\n")
    sys.stdout.flush()


FOLDER_FILES = (".json", ".jsonl", ".txt")  # what a path-valued answer's copy holds: a run's logs, not its weights
MAX_FILE = 1_000_000  # characters per copied file


def _folder_copy(path: PurePath) -> dict:
    """A folder as ``{"$dir": ...}``: its small text files by name (regular files only, never through a link)."""
    files: dict[str, str] = {}
    folder = os.path.abspath(path)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name) if os.path.isdir(folder) else []
    except OSError:
        entries = []
    for entry in entries:
        if not entry.name.endswith(FOLDER_FILES) or not stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
            continue
        with open(entry.path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(MAX_FILE + 1)
        if len(text) <= MAX_FILE:
            files[entry.name] = text
    return {"$dir": {"name": os.path.basename(folder), "files": files}}


def _answer_value(value: Any) -> Any:
    return _folder_copy(value) if isinstance(value, PurePath) else NOT_MINE


def values(names: list[str], namespace: dict) -> None:
    """Print each defined name's value as codec JSON (or why it cannot be sent)."""
    out: dict[str, Any] = {}
    for name in names:
        if name in namespace:
            try:
                out[name] = {"ok": encode(namespace[name], special=_answer_value)}
            except (CodecError, ValueError, TypeError, RecursionError) as e:
                out[name] = {"unsendable": f"{type(e).__name__}: {e}"[:300]}
    _reply({"values": out})


class RemoteError(Exception):
    """The grader refused a request about an object it lent (or the object itself raised)."""


def _rpc(request: dict) -> Any:
    # builtins.input is ipykernel's stdin forwarder only while the worker's call cell runs: learner code that
    # keeps a lent object for later gets a clear error, not a hang.
    try:
        reply = json.loads(builtins.input(MARK + json.dumps(request)))
    except Exception as e:
        raise RemoteError(f"the grader's objects can be used only while the grader calls your function ({e})") from None
    if "raised" in reply:
        name, message = (list(reply["raised"]) + ["", ""])[:2]
        raise RemoteError(f"{name}: {message}")
    return True if reply.get("method") else from_plain(reply.get("value"), _from_grader)


class Remote:
    """An object the grader lends for the length of one call: a training run, its curriculum, a runner."""

    __slots__ = ("_id", "_kind", "_folders")

    def __init__(self, ident: int, kind: str, folders: list) -> None:
        object.__setattr__(self, "_id", ident)
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_folders", folders)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = _rpc({"op": "get", "obj": self._id, "name": name})
        return functools.partial(_call, self, name) if value is True else value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"the {self._kind} the grader lends is read-only")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(_folder_facts(a) if i in self._folders else a for i, a in enumerate(args))
        return _call(self, "__call__", *args, **kwargs)

    def __gate_audit__(self, **settings: Any) -> Any:
        """``coursekit.train.gateaudit.gate_audit`` of a lent runner: the grader audits it, with its own settings."""
        return _call(self, "__gate_audit__")

    def __repr__(self) -> str:
        return f"<the grader's {self._kind}>"


def _call(remote: Remote, name: str, *args: Any, **kwargs: Any) -> Any:
    payload = {"op": "call", "obj": remote._id, "name": name, "args": to_plain(list(args), _to_grader),
               "kwargs": to_plain(kwargs, _to_grader)}  # fmt: skip
    result = _rpc(payload)
    if name == "attach" and args and isinstance(result, Remote) and _is_bandit(args[0]):
        # The grader rebuilt the learner's bandit and attached its copy: route the learner's object to that copy,
        # so `bandit = FirehoseBandit(...); run.attach(bandit); bandit.next_source()` drives what the run counts.
        for method in CURRICULUM_METHODS:
            setattr(args[0], method, functools.partial(_call, result, method))
    return result


def _folder_facts(path: Any) -> dict:
    real = os.path.realpath(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else repr(path)
    exists = isinstance(path, (str, os.PathLike)) and os.path.isdir(real)
    return {"$folder": {"path": real, "exists": exists, "empty": exists and not os.listdir(real)}}


def _is_bandit(value: Any) -> bool:
    return type(value).__name__ == "FirehoseBandit" and type(value).__module__ == "coursekit.train.curriculum"


def _to_grader(value: Any) -> Any:
    if isinstance(value, Remote):
        return {"$remote": value._id}
    if isinstance(value, dict) and "$folder" in value and len(value) == 1:  # _folder_facts: plain JSON already
        return value
    if _is_bandit(value):
        spec = {"kind": "FirehoseBandit", "sources": list(value.sources), "config": value.config,
                "state": value.state_dict()}  # fmt: skip
        return {"$curriculum": {key: to_plain(v, _to_grader) for key, v in spec.items()}}
    if callable(getattr(value, "state_dict", None)) and not isinstance(value, type):  # someone else's curriculum
        return {"$opaque": type(value).__name__}
    return NOT_MINE


# Stand-ins built here for the grader's rich inputs (hosting.stand_in): by handle, and the handle of each object.
_BUILT: dict[int, Any] = {}
_HANDLE_OF: dict[int, int] = {}
_CARRIERS: dict[str, Any] = {}  # the lesson modules that built them, which carry results back


def _stand_in(handle: int, module: str, factory: str) -> Any:
    if handle not in _BUILT:
        if not module.startswith(LESSONS):
            raise CodecError(f"a stand-in from {module!r}")
        mod = importlib.import_module(module)
        _BUILT[handle] = obj = mod.STAND_INS[factory]()
        _HANDLE_OF[id(obj)] = handle
        _CARRIERS[module] = mod
    return _BUILT[handle]


def _from_grader(data: dict) -> Any:
    if "$remote" in data and isinstance(data.get("kind"), str):
        if data["kind"] == "stand_in":
            return _stand_in(data["$remote"], str(data.get("module")), str(data.get("factory")))
        folders = data.get("folders") if isinstance(data.get("folders"), list) else []
        return Remote(data["$remote"], data["kind"], folders)
    return NOT_MINE


def _result_to_grader(value: Any) -> Any:
    """A result's special values: stand-ins back as their handles, and what a lesson module carries (its Trainer)."""
    handle = _HANDLE_OF.get(id(value))
    if handle is not None and _BUILT.get(handle) is value:
        return {"$remote": handle}
    for name, module in _CARRIERS.items():
        spec = module.carry_out(value, lambda v: to_plain(v, _result_to_grader))
        if spec is not NOT_MINE:
            return {"$carried": {"module": name, "spec": spec}}
    return _to_grader(value)


def _reference_code(fn_name: str) -> set:
    """The code of coursekit's answer functions: any function named ``fn_name``, and every function a lesson module
    defines. Only code written in that module's own file counts: a decorated function (``contextmanager``,
    ``functools.cache``) carries the decorator's code, which the standard library and the frameworks run too."""
    codes = set()
    for mod_name, module in list(sys.modules.items()):
        if not mod_name.startswith("coursekit.") or module is None:
            continue
        lesson, source = mod_name.startswith(LESSONS), getattr(module, "__file__", None)
        for attr, obj in list(vars(module).items()):
            code = getattr(getattr(obj, "__func__", obj), "__code__", None)
            if code is None or code.co_filename != source:
                continue
            if attr == fn_name or (lesson and getattr(obj, "__module__", "") == mod_name):
                codes.add(code)
    return codes


def call(name: str, args_json: str, namespace: dict) -> None:
    """Call the learner's ``name`` on the decoded arguments; print its result, what it raised, and whether it
    called into the reference."""
    fn = namespace.get(name)
    if not callable(fn):
        _reply({"raised": ["NameError", f"`{name}` is not a function any more"]})
        return
    args = decode(args_json, _from_grader)
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
        _reply({"result": encode(result, special=_result_to_grader), "reference": seen})
    except (CodecError, ValueError, TypeError, RecursionError) as e:
        _reply({"raised": ["TypeError", f"returned a value the grader cannot read ({e})"], "reference": seen})
