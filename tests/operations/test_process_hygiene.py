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
import pytest
from rich.console import Console

from bot import processes
from bot import supervisor as supervisor_module
from bot.localstack import free_port
from bot.supervisor import ChildSpec, Supervisor


def _env(tmp_path: Path, port: int, workers: int) -> dict[str, str]:
    return {
        **os.environ,
        "ACTION_SERVER_SANIC_WORKERS": str(workers),
        "ACTIONS_PORT": str(port),
        "TRIALBOT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": "",
        "PYTHONUNBUFFERED": "1",
    }


def _actions(tmp_path: Path, port: int, workers: int = 1) -> ChildSpec:
    async def healthy() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
        except httpx.HTTPError:
            return False

    argv = [sys.executable, "-m", "bot", "actions"]
    env = _env(tmp_path, port, workers)
    return ChildSpec("actions", argv, healthy, env=env, start_timeout=60)


def _command(supervisor: Supervisor) -> int:
    """The action server's own process (the child of its guard)."""
    guard = supervisor.children[0].process
    assert guard is not None
    (command,) = [p.pid for p in processes.every_process() if p.ppid == guard.pid]
    return command


def _servers_on(port: int) -> set[int]:
    return {holder.pid for holder in processes.listening_on(port)}


def _eventually(condition: Callable[[], object], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


async def _supervising(
    tmp_path: Path, port: int, workers: int
) -> tuple[Supervisor, asyncio.Task[int]]:
    console = Console(file=(tmp_path / "log.txt").open("w"), width=200)
    supervisor = Supervisor([_actions(tmp_path, port, workers)], console)
    ready = asyncio.Event()
    running = asyncio.create_task(supervisor.run(on_ready=ready.set))
    await asyncio.wait_for(ready.wait(), 90)
    return supervisor, running


async def _replaced(supervisor: Supervisor, port: int, before: set[int], within: float) -> None:
    """Started again: new processes answer on the port, none of those before."""
    deadline = time.monotonic() + within
    while (
        not supervisor.children[0].restarts
        or not await supervisor.children[0].spec.healthy()
        or _servers_on(port) & before
    ):
        assert time.monotonic() < deadline, "the action server was not replaced whole"
        await asyncio.sleep(0.2)


async def test_a_killed_action_server_is_restarted_without_its_old_workers(
    tmp_path: Path,
) -> None:
    port = free_port()
    supervisor, running = await _supervising(tmp_path, port, workers=2)
    guard, manager = supervisor.children[0].group, _command(supervisor)
    before = _servers_on(port)
    assert manager in before and before - {manager}  # Sanic's workers share the socket

    os.kill(manager, signal.SIGKILL)
    await _replaced(supervisor, port, before, 60)
    assert supervisor.children[0].restarts == 1
    assert guard is not None and not processes.group_members(guard)

    supervisor.stopping.set()
    assert await asyncio.wait_for(running, 30) == 0
    assert not _servers_on(port)
    assert "actions exited with code -9; restarting" in (tmp_path / "log.txt").read_text()


async def test_an_action_server_whose_worker_died_is_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor_module, "LIVENESS_EVERY", 0.5)
    monkeypatch.setattr(supervisor_module, "UNRESPONSIVE_AFTER", 3.0)
    port = free_port()
    supervisor, running = await _supervising(tmp_path, port, workers=2)
    manager = _command(supervisor)
    before = _servers_on(port)

    for worker in before - {manager}:
        os.kill(worker, signal.SIGKILL)  # the manager lives on, holding the port
    await _replaced(supervisor, port, before, 60)

    supervisor.stopping.set()
    assert await asyncio.wait_for(running, 30) == 0
    assert "actions has not answered for 3 s; restarting" in (tmp_path / "log.txt").read_text()


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
        _eventually(lambda: _servers_on(port), 90, "the action server to listen")
        group = processes.listening_on(port)[0].group
        supervisor.kill()  # SIGKILL: no chance to stop anything itself
        supervisor.wait()
        _eventually(lambda: not processes.group_members(group), 10, "the action server to die")
        assert not _servers_on(port)
    finally:
        supervisor.kill()
        supervisor.wait()


async def test_a_call_made_while_the_action_server_restarts_waits_for_the_new_one(
    tmp_path: Path,
) -> None:
    """Rasa's action calls during a restart are served late rather than refused (Rasa would go
    on without the action: a consent or an answer lost)."""
    port = free_port()
    spec = _actions(tmp_path, port)
    spec.listen = ("127.0.0.1", port)  # as `trialbot run` starts it
    console = Console(file=(tmp_path / "log.txt").open("w"), width=200)
    supervisor = Supervisor([spec], console)
    ready = asyncio.Event()
    running = asyncio.create_task(supervisor.run(on_ready=ready.set))
    await asyncio.wait_for(ready.wait(), 90)

    os.kill(_command(supervisor), signal.SIGKILL)
    await asyncio.sleep(0.3)  # dead: the call below cannot reach the old process
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.get(f"http://127.0.0.1:{port}/health")
    assert response.status_code == 200
    assert supervisor.children[0].restarts == 1

    supervisor.stopping.set()
    assert await asyncio.wait_for(running, 30) == 0
    assert not _servers_on(port)
