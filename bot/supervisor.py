"""`trialbot run`: start the action server, Rasa and the gateway in order and keep them up.

Each child's output is shown line by line behind its name. A child that dies is restarted after
a back-off that doubles up to a minute (and resets once it has stayed up). Ctrl-C, SIGTERM or
SIGHUP stops every child, the last started first.

A child is watched as a process, not through its output: a process it started (a Sanic worker)
can outlive it and hold the output pipe open, and asyncio's `wait()` waits for the pipe too. Each
child leads a process group of its own, which is what gets stopped: SIGTERM to the whole group,
then SIGKILL to what is left after a grace period, so nothing it started survives it. Nothing
survives the supervisor either: the groups are killed on the way out, even after an error, and the
kernel kills each child when the supervisor itself is killed (see `bot.processes`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from bot import processes

HealthCheck = Callable[[], Awaitable[bool]]

STABLE_AFTER = 60.0  # seconds up after which a child's back-off starts again from the bottom
MAX_BACKOFF = 60.0
STOP_GRACE = 10.0
POLL = 0.1  # seconds between looks at a child's state
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
LIVENESS_EVERY = 5.0  # seconds between looks at whether a running child still answers
UNRESPONSIVE_AFTER = 30.0  # seconds without an answer after which a child is restarted

# The process groups of the children running, killed at exit if nothing stopped them before.
_running_groups: set[int] = set()


def _kill_running_groups() -> None:
    for group in list(_running_groups):
        processes.signal_group(group, signal.SIGKILL)
    _running_groups.clear()


atexit.register(_kill_running_groups)


@dataclass
class ChildSpec:
    name: str
    argv: list[str]
    healthy: HealthCheck
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str | None = None
    style: str = "cyan"
    start_timeout: float = 120.0
    # Whether it still answers at all, once up (default: `healthy`). A process can live on
    # without serving: a Sanic server whose worker died keeps its port and accepts no one.
    alive: HealthCheck | None = None
    # (host, port) of a listening socket opened here once and handed to every start of the
    # child (its descriptor in TRIALBOT_LISTEN_FD): the port stays open between two starts, so
    # a connection made meanwhile waits for the new process instead of being refused.
    listen: tuple[str, int] | None = None


class Child:
    def __init__(self, spec: ChildSpec, console: Console) -> None:
        self.spec = spec
        self.console = console
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._pump: asyncio.Future[None] | None = None
        self._spawning: asyncio.Future[asyncio.subprocess.Process] | None = None
        self.listener: socket.socket | None = None

    @property
    def group(self) -> int | None:
        """The child's process group: its own pid, since it starts a session of its own."""
        return self.process.pid if self.process else None

    async def start(self) -> None:
        env: dict[str, str] = self.spec.env
        kept: tuple[int, ...] = ()
        if self.spec.listen is not None:
            if self.listener is None:
                self.listener = socket.create_server(self.spec.listen, backlog=128)
                self.listener.set_inheritable(True)
            env = {**env, processes.LISTEN_FD_VARIABLE: str(self.listener.fileno())}
            kept = (self.listener.fileno(),)
        spawn = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *processes.guarded(self.spec.argv),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                env=env,
                cwd=self.spec.cwd,
                start_new_session=True,  # a group of its own; Ctrl-C is ours to pass on, in order
                pass_fds=kept,
            )
        )
        # The process runs before the call returns: it is recorded even if the caller is
        # cancelled meanwhile (a stop during a restart), so that it is stopped too.
        spawn.add_done_callback(self._spawned)
        self._spawning = spawn
        await asyncio.shield(spawn)

    def _spawned(self, spawn: asyncio.Future[asyncio.subprocess.Process]) -> None:
        if spawn.cancelled() or spawn.exception() is not None:
            return
        self.process = spawn.result()
        _running_groups.add(self.process.pid)
        self._pump = asyncio.ensure_future(self._print_output(self.process))

    async def _print_output(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        width = 8
        while True:
            try:
                raw = await process.stdout.readline()
            except ValueError:
                # A line past the stream's limit (64 KiB) is dropped whole: going on reading
                # matters more, or the child would block once its pipe is full.
                raw = b"[a line too long to show was left out]"
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                prefix = Text(f"{self.spec.name:<{width}}│ ", style=self.spec.style)
                self.console.print(prefix + Text(line), soft_wrap=True, highlight=False)

    async def exited(self) -> int:
        """The child's exit code once its process has ended, whoever still holds its pipe."""
        assert self.process is not None
        # asyncio sets the code as soon as it reaps the process, but its only event for it waits
        # for the pipes as well.
        while self.process.returncode is None:  # noqa: ASYNC110
            await asyncio.sleep(POLL)
        return self.process.returncode

    async def wait_healthy(self, stopping: asyncio.Event) -> bool:
        """True once healthy; False if the process exited, we are stopping, or it took too long."""
        deadline = time.monotonic() + self.spec.start_timeout
        while time.monotonic() < deadline and not stopping.is_set():
            if self.process is None or self.process.returncode is not None:
                return False
            if await self.spec.healthy():
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=0.5)
        return False

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop the child's whole process group: SIGTERM, then SIGKILL after `grace` seconds."""
        if self._spawning is not None and not self._spawning.done():
            await asyncio.wait({self._spawning}, timeout=grace)
        group = self.group
        if group is None:
            return
        if processes.group_members(group):
            processes.signal_group(group, signal.SIGTERM)
            if not await self._group_gone(group, grace):
                processes.signal_group(group, signal.SIGKILL)
                await self._group_gone(group, grace)
        _running_groups.discard(group)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.exited(), grace)
        processes.reap_group(group)
        if self._pump:
            # The pipe closes with the last process holding it; one that left the group (a
            # session of its own) could hold it for ever, and its output no longer matters.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._pump), 2.0)
            self._pump.cancel()

    @staticmethod
    async def _group_gone(group: int, within: float) -> bool:
        deadline = time.monotonic() + within
        while processes.group_members(group):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(POLL)
        return True


class Supervisor:
    def __init__(self, specs: Sequence[ChildSpec], console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.children = [Child(spec, self.console) for spec in specs]
        self.stopping = asyncio.Event()

    def say(self, message: str) -> None:
        self.console.print(f"[bold]trialbot[/] │ {message}", highlight=False)

    async def run(self, on_ready: Callable[[], None] | None = None) -> int:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self.stopping.set)
        processes.adopt_orphans()
        watchers: list[asyncio.Task[None]] = []
        try:
            for child in self.children:
                if not await self._start_until_healthy(child):
                    return 0 if self.stopping.is_set() else 1
                watchers.append(asyncio.create_task(self._keep_alive(child)))
            if on_ready:
                on_ready()
            await self.stopping.wait()
            return 0
        finally:
            self.say("stopping…")
            for watcher in watchers:
                watcher.cancel()
            try:
                for child in reversed(self.children):
                    await child.stop()
            finally:  # interrupted while stopping: nothing is left running all the same
                _kill_running_groups()
                for child in self.children:
                    if child.listener is not None:
                        child.listener.close()
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)
            self.say("stopped")

    async def _start_until_healthy(self, child: Child) -> bool:
        self.say(f"starting {child.spec.name}…")
        await child.start()
        if await child.wait_healthy(self.stopping):
            self.say(f"{child.spec.name} is up")
            return True
        if not self.stopping.is_set():
            code = child.process.returncode if child.process else None
            reason = f"exited with code {code}" if code is not None else "did not become healthy"
            self.say(f"[red]{child.spec.name} {reason}; see its output above[/]")
            await child.stop()
        return False

    async def _keep_alive(self, child: Child) -> None:
        backoff = 1.0
        while not self.stopping.is_set():
            assert child.process is not None
            started = time.monotonic()
            why = await self._until_down(child)
            if self.stopping.is_set():
                return
            if time.monotonic() - started > STABLE_AFTER:
                backoff = 1.0
            name = child.spec.name
            self.say(f"[yellow]{name} {why}; restarting in {backoff:.0f} s[/]")
            # What it started may live on, still answering on its port: gone too, before a new
            # one binds the port.
            await child.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=backoff)
            if self.stopping.is_set():
                return
            backoff = min(backoff * 2, MAX_BACKOFF)
            child.restarts += 1
            await child.start()
            if await child.wait_healthy(self.stopping):
                self.say(f"{child.spec.name} is up again")

    async def _until_down(self, child: Child) -> str:
        """Why the child must be started again: it exited, or stopped answering for a while."""
        exited = asyncio.create_task(child.exited())
        alive = child.spec.alive or child.spec.healthy
        silent_since: float | None = None
        try:
            while True:
                await asyncio.wait({exited}, timeout=LIVENESS_EVERY)
                if exited.done():
                    return f"exited with code {exited.result()}"
                if self.stopping.is_set():
                    return "is stopping"
                if await alive():
                    silent_since = None
                elif silent_since is None:
                    silent_since = time.monotonic()
                elif time.monotonic() - silent_since >= UNRESPONSIVE_AFTER:
                    return f"has not answered for {UNRESPONSIVE_AFTER:.0f} s"
        finally:
            exited.cancel()
