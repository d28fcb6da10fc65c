"""`python -I bot/guard.py <supervisor pid> <command…>`: run a command that must not outlive its
supervisor, with everything it starts (Linux).

The guard leads the command's process group and waits for it. When the supervisor dies, even by
SIGKILL, the kernel tells the guard (PR_SET_PDEATHSIG), which kills the whole group: the command
and what it started, such as a Sanic server's workers and its manager process. The command's exit
is passed on as the guard's own: the same code, or death by the same signal. Signals meant to
stop the command (SIGTERM, SIGINT, SIGHUP, sent to the group) do not stop the guard, which exits
once the command has.

It runs as a script with the standard library only, so that it costs little to start.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from types import FrameType

PR_SET_PDEATHSIG = 1
SUPERVISOR_GONE = signal.SIGUSR1
STOPPING = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _end_group(_signum: int = 0, _frame: FrameType | None = None) -> None:
    os.killpg(0, signal.SIGKILL)


def _wait_for_the_command(_signum: int, _frame: FrameType | None) -> None:
    """A stopping signal reached the command too: the guard exits when it does."""


def main(argv: list[str]) -> int:
    supervisor, command = int(argv[0]), argv[1:]
    signal.signal(SUPERVISOR_GONE, _end_group)
    for signum in STOPPING:
        signal.signal(signum, _wait_for_the_command)  # handlers, unlike SIG_IGN, end at exec
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, SUPERVISOR_GONE, 0, 0, 0)
    if os.getppid() != supervisor:  # gone before the request above was made
        _end_group()
    try:
        pid = os.posix_spawnp(command[0], command, os.environ)
    except OSError as error:
        print(f"cannot start {command[0]}: {error.strerror}", file=sys.stderr, flush=True)
        return 127
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # killed by a signal: so is the guard, for the supervisor to see the same
        if -code in (*STOPPING, SUPERVISOR_GONE):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
