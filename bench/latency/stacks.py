"""The stacks `bench/latency` measures: this checkout's, and another revision's beside it.

A revision's stack runs from a git worktree of this repository, with this checkout's virtual
environments, trained models and embedding cache (symlinked: the same packages, model and
vectors, so that only the code differs), on its own free ports and throw-away folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.localstack import free_port, local_stack
from bot.processes import stop

ROOT = Path(__file__).resolve().parents[2]
# Every stage of each message in a Server-Timing header: the table of where the time goes.
STACK_ENV = {"SERVER_TIMING": "true"}
SHARED = (".venv", ".venv-rasa", "models")
# Started in the worktree: the revision's own local_stack, its URLs on stdout, until stdin closes.
_SERVE = """
import json, sys, tempfile, time
from pathlib import Path
from bot.localstack import local_stack
started = time.perf_counter()
with tempfile.TemporaryDirectory(prefix="trialbot-bench-before-") as var:
    with local_stack(Path(var), env={"SERVER_TIMING": "true"}) as stack:
        print(json.dumps({"gateway": stack.gateway_url, "rasa": stack.rasa_url,
                          "pid": stack.process.pid,
                          "healthy_after_s": time.perf_counter() - started}), flush=True)
        sys.stdin.read()
"""


@dataclass(frozen=True)
class Stack:
    name: str  # "" for this checkout, else the revision
    gateway: str
    rasa: str
    pid: int  # `trialbot run`'s, leader of the stack's process group
    healthy_after_s: float


@contextmanager
def this_checkout() -> Iterator[Stack]:
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="trialbot-bench-") as var_dir,
        local_stack(Path(var_dir), env=STACK_ENV) as stack,
    ):
        yield Stack(
            "", stack.gateway_url, stack.rasa_url, stack.process.pid,
            time.perf_counter() - started,
        )  # fmt: skip


@contextmanager
def revision(rev: str) -> Iterator[Stack]:
    """The stack of revision `rev` of this repository (a commit, a branch, HEAD~3…)."""
    with tempfile.TemporaryDirectory(prefix="trialbot-bench-rev-") as folder:
        tree = Path(folder) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), rev],
            check=True,
        )
        try:
            for name in SHARED:
                (tree / name).symlink_to(ROOT / name)
            (tree / "var").mkdir()
            (tree / "var" / "cache").symlink_to(ROOT / "var" / "cache")
            with _serve(tree) as found:
                yield Stack(rev, found["gateway"], found["rasa"], found["pid"],
                            found["healthy_after_s"])  # fmt: skip
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
            )


@contextmanager
def _serve(tree: Path) -> Iterator[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the revision's code, not this checkout's
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE], cwd=tree, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the stack of {tree} did not start (exit {process.wait()})")
        yield json.loads(line)
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def forwarder(rasa_url: str) -> Iterator[str]:
    """The URL of a bare forwarder to `rasa_url` (`bench/latency/forwarder.py`): the floor."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.latency.forwarder", "--rasa", rasa_url, "--port", str(port)],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the forwarder did not start")
            time.sleep(0.2)
        yield url
    finally:
        stop(process, timeout=10)


def memory_mb(pid: int) -> float:
    """The proportional set size of the stack's processes (`trialbot run` and every process
    under it), in MB: pages the processes share are counted once across them."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in (Path("/proc") / str(current) / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024
