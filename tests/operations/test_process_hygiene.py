"""The real action server under the supervisor: killed parent, killed supervisor, nothing left.

Sanic runs the actions in a worker process, which used to outlive a killed parent, answering on
the port with the old code while the supervisor waited on the output pipe the worker held.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from rich.console import Console

from bot import processes
from bot.localstack import free_port
from bot.supervisor import ChildSpec, Supervisor


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "ACTIONS_PORT": str(port),
        "TRIALBOT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": "",
        "PYTHONUNBUFFERED": "1",
    }


def _actions(tmp_path: Path, port: int) -> ChildSpec:
    async def healthy() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
        except httpx.HTTPError:
            return False

    argv = [sys.executable, "-m", "bot", "actions"]
    return ChildSpec("actions", argv, healthy, env=_env(tmp_path, port), start_timeout=60)


def _servers_on(port: int) -> set[int]:
    return {holder.pid for holder in processes.listening_on(port)}


def _eventually(condition: Callable[[], object], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


async def test_a_killed_action_server_is_restarted_without_its_old_worker(tmp_path: Path) -> None:
    port = free_port()
    console = Console(file=(tmp_path / "log.txt").open("w"), width=200)
    supervisor = Supervisor([_actions(tmp_path, port)], console)
    ready = asyncio.Event()
    running = asyncio.create_task(supervisor.run(on_ready=ready.set))
    await asyncio.wait_for(ready.wait(), 90)
    parent = supervisor.children[0].process
    assert parent is not None
    before = _servers_on(port)
    assert before - {parent.pid}  # Sanic answers from a worker process, which shares the socket

    os.kill(parent.pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not _servers_on(port) or _servers_on(port) & before:  # new processes, none of the old
        assert time.monotonic() < deadline, "the action server was not restarted alone"
        await asyncio.sleep(0.2)
    assert supervisor.children[0].restarts == 1
    assert not processes.group_members(parent.pid)

    supervisor.stopping.set()
    assert await asyncio.wait_for(running, 30) == 0
    assert not _servers_on(port)
    assert "actions exited with code -9; restarting" in (tmp_path / "log.txt").read_text()


SUPERVISE = """
import asyncio, sys
from tests.operations.test_process_hygiene import _actions
from bot.supervisor import Supervisor
from pathlib import Path
asyncio.run(Supervisor([_actions(Path(sys.argv[1]), int(sys.argv[2]))]).run())
"""


def test_a_killed_supervisor_leaves_no_action_server_behind(tmp_path: Path) -> None:
    port = free_port()
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE, str(tmp_path), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _eventually(lambda: len(_servers_on(port)) == 2, 90, "the action server to listen")
        group = processes.listening_on(port)[0].group
        supervisor.kill()  # SIGKILL: no chance to stop anything itself
        supervisor.wait()
        _eventually(lambda: not processes.group_members(group), 10, "the action server to die")
        assert not _servers_on(port)
    finally:
        supervisor.kill()
        supervisor.wait()
