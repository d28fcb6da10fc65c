"""The fleet on this machine: HAProxy in front of gateways, Rasa servers and action servers, with
one reminder dispatcher, all on one PostgreSQL database and one Redis, each process a role
command (`trialbot serve | rasa | actions | dispatcher`) configured by settings alone.

The order a site follows: `trialbot db upgrade` once (the migration step), the model trained
once (`trialbot train`, skipped when the project's model is there), then every process. The
secrets are settings given to every process alike, as a site gives them: none is made by a
process for itself. HAProxy's configuration is written into the run's folder: one frontend per
role, each backend checked every half second and left after two failed checks, a request whose
connection is refused sent to another server (`option redispatch`, `retries`).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from bot import processes, rasa_server
from bot.localstack import free_port
from bot.settings import PROJECT_ROOT, Settings

HAPROXY = Path(os.environ.get("HAPROXY", "/usr/sbin/haproxy"))
START_TIMEOUT = 300.0  # seconds: two Rasa servers load their model side by side on 2 cores
ROLES = ("gateway", "rasa", "actions")
# Each role's health check (HAProxy's, and the wait for a start): a gateway answering at all
# (its /healthz says 503 while Rasa is away, which is no reason to leave it), Rasa's root, the
# action server's /health.
CHECKS = {
    "gateway": ("/healthz", "^(200|503)$"), "rasa": ("/", "^200$"), "actions": ("/health", "^200$"),
}  # fmt: skip
COMMANDS = {"gateway": "serve", "rasa": "rasa", "actions": "actions", "dispatcher": "dispatcher"}


@dataclass
class Server:
    role: str
    index: int
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def name(self) -> str:
        return f"{self.role}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Fleet:
    folder: Path
    database_url: str
    redis_url: str
    replicas: int = 2
    env: dict[str, str] = field(default_factory=dict)
    servers: list[Server] = field(default_factory=list)
    fronts: dict[str, int] = field(default_factory=dict)
    haproxy: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The gateways' frontend: where people's web chats go."""
        return f"http://127.0.0.1:{self.fronts['gateway']}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.fronts['rasa']}"

    def settings(self) -> Settings:
        """The settings every process of the fleet reads (for the bench's own checks)."""
        return Settings(**{k: v for k, v in self.env.items() if k.isupper()})  # type: ignore[arg-type]

    def of(self, role: str) -> list[Server]:
        return [server for server in self.servers if server.role == role]

    def prepare(self, environment: dict[str, str] | None = None) -> None:
        """Ports, the shared settings, the schema (the one-shot migration step) and the model."""
        self.fronts = {role: free_port() for role in ROLES}
        shared = {
            "TRIALBOT_VAR_DIR": str(self.folder / "var"),
            "DATABASE_URL": self.database_url,
            "TRACKER_STORE_URL": "",
            "REDIS_URL": self.redis_url,
            "RASA_URL": f"http://127.0.0.1:{self.fronts['rasa']}",
            "ACTIONS_URL": f"http://127.0.0.1:{self.fronts['actions']}",
            # The secrets a site sets once and gives every process.
            "PSEUDONYM_KEY": secrets.token_urlsafe(32),
            "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "STAFF_API_TOKEN": secrets.token_urlsafe(32),
            "RASA_AUTH_TOKEN": secrets.token_urlsafe(32),
            "ACTION_SERVER_TOKEN": secrets.token_urlsafe(32),
            "REMINDERS_IN_GATEWAY": "false",  # the dispatcher sends them
            "REMINDER_INTERVAL_SECONDS": "1",
            # A Rasa server killed mid-message holds that conversation in Redis this long:
            # below RASA_TIMEOUT_SECONDS (15), so the other server takes it within the wait.
            "TICKET_LOCK_LIFETIME": "10",
            # The abuse limits on, counted in Redis as on a site (a Redis restart meets the
            # gateways' own Redis clients), each address's far above the bench's: every
            # conversation comes from 127.0.0.1.
            "RATE_LIMIT_ENABLED": "true",
            "RATE_LIMIT_CHAT_PER_ADDRESS": "1000000",
            "RATE_LIMIT_UPDATES_PER_ADDRESS": "1000000",
            "RATE_LIMIT_PAGES_PER_ADDRESS": "1000000",
            "RATE_LIMIT_NEW_CONVERSATIONS_PER_ADDRESS": "1000000",
            "TRIALBOT_CACHE_DIR": str(PROJECT_ROOT / "var" / "cache"),
            "TELEGRAM_BOT_TOKEN": "",
            "MESSENGER_PAGE_TOKEN": "",
            "WHATSAPP_ACCESS_TOKEN": "",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            **(environment or {}),
        }
        self.env = {**os.environ, **shared}
        self._trialbot("db", "upgrade")
        if not rasa_server.model_path(self.settings()).exists():
            self._trialbot("train")
        logs = self.folder / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for role in ROLES:
            for index in range(self.replicas):
                self.servers.append(Server(role, index, free_port(), logs / f"{role}-{index}.log"))
        self.servers.append(Server("dispatcher", 0, 0, logs / "dispatcher-0.log"))

    def _trialbot(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=self.env,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"trialbot {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def start(self, server: Server) -> None:
        ports = {"gateway": "GATEWAY_PORT", "rasa": "RASA_PORT", "actions": "ACTIONS_PORT"}
        env = dict(self.env)
        if server.role in ports:
            env[ports[server.role]] = str(server.port)
        with server.log.open("ab") as output:
            server.process = subprocess.Popen(
                processes.dying_with_this_process(
                    [sys.executable, "-m", "bot", COMMANDS[server.role]]
                ),
                cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,  # its group: a SIGKILL takes what it started too
            )  # fmt: skip
        server.starts += 1

    def kill(self, server: Server) -> None:
        """SIGKILL, as a crash or the kernel's OOM killer would: no goodbye to anyone."""
        if server.process is not None and server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()

    def up(self, server: Server) -> bool:
        if server.role == "dispatcher":
            return server.process is not None and server.process.poll() is None
        path, _ = CHECKS[server.role]
        try:
            answer = httpx.get(f"{server.url}{path}", timeout=2)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200 or (server.role == "gateway" and answer.status_code == 503)

    def wait_up(self, servers: list[Server], timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(servers)
        while waiting:
            for server in list(waiting):
                if server.process is not None and server.process.poll() is not None:
                    # Two Rasa servers creating the tracker tables at once: one may lose the
                    # race at its very start. Started again, it finds them made.
                    self.start(server)
                elif self.up(server):
                    waiting.remove(server)
            if time.monotonic() > deadline:
                names = ", ".join(f"{s.name} (see {s.log})" for s in waiting)
                raise RuntimeError(f"not up after {timeout:.0f} s: {names}")
            time.sleep(0.5)

    def start_all(self) -> None:
        """Every process in parallel (the Rasa servers load their model side by side), then
        HAProxy; returns once every one answers through it."""
        self._start_haproxy()
        for role in ("actions", "rasa", "gateway", "dispatcher"):
            for server in self.of(role):
                self.start(server)
        self.wait_up(self.servers)
        deadline = time.monotonic() + 30
        while not self._through_haproxy():
            if time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy does not reach the servers; see {self.folder}")
            time.sleep(0.5)

    def _through_haproxy(self) -> bool:
        try:
            gateway = httpx.get(f"{self.url}/healthz", timeout=3)
            return gateway.status_code == 200
        except httpx.HTTPError:
            return False

    def _start_haproxy(self) -> None:
        config = self.folder / "haproxy.cfg"
        config.write_text(haproxy_config(self.fronts, self.servers))
        log = self.folder / "logs" / "haproxy.log"
        with log.open("ab") as output:
            self.haproxy = subprocess.Popen(
                processes.dying_with_this_process([str(HAPROXY), "-db", "-f", str(config)]),
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def stop(self) -> None:
        everyone = [s.process for s in self.servers if s.process is not None]
        everyone += [self.haproxy] if self.haproxy is not None else []
        for process in everyone:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in everyone:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def tails(self, chars: int = 2000) -> str:
        """The end of every process's log: what a failed run shows."""
        logs = [s.log for s in self.servers] + [self.folder / "logs" / "haproxy.log"]
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}"
            for log in logs
            if log.exists()
        )


def haproxy_config(fronts: dict[str, int], servers: list[Server]) -> str:
    """One frontend and backend per role; checks every 500 ms, down after 2 failures, up after
    1 success; a refused connection tried again on another server."""
    lines = [
        "global",
        "  maxconn 4096",
        "defaults",
        "  mode http",
        "  timeout connect 1s",
        "  timeout client 120s",
        "  timeout server 120s",
        "  timeout check 2s",
        "  retries 3",
        "  option redispatch 1",
        # Never a request a server may have begun (a message it may have handled): those
        # are the relay's to retry, after asking Rasa whether it has the turn.
        "  retry-on conn-failure",
        "  default-server inter 500ms fall 2 rise 1",
    ]
    for role in ROLES:
        path, expect = CHECKS[role]
        lines += [
            f"frontend {role}_front",
            f"  bind 127.0.0.1:{fronts[role]}",
            f"  default_backend {role}_servers",
            f"backend {role}_servers",
            "  balance roundrobin",
            f"  option httpchk GET {path}",
            f"  http-check expect rstatus {expect}",
            *(f"  server {s.name} 127.0.0.1:{s.port} check" for s in servers if s.role == role),
        ]
    return "\n".join(lines) + "\n"


@contextmanager
def running(
    folder: Path, database_url: str, redis_url: str, replicas: int = 2,
    environment: dict[str, str] | None = None,
) -> Iterator[Fleet]:  # fmt: skip
    """The fleet started and healthy on entry, stopped on exit."""
    fleet = Fleet(folder, database_url, redis_url, replicas)
    try:
        fleet.prepare(environment)
        fleet.start_all()
        yield fleet
    finally:
        fleet.stop()
