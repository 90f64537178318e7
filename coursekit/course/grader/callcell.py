"""One call cell with the kernel's stdin channel open: the learner's function runs, the grader answers its requests.

nbclient runs a notebook's cells with stdin closed, so a learner's ``input()`` raises instead of waiting. The
worker's call cells (``inkernel.call``) need it open: a stand-in for an object the grader lends asks about it through
``input()`` (hosting.py). This module runs one such cell on the kernel client itself, answers each input request
with the host's ``serve``, keeps the cell's stream output (where the reply line is) and its error, and keeps the
time limit: an interrupt at the limit, and ``CallTimedOut`` if the kernel has not stopped ``grace`` seconds later.
The answer is shaped like an executed notebook cell, for ``Session.reply`` and ``judge.cell_status``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from .judge import CallTimedOut, KernelGone

__all__ = ["run_call_cell"]

POLL_S = 0.005  # between looks at the channels while a call runs
MAX_TEXT = 4_000_000  # characters of a call's output kept: the last ones, where the reply line is
ALIVE_EVERY_S = 1.0  # how often a silent kernel is checked for death


async def _drain(channel: Any) -> list[dict]:
    msgs = []
    while await channel.msg_ready():
        msgs.append(await channel.get_msg(timeout=1))
    return msgs


async def run_call_cell(kc: Any, km: Any, code: str, timeout: float, serve: Callable[[str], str],
                        grace: float) -> dict:  # fmt: skip
    """Execute ``code`` with stdin open; ``serve(prompt)`` answers each input request. Returns ``{"outputs": [...]}``."""
    msg_id = kc.execute(code, store_history=False, allow_stdin=True)
    outputs: list[dict] = []
    text: list[str] = []
    replied = idle = interrupted = False
    deadline = time.monotonic() + timeout
    last_alive = time.monotonic()
    while not (replied and idle):
        busy = False
        for msg in await _drain(kc.iopub_channel):
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg.get("msg_type"), msg.get("content", {})
            if kind == "stream":
                text.append(str(content.get("text", "")))
                if sum(map(len, text)) > MAX_TEXT:  # a function that floods its output: keep the tail only
                    text[:] = ["".join(text)[-MAX_TEXT:]]
            elif kind == "error":
                outputs.append({"output_type": "error", "ename": content.get("ename"),
                                "traceback": list(content.get("traceback", []))})  # fmt: skip
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
            busy = True
        for msg in await _drain(kc.shell_channel):
            replied = replied or msg.get("parent_header", {}).get("msg_id") == msg_id
            busy = True
        for msg in await _drain(kc.stdin_channel):
            if msg.get("msg_type") == "input_request":
                prompt = str(msg.get("content", {}).get("prompt", ""))
                left = max(0.1, deadline - time.monotonic())
                try:
                    answer = await asyncio.wait_for(asyncio.to_thread(serve, prompt), left)
                except asyncio.TimeoutError:
                    answer = '{"raised": ["TimeoutError", "the grader\'s object ran past the time limit"]}'
                kc.input(answer)
            busy = True
        now = time.monotonic()
        if now > deadline:
            if interrupted:
                raise CallTimedOut(f"it ignored the interrupt at its {timeout:g} s limit")
            await km.interrupt_kernel()
            outputs.append({"output_type": "error", "ename": "KeyboardInterrupt",
                            "traceback": ["Cell execution timed out"]})  # fmt: skip
            interrupted, deadline = True, now + grace
        if not busy:
            if now - last_alive > ALIVE_EVERY_S:
                last_alive = now
                if not await km.is_alive():
                    raise KernelGone("the kernel died while your function ran")
            await asyncio.sleep(POLL_S)
    if text:
        outputs.insert(0, {"output_type": "stream", "name": "stdout", "text": "".join(text)})
    return {"outputs": outputs}
