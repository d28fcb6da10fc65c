"""What the supervisor needs to know and do about processes beyond its own children (Linux).

A child of `trialbot run` may start processes of its own (the action server's Sanic workers), which
outlive it when it is killed: they are found by process group, as the kernel records them in
/proc, and killed with it. When the supervisor itself is killed, `bot/guard.py` does it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
GUARD = Path(__file__).with_name("guard.py")
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
LINUX = sys.platform.startswith("linux")
# The descriptor of a listening socket a supervised server is handed, to serve on.
LISTEN_FD_VARIABLE = "TRIALBOT_LISTEN_FD"


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    group: int
    state: str  # R, S, D, T, Z… as in ps
    command: str


def stop(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Ask `process` to stop (SIGTERM); kill it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def guarded(argv: list[str]) -> list[str]:
    """`argv` behind `bot/guard.py`, which kills the process group it leads when this process
    dies (on Linux; elsewhere `argv` as it is)."""
    if not LINUX:
        return argv
    return [sys.executable, "-I", str(GUARD), str(os.getpid()), *argv]


# `python -I -c _DIE_WITH_PARENT <parent pid> <command…>`: asks the kernel for SIGKILL when the
# parent dies, then becomes the command (the same pid: the request survives exec).
_DIE_WITH_PARENT = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    os._exit(70)\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


def dying_with_this_process(argv: list[str]) -> list[str]:
    """`argv` so that its process is killed when this one dies (Linux; elsewhere as it is)."""
    if not LINUX:
        return argv
    return [sys.executable, "-I", "-c", _DIE_WITH_PARENT, str(os.getpid()), *argv]


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux; elsewhere nothing)."""
    if LINUX:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def adopt_orphans() -> None:
    """Become the parent of descendants orphaned by a child's death (instead of init), so that
    they can be seen, killed and reaped here (Linux; elsewhere nothing)."""
    if LINUX:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def info(pid: int) -> ProcessInfo | None:
    """What /proc says of `pid`; None once it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
    command = raw.replace(b"\0", b" ").decode(errors="replace").strip() or f"[{name}]"
    return ProcessInfo(pid, int(rest[1]), int(rest[2]), rest[0], command)


def every_process() -> list[ProcessInfo]:
    found = (info(int(entry.name)) for entry in PROC.iterdir() if entry.name.isdigit())
    return [process for process in found if process is not None]


def group_members(group: int) -> list[ProcessInfo]:
    """The living processes of a process group (zombies are dead: they hold nothing)."""
    if not LINUX:
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [ProcessInfo(group, 0, group, "?", "")]
    return [p for p in every_process() if p.group == group and p.state != "Z"]


def signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def reap_group(group: int) -> None:
    """Collect the exit status of the group's dead processes that this process adopted (see
    `adopt_orphans`), so that they do not stay behind as zombies. The leader, a child of this
    process, is left to whoever waits for it."""
    me = os.getpid()
    for process in every_process():
        if process.group == group and process.pid != group and process.ppid == me:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(process.pid, os.WNOHANG)


def listening_on(port: int) -> list[ProcessInfo]:
    """The processes that hold a listening TCP socket on `port` (any address), as far as they
    can be seen (another user's are not), lowest pid first."""
    inodes = _listening_inodes(port)
    if not inodes:
        return []
    holders = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        if any(link.startswith("socket:[") and link[8:-1] in inodes for link in _links(entry)):
            holder = info(int(entry.name))
            if holder is not None:
                holders.append(holder)
    return sorted(holders, key=lambda holder: holder.pid)


def _links(process: Path) -> list[str]:
    """What the open descriptors of a /proc entry point at; none when the process is gone or
    another user's. A descriptor closed between listing and reading is passed over, not the
    process (a server opens and closes pipes while it runs)."""
    try:
        descriptors = list((process / "fd").iterdir())
    except OSError:
        return []
    links = []
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            links.append(os.readlink(descriptor))
    return links


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes
