"""The supervisor starts children in order, restarts one that dies and stops them all."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from rich.console import Console

from bot import supervisor as supervisor_module
from bot.supervisor import ChildSpec, Supervisor

# A child that writes its pid to a file, says hello and then sleeps until it is stopped.
CHILD = """
import os, sys, time
open(sys.argv[1], "a").write(f"{os.getpid()}\\n")
print("hello from", sys.argv[2], flush=True)
time.sleep(600)
"""


def _spec(name: str, pids: Path) -> ChildSpec:
    async def healthy() -> bool:
        return pids.exists() and pids.read_text().strip() != ""

    return ChildSpec(
        name, [sys.executable, "-c", CHILD, str(pids), name], healthy, start_timeout=10
    )


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


async def _wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_killed_child_is_restarted_and_sigterm_stops_everyone(tmp_path: Path) -> None:
    first, second = tmp_path / "first.pids", tmp_path / "second.pids"
    console = Console(file=(tmp_path / "log.txt").open("w"), width=200)
    supervisor = Supervisor([_spec("first", first), _spec("second", second)], console)
    ready = asyncio.Event()
    running = asyncio.create_task(supervisor.run(on_ready=ready.set))
    await asyncio.wait_for(ready.wait(), 20)
    assert len(_pids(first)) == 1 and len(_pids(second)) == 1

    os.kill(_pids(first)[0], signal.SIGKILL)
    await _wait_for(lambda: len(_pids(first)) == 2)  # restarted after a one-second back-off
    assert len(_pids(second)) == 1  # the others were left alone

    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(running, 20) == 0
    for pid in (_pids(first)[-1], _pids(second)[-1]):
        assert not Path(f"/proc/{pid}").exists()  # stopped and reaped
    log = (tmp_path / "log.txt").read_text()
    assert "hello from first" in log and "restarting in 1 s" in log


async def test_a_child_that_cannot_start_fails_the_run(tmp_path: Path) -> None:
    async def never() -> bool:
        return False

    broken = ChildSpec("broken", [sys.executable, "-c", "raise SystemExit(3)"], never)
    console = Console(file=(tmp_path / "log.txt").open("w"), width=200)
    assert await Supervisor([broken], console).run() == 1
    assert "broken exited with code 3" in (tmp_path / "log.txt").read_text()


# A child that starts a process of its own in its group, which shares its output pipe (as a Sanic
# worker does), writes both pids to a file, and sleeps.
PARENT_AND_WORKER = """
import os, subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open(sys.argv[1], "a").write(f"{os.getpid()} {worker.pid}\\n")
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running (a zombie has ended: it only waits for its parent to read its exit code)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def test_a_killed_child_whose_worker_lives_on_is_restarted_and_its_worker_killed(
    tmp_path: Path,
) -> None:
    pids = tmp_path / "pids"

    async def healthy() -> bool:
        return pids.exists() and pids.read_text().strip() != ""

    spec = ChildSpec("server", [sys.executable, "-c", PARENT_AND_WORKER, str(pids)], healthy)
    console = Console(file=(tmp_path / "log.txt").open("w"), width=200)
    supervisor = Supervisor([spec], console)
    ready = asyncio.Event()
    running = asyncio.create_task(supervisor.run(on_ready=ready.set))
    await asyncio.wait_for(ready.wait(), 20)
    parent, worker = map(int, pids.read_text().split())

    os.kill(parent, signal.SIGKILL)  # its worker still holds the output pipe
    await _wait_for(lambda: len(pids.read_text().splitlines()) == 2)
    assert not _alive(worker)  # killed with its parent, not left answering on its own
    new_parent, new_worker = map(int, pids.read_text().splitlines()[1].split())

    supervisor.stopping.set()
    assert await asyncio.wait_for(running, 20) == 0
    assert not _alive(new_parent) and not _alive(new_worker)  # stopping stops the worker too


async def test_a_child_that_stops_answering_is_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor_module, "LIVENESS_EVERY", 0.1)
    monkeypatch.setattr(supervisor_module, "UNRESPONSIVE_AFTER", 0.5)
    pids, silent = tmp_path / "pids", tmp_path / "silent"

    async def alive() -> bool:  # a server that still runs but no longer serves
        return not silent.exists()

    spec = _spec("server", pids)
    spec.alive = alive
    console = Console(file=(tmp_path / "log.txt").open("w"), width=200)
    supervisor = Supervisor([spec], console)
    ready = asyncio.Event()
    running = asyncio.create_task(supervisor.run(on_ready=ready.set))
    await asyncio.wait_for(ready.wait(), 20)
    first = _pids(pids)[0]

    silent.touch()
    await _wait_for(lambda: len(_pids(pids)) == 2)
    silent.unlink()
    assert not _alive(first)
    supervisor.stopping.set()
    assert await asyncio.wait_for(running, 20) == 0
    assert "server has not answered for 0 s; restarting" in (tmp_path / "log.txt").read_text()
