"""The grader's live objects, lent to a learner's function by handle: a training run, its curriculum, a runner.

Some exercises hand the learner's function something no codec can copy into a kernel: lesson 05's loop drives a
training run, lesson 05's and lesson 08's tests get runners and trainers to audit. Those objects stay here, in the
grader's process. The kernel gets a handle (``{"$remote": id}``) and a stand-in (``inkernel.Remote``) whose every
attribute read and method call comes back here as one request on the kernel's stdin channel, answered by ``serve``
while the call runs (``worker.Session.call``). So the run a learner's loop trains, the samples its gate sees and the
audit read from them are the grader's own: code in the kernel reaches them only through the names ``LENT`` lists,
with plain data as arguments, and cannot patch what they record.

What crosses the other way, from the kernel, besides plain data (``decode_rpc`` / ``decode_value``):

- a handle the grader gave out, back as its object;
- a curriculum the learner built in the kernel and passed to ``run.attach``: a ``FirehoseBandit`` is rebuilt here
  from its sources, config and state (the grader's copy is the one the run checkpoints and the audit counts; the
  kernel's object is rewired to it, inkernel.py), any other object is attached as an opaque stand-in;
- a folder a learner's test hands a trainer (``FolderFacts``: its path as the kernel sees it, whether it exists
  and is empty; the grader never opens a path a learner named);
- a path-valued answer (lesson 05 Q4's ``run_dir``): a copy of the small text files in that folder, written into
  this grader's scratch folder under fixed names, which the check reads instead.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import importlib
import re
import types
import weakref
from pathlib import Path
from typing import Any, NamedTuple

from .codec import MAX_BYTES, NOT_MINE, CodecError, carried_by_field, from_plain, to_plain
from .inkernel import CURRICULUM_METHODS, LESSONS, MARK

__all__ = ["Host", "FolderFacts", "LENT", "lend_folders", "stand_in", "LESSONS"]

_RUN = ({"step", "source_names", "clean_sources", "faulty_sources", "cfg", "halted", "loss_ema", "tokens",
         "source_steps", "is_main", "rank", "world"}, {"next_step", "train_step", "sample", "attach"})  # fmt: skip
_CURRICULUM = ({"sources", "config", "steps", "current", "remaining", "estimates", "history", "losses", "step"},
               set(CURRICULUM_METHODS))  # fmt: skip
# What each kind of lent object offers the kernel: (attributes it may read, methods it may call).
LENT: dict[str, tuple[set[str], set[str]]] = {
    "Run": _RUN,
    "FirehoseBandit": _CURRICULUM,
    "LegacySchedule": _CURRICULUM,
    "function": (set(), {"__call__", "__gate_audit__"}),
}
# Fields of a lent config that name places on the grader's side (the run's own folder, caches): never offered. Without
# bubblewrap a kernel running as the grader's uid could write into that folder and forge what the audit reads.
_PATH_FIELDS = {"out_dir", "tokenizer_cache", "extra_files"}
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
MAX_REQUEST = 4_000_000  # characters in one request from the kernel
_METHOD = object()  # ``_answer``'s reply to a read of a method's name: the kernel then calls it by name


class FolderFacts(NamedTuple):
    """A folder a learner's test handed a trainer, as the kernel saw it: the grader never opens it."""

    path: str  # its real path inside the sandbox
    exists: bool  # an existing directory
    empty: bool  # ... holding nothing


_STAND_INS: dict[int, tuple[Any, str, str]] = {}  # id -> (weak reference, module, factory)


def stand_in(obj: Any, module: str, factory: str) -> Any:
    """Mark ``obj`` (a check's input too rich to lend: a model, a tokenizer) as one the kernel builds for itself
    with ``module.STAND_INS[factory]()``. What the learner's function returns is sent back through ``module``'s
    ``carry_out`` (in the kernel) and rebuilt here by its ``carry_in``, with this very ``obj`` wherever the kernel's
    stand-in was used: lesson 08 lends an HF model this way and gets back the Trainer the learner wired."""
    if not module.startswith(LESSONS):
        raise ValueError(f"stand-ins are built by lesson modules, got {module!r}")
    for key in [k for k, (ref, _, _) in _STAND_INS.items() if ref() is None]:
        del _STAND_INS[key]
    _STAND_INS[id(obj)] = (weakref.ref(obj), module, factory)
    return obj


def _stand_in_of(value: Any) -> tuple[str, str] | None:
    entry = _STAND_INS.get(id(value))
    return (entry[1], entry[2]) if entry is not None and entry[0]() is value else None


def lend_folders(fn: Any, *positions: int) -> Any:
    """Mark which arguments of a function lent to a learner's test are folders (sent as ``FolderFacts``)."""
    fn.folder_args = positions
    return fn


class _Opaque:
    """A curriculum the grader cannot rebuild, attached in its place: the audit sees that one was attached, and
    counts nothing (``kind`` keeps the learner's class name, for a reader of the grader's state)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def _kind(value: Any) -> str | None:
    """The ``LENT`` kind of a grader object the kernel may get a handle on; None for anything else."""
    from coursekit.train.curriculum import FirehoseBandit, LegacySchedule
    from coursekit.train.run import Run

    if isinstance(value, (Run, FirehoseBandit, LegacySchedule)):
        return "Run" if isinstance(value, Run) else type(value).__name__
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "config" if type(value).__module__.startswith("coursekit.train.") else None
    if isinstance(value, (types.FunctionType, functools.partial)):  # a runner, a trainer: not any callable object
        return "function"
    if callable(value) and hasattr(type(value), "__gate_audit__"):  # a check's runner that audits itself
        return "function"
    return None


class Host:
    """The objects lent in one learner's grading, and the answers to the kernel's requests about them."""

    def __init__(self, scratch: Path) -> None:
        # What the current call lent, by handle. Handles are never reused, and each call starts with none lent: a
        # handle kept from an earlier call (a finished training run) is refused, never used on a later exercise.
        self.objects: dict[int, Any] = {}
        self.handles = 0  # handles given out so far
        self.scratch = scratch  # the grader's own folder for copies of path-valued answers
        self.carriers: set[str] = set()  # lesson modules whose stand-ins were lent: they may carry results back
        self.copies = 0  # path-valued answers copied so far

    # --- grader -> kernel ----------------------------------------------------------------------------------------

    def begin_call(self) -> None:
        """Before each call of a learner's function: what earlier calls lent is no longer reachable."""
        self.objects.clear()

    def lend(self, value: Any) -> Any:
        """``encode``'s hook: a handle for a lendable object (``NOT_MINE`` for plain data and the rest)."""
        if carried_by_field(value) or isinstance(value, (str, bytes, int, float, list, tuple, dict, set)):
            return NOT_MINE
        built = _stand_in_of(value)
        kind = "stand_in" if built else _kind(value)
        if kind is None:
            return NOT_MINE
        i = next((h for h, obj in self.objects.items() if obj is value), None)
        if i is None:
            i, self.handles = self.handles, self.handles + 1
            self.objects[i] = value
        handle = {"$remote": i, "kind": kind}
        if kind == "function":
            handle["folders"] = [p for p in getattr(value, "folder_args", ()) if isinstance(p, int)]
        if built:
            handle["module"], handle["factory"] = built
            self.carriers.add(built[0])
        return handle

    # --- kernel -> grader ----------------------------------------------------------------------------------------

    def decode_value(self, data: dict) -> Any:
        """``decode``'s hook for an exercise's values: path-valued answers become copies (module docstring)."""
        if "$dir" in data:
            return self._materialize(data["$dir"])
        return NOT_MINE

    def decode_result(self, data: dict) -> Any:
        """``decode``'s hook for what a learner's function returned: ``decode_rpc``'s, and results a lesson module
        whose stand-ins were lent carries back (``stand_in``)."""
        carried = data.get("$carried")
        if isinstance(carried, dict) and carried.get("module") in self.carriers:
            module = importlib.import_module(carried["module"])
            try:
                return module.carry_in(carried.get("spec"), lambda d: from_plain(d, self.decode_result))
            except (TypeError, ValueError, KeyError) as e:
                raise CodecError(str(e)[:300]) from None
        return self.decode_rpc(data)

    def decode_rpc(self, data: dict) -> Any:
        """``decode``'s hook for a request's arguments: handles, curricula and folders (module docstring)."""
        if "$remote" in data:
            i = data["$remote"]
            if not isinstance(i, int) or isinstance(i, bool) or i not in self.objects:
                raise CodecError("a handle the grader never gave out, or lent for an earlier call")
            return self.objects[i]
        if "$curriculum" in data:
            return self._curriculum(data["$curriculum"])
        if isinstance(data.get("$opaque"), str):
            return _Opaque(data["$opaque"][:80])
        if isinstance(data.get("$folder"), dict):
            f = data["$folder"]
            return FolderFacts(str(f.get("path", ""))[:1000], f.get("exists") is True, f.get("empty") is True)
        return NOT_MINE

    def _curriculum(self, spec: Any) -> Any:
        from coursekit.train.curriculum import BanditConfig, FirehoseBandit

        if not isinstance(spec, dict) or spec.get("kind") != "FirehoseBandit":
            raise CodecError("only a FirehoseBandit is rebuilt by the grader")
        sources, config = from_plain(spec.get("sources"), self.decode_rpc), from_plain(spec.get("config"), self.decode_rpc)
        if not isinstance(config, BanditConfig):
            raise CodecError(f"a FirehoseBandit's config must be a BanditConfig, got {type(config).__name__}")
        try:
            bandit = FirehoseBandit(sources, config)
            bandit.load_state_dict(from_plain(spec.get("state")))
        except (TypeError, ValueError, KeyError) as e:
            raise CodecError(f"a FirehoseBandit the grader cannot rebuild: {e}") from None
        return bandit

    def _materialize(self, spec: Any) -> Path:
        if not isinstance(spec, dict) or not isinstance(spec.get("files"), dict):
            raise CodecError("malformed folder copy")
        name = spec.get("name") if isinstance(spec.get("name"), str) and _FILE_NAME.match(spec["name"]) else "folder"
        self.copies += 1
        folder = self.scratch / f"answer-{self.copies}" / name  # under the learner's folder name, for messages
        folder.mkdir(parents=True)
        for name, text in spec["files"].items():
            if isinstance(name, str) and _FILE_NAME.match(name) and isinstance(text, str):
                (folder / name).write_text(text, encoding="utf-8", errors="replace")  # a lone surrogate from JSON
        return folder

    def serve(self, request: str) -> str:
        """One reply to one request from the kernel: ``{"value": ...}``, ``{"method": true}`` or ``{"raised":
        [name, message]}``. Never raises: a hostile request gets a ``raised`` reply."""
        try:
            answer = self._answer(request)
            if answer is _METHOD:
                return json.dumps({"method": True})
            reply = json.dumps({"value": to_plain(answer, special=self.lend)}, allow_nan=False)
            if len(reply) > MAX_BYTES:
                raise CodecError(f"an answer too large to send ({len(reply):,} characters)")
            return reply
        except Exception as e:  # the kernel's mistake, or an error of the object's own: told to the kernel
            return json.dumps({"raised": [type(e).__name__, str(e)[:500]]})

    def _answer(self, request: str) -> Any:
        if not isinstance(request, str) or len(request) > MAX_REQUEST or not request.startswith(MARK):
            raise CodecError("not a request from the grader's stand-ins (an input() of your own?)")
        req = json.loads(request[len(MARK):])
        if not isinstance(req, dict) or req.get("op") not in ("get", "call") or not isinstance(req.get("name"), str):
            raise CodecError("a request the grader does not understand")
        obj = self.decode_rpc({"$remote": req.get("obj")})
        kind, name = _kind(obj), req["name"]
        attrs, methods = LENT.get(kind, (set(), set())) if kind != "config" else (
            {f.name for f in dataclasses.fields(obj)} - _PATH_FIELDS, set())  # fmt: skip
        if req["op"] == "get":
            if name in methods:
                return _METHOD
            if name not in attrs:
                offered = ", ".join(sorted(attrs | methods)) or "nothing"
                raise AttributeError(f"the {kind} the grader lends has no {name!r} here (it offers: {offered})")
            return getattr(obj, name)
        if name not in methods:
            raise AttributeError(f"the {kind} the grader lends has no method {name!r} here")
        args, kwargs = from_plain(req.get("args", []), self.decode_rpc), from_plain(req.get("kwargs", {}), self.decode_rpc)
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise CodecError("malformed arguments")
        if name == "__gate_audit__":
            from coursekit.train.gateaudit import gate_audit

            return gate_audit(obj)  # always the audit's own settings: nothing the kernel asks for changes them
        if name == "__call__":
            folders = getattr(obj, "folder_args", ())
            if folders and (kwargs or not all(p < len(args) and isinstance(args[p], FolderFacts) for p in folders)):
                # a folder crosses only as the facts the stand-in gathered: a path (as a keyword, or sent by a
                # request of the kernel's own) would be opened here, on the grader's side
                raise CodecError("pass the folder by position (`run(folder)`), as a folder of yours")
            return obj(*args, **kwargs)
        return getattr(obj, name)(*args, **kwargs)
