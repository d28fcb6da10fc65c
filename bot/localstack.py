"""The whole stack on free loopback ports with a throw-away folder: for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot import processes
from bot.settings import PROJECT_ROOT

START_TIMEOUT = 900.0  # seconds: includes training when no model matches the files


@dataclass
class LocalStack:
    gateway_url: str
    rasa_url: str
    process: subprocess.Popen[bytes]
    var_dir: Path
    log: Path
    actions_port: int = 0
    database_url: str = ""  # empty: SQLite under var_dir


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def local_stack(
    var_dir: Path,
    timeout: float = START_TIMEOUT,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[LocalStack]:
    """`trialbot run` with SQLite under `var_dir` (unless `env` sets DATABASE_URL), healthy on
    entry, stopped (SIGTERM) on exit; its output in `log` (default: var_dir/stack.log)."""
    ports = {name: str(free_port()) for name in ("GATEWAY_PORT", "RASA_PORT", "ACTIONS_PORT")}
    env = {
        **os.environ,
        **ports,
        "TRIALBOT_VAR_DIR": str(var_dir),
        "DATABASE_URL": "",
        "TRACKER_STORE_URL": "",
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
        # Tests and benchmarks drive the stack from one address as fast as it answers; the
        # abuse limits' own tests turn them on.
        "RATE_LIMIT_ENABLED": "false",
        # The embeddings `make setup` computed: the same for every stack.
        "TRIALBOT_CACHE_DIR": str(PROJECT_ROOT / "var" / "cache"),
        **(env or {}),
    }
    log = log or var_dir / "stack.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            # Stopped with the test or benchmark even when it is killed and cannot stop it.
            processes.dying_with_this_process([sys.executable, "-m", "bot", "run"]),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = LocalStack(
        gateway_url=f"http://127.0.0.1:{ports['GATEWAY_PORT']}",
        rasa_url=f"http://127.0.0.1:{ports['RASA_PORT']}",
        process=process,
        var_dir=var_dir,
        log=log,
        actions_port=int(ports["ACTIONS_PORT"]),
        database_url=env["DATABASE_URL"],
    )
    try:
        _wait_healthy(stack, timeout)
        yield stack
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_healthy(stack: LocalStack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            tail = stack.log.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"`trialbot run` exited with {stack.process.returncode}:\n{tail}")
        try:
            response = httpx.get(f"{stack.gateway_url}/healthz", timeout=2)
            parts = response.json()
            # Every part, the messaging platforms included (they connect just after the gateway).
            if response.status_code == 200 and all(
                state == "up" for name, state in parts.items() if name != "status"
            ):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the stack was not healthy after {timeout:.0f} s; see {stack.log}")
