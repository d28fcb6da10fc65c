"""The real stack, once per test session: `trialbot run` with Rasa, the action server and the
gateway on free ports, SQLite under a temporary folder, and the model trained once per change."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.settings import PROJECT_ROOT

START_TIMEOUT = 900  # seconds: includes training when no model matches the files


@dataclass
class Stack:
    url: str
    process: subprocess.Popen[bytes]
    var_dir: Path
    log: Path

    def chat(self, sender: str, text: str, **extra: Any) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.url}/api/chat", json={"sender": sender, "text": text, **extra}, timeout=60
        )
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def updates(self, sender: str, after: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"sender": sender}
        if after is not None:
            params["after"] = after
        response = httpx.get(f"{self.url}/api/chat/updates", params=params, timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.url}/healthz", timeout=10)

    def child_pid(self, marker: str) -> int:
        """The pid of the supervised child whose command line contains `marker`."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.process.pid and marker in cmdline:
                return int(stat.parent.name)
        raise LookupError(f"no child of the stack runs {marker!r}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir = tmp_path_factory.mktemp("stack")
    ports = {name: str(_free_port()) for name in ("GATEWAY_PORT", "RASA_PORT", "ACTIONS_PORT")}
    env = {
        **os.environ,
        **ports,
        "TRIALBOT_VAR_DIR": str(var_dir),
        "DATABASE_URL": "",
        "TRACKER_STORE_URL": "",
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
    }
    log = var_dir / "stack.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(f"http://127.0.0.1:{ports['GATEWAY_PORT']}", process, var_dir, log)
    try:
        wait_until(
            lambda: process.poll() is not None or stack.health().status_code == 200,
            START_TIMEOUT,
            "the stack to become healthy",
        )
        if process.poll() is not None:
            pytest.fail(f"`trialbot run` exited with {process.returncode}:\n{log.read_text()}")
        yield stack
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
