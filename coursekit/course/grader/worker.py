"""One notebook, one confined kernel: run the learner's cells, collect their values, judge them out here.

    python -P -m coursekit.course.grader.worker < job.json      (started by runner.py; prints one JSON result)

The learner's code runs only in the kernel, inside the sandbox (confine.py). This process is the grader's:
after each code cell it asks the kernel for the values of the lesson's names (codec.py: plain data only), and
after the last cell it judges them with its own, fresh imports of the lesson's exercises (judge.py). A learner's
function is called back in the kernel on the grader's inputs, each call with its own time limit, and only its
result crosses back; an input no codec can copy (a training run, a runner) is lent by handle and stays here
(hosting.py, callcell.py). Nothing is judged in the kernel. The result goes to the parent on a copy of stdout the
kernel never inherits.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from .callcell import run_call_cell
from .codec import CodecError, encode
from .confine import Limits, Sandbox
from .discovery import UnknownLesson, lesson_of, problems_of
from .hosting import Host
from .inkernel import MARK
from .judge import CallTimedOut, KernelGone, NotPortable, cell_status, judge

GRACE_S = 10  # past a cell's limit and its interrupt: a cell that ignores interrupts has wedged the kernel


class ConfinedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside ``sandbox``."""

    sandbox: Sandbox | None = None

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.sandbox.uid is not None:  # the dropped kernel must read the connection file jupyter wrote as root
            os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)
        return self.sandbox.argv(cmd)


class Session:
    """The kernel of one notebook, driven cell by cell, with values read back after each."""

    def __init__(self, job: dict) -> None:
        import nbformat
        from nbclient import NotebookClient

        self.job, self.nbformat = job, nbformat
        self.cell_timeout, self.notebook_timeout = float(job["cell_timeout"]), float(job["notebook_timeout"])
        box = job["sandbox"]
        self.sandbox = Sandbox(Path(box["workdir"]), Path(box["runtime"]), [Path(p) for p in box["hidden"]],
                               Limits(**box["limits"]), box["uid"], box["token"], box["use_bwrap"])  # fmt: skip
        km = ConfinedKernelManager(kernel_name="python3", transport="ipc", ip=str(self.sandbox.runtime / "k"),
                                   connection_file=str(self.sandbox.runtime / "kernel.json"))  # fmt: skip
        km.sandbox = self.sandbox
        # Interrupt by message: a SIGINT to the sandbox's process group would reach bubblewrap, not the kernel,
        # and stop the whole sandbox; ipykernel interrupts itself when asked on its control channel.
        km.kernel_spec.interrupt_mode = "message"
        self.nb = nbformat.read(job["notebook"], as_version=4)
        self.client = NotebookClient(self.nb, km=km, timeout=self.cell_timeout, interrupt_on_timeout=True,
                                     allow_errors=True, kernel_name="python3",
                                     resources={"metadata": {"path": str(self.sandbox.workdir)}})  # fmt: skip
        self.wedged = False
        self.judge_deadline = float("inf")
        self.host = Host(Path(tempfile.mkdtemp(prefix="coursekit-grader-")))  # the grader's, outside any sandbox

    async def _run(self, source: str, timeout: float) -> dict:
        """Execute ``source`` in the kernel; the cell afterwards (outputs, status). Raises CallTimedOut if the
        kernel ignored the interrupt, KernelGone if it died."""
        from nbclient.exceptions import DeadKernelError

        if self.wedged:
            raise CallTimedOut("the kernel was already stopped by an earlier time limit")
        cell = self.nbformat.v4.new_code_cell(source)
        self.client.timeout = max(1, int(timeout))
        try:
            await asyncio.wait_for(self.client.async_execute_cell(cell, len(self.nb.cells)), timeout + GRACE_S)
        except (asyncio.TimeoutError, DeadKernelError) as e:
            # nbclient reports our own cancellation at the grace limit as a dead kernel: ask the process itself
            self.wedged = True
            if isinstance(e, asyncio.TimeoutError) or await self.client.km.is_alive():
                raise CallTimedOut("it ignored the interrupt at its time limit") from None
            raise KernelGone(f"the kernel died: {e}"[:300]) from None
        except Exception:  # CellExecutionError with allow_errors: the outputs say what happened
            pass
        return cell

    @staticmethod
    def reply(cell: Any) -> dict | None:
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        lines = [line[len(MARK):] for line in text.split("\n") if line.startswith(MARK)]  # not splitlines(): it also splits at the mark
        try:
            payload = json.loads(lines[-1]) if lines else None
        except json.JSONDecodeError:
            return None
        return payload if isinstance(payload, dict) else None

    async def snapshot(self, names: list[str]) -> dict | None:
        code = f"from coursekit.course.grader.inkernel import values as _ck_values\n_ck_values({names!r}, globals())"
        cell = await self._run(code, self.cell_timeout)
        payload = self.reply(cell)
        values = payload.get("values") if payload else None
        return values if isinstance(values, dict) else None

    async def call(self, name: str, args: tuple) -> dict:
        """Call the learner's function ``name`` in the kernel; the kernel's reply (untrusted data). Arguments no
        codec can copy are lent by handle, and the kernel's requests about them are answered while it runs."""
        if self.wedged:
            raise CallTimedOut("the kernel was already stopped by an earlier time limit")
        remaining = self.judge_deadline - time.monotonic()
        if remaining <= 0:
            raise CallTimedOut("grading this notebook's functions ran past the notebook's time limit")
        self.host.begin_call()
        try:
            args_json = encode(args, functions=False, special=self.host.lend)
        except CodecError as e:
            raise NotPortable(str(e)) from None
        code = (f"from coursekit.course.grader.inkernel import call as _ck_call\n"
                f"_ck_call({name!r}, {args_json!r}, globals())")  # fmt: skip
        try:
            cell = await run_call_cell(self.client.kc, self.client.km, code, min(self.cell_timeout, remaining),
                                       self.host.serve, GRACE_S)  # fmt: skip
        except CallTimedOut:
            self.wedged = True
            raise
        payload = self.reply(cell)
        if payload is None:
            status = cell_status(cell)
            if status[0] == "timeout":
                raise CallTimedOut(f"it ran past the {self.cell_timeout:g} s limit")
            return {"raised": ["Error", "the kernel gave no readable reply"]}
        return payload

    async def grade(self) -> dict:
        raw = json.dumps([c.get("source", "") for c in self.nb.cells])
        module = lesson_of(Path(self.job["notebook"]), raw)
        if module is None:
            return {"fatal": "cannot tell which lesson this is (no NN_ prefix, no coursekit.lessonNN import)"}
        problems = problems_of(module)  # UnknownLesson: the caller reports it as this learner's error
        names = sorted({n for p in problems.values() for n in p.names})
        cells, values, stopped, fatal = [], {}, None, None
        start = time.monotonic()
        async with self.client.async_setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            try:
                for index, cell in enumerate(self.nb.cells):
                    if cell.cell_type != "code":
                        continue
                    left = self.notebook_timeout - (time.monotonic() - start)
                    if left <= 0:
                        stopped = f"the notebook ran past its {self.notebook_timeout:g} s limit"
                        break
                    try:
                        ran = await self._run(cell.source, min(self.cell_timeout, left))
                    except CallTimedOut:  # it ignored the interrupt: attributed like any cell that timed out
                        cells.append({"index": index, "source": cell.source, "status": "timeout", "ename": None})
                        raise
                    status, ename = cell_status(ran)
                    executed = {"status": status, "ename": ename}
                    cells.append({"index": index, "source": cell.source, **executed})
                    if executed["status"] == "timeout" and left <= self.cell_timeout:
                        stopped = f"the notebook ran past its {self.notebook_timeout:g} s limit"
                        break
                    values = await self.snapshot(names) or values
            except CallTimedOut:
                stopped = f"a cell ignored the interrupt at its {self.cell_timeout:g} s limit; the kernel was stopped"
            except KernelGone as e:
                fatal = str(e)
            self.judge_deadline = time.monotonic() + self.notebook_timeout
            verdicts = await judge(problems, values, cells, stopped, fatal, self)
        return {"module": module, "verdicts": verdicts}

def _limit_memory(job: dict) -> None:
    """The kernel's address-space limit for this worker too: it holds everything the kernel prints (nbclient keeps
    each cell's outputs) and trains what a learner's answer describes, so a flood ends this learner's grading
    with an error instead of filling the machine that grades the others."""
    import resource

    limit = int(job.get("sandbox", {}).get("limits", {}).get("address_space") or 0)
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> int:
    job = json.loads(sys.stdin.read())
    _limit_memory(job)
    result_fd = os.dup(1)  # the parent reads this; the kernel inherits only /dev/null as its stdout
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        session = Session(job)
    except Exception as e:  # not JSON, not a notebook: nothing to run
        result = {"fatal": f"not a readable notebook: {type(e).__name__}: {e}"[:300]}
    else:
        try:
            result = asyncio.run(session.grade())
        except UnknownLesson as e:
            result = {"fatal": str(e)}
        finally:
            shutil.rmtree(session.host.scratch, ignore_errors=True)
    with os.fdopen(result_fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
