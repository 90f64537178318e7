"""The last step before a learner's kernel: limits, an unprivileged user, a scrubbed environment, then exec.

    python -I coursekit/course/grader/launch.py --limits AS,CPU,NPROC,FSIZE [--uid U] [--env K=V ...] -- CMD ...

Runs inside the sandbox (or, where none is available, in its place), so every process the learner's code
starts inherits the limits (``resource`` rlimits: address space, CPU seconds, processes, file size) and the user.
Standard library only: it must start fast and trust nothing it could import from the learner's folder.
"""

from __future__ import annotations

import os
import resource
import sys

_LIMITS = (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE)


def main(argv: list[str]) -> None:
    cut = argv.index("--")
    opts, cmd = argv[:cut], argv[cut + 1 :]
    env: dict[str, str] = {}
    uid = None
    for flag, value in zip(opts[::2], opts[1::2]):
        if flag == "--limits":
            for which, v in zip(_LIMITS, value.split(",")):
                if int(v) > 0:  # 0: leave that limit as it is
                    resource.setrlimit(which, (int(v), int(v)))
        elif flag == "--uid":
            uid = int(value)
        elif flag == "--env":
            key, _, val = value.partition("=")
            env[key] = val
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core dumps of a learner's kernel
    if uid is not None:  # root drops to the learner's own uid for good: groups, then gid, then uid
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.umask(0o077)
    os.execvpe(cmd[0], cmd, env)


if __name__ == "__main__":
    main(sys.argv[1:])
