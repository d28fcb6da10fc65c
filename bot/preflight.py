"""What `trialbot run` checks before it starts anything: each problem in one line that names the
setting to correct and how, instead of a traceback from the process that trips on it.

A port already in use is reported with the process that holds it: often one left behind by an
earlier run, which must not be mistaken for the stack's own server.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from bot import processes
from bot.settings import Settings

COMMAND_SHOWN = 120  # characters of a stranger's command line


class StartProblem(Exception):
    """A reason not to start, in one line for the operator."""


def check(settings: Settings) -> None:
    """Raise StartProblem for the first thing that would stop the stack from starting."""
    problem = next(_problems(settings), None)
    if problem is not None:
        raise StartProblem(problem)


def _problems(settings: Settings) -> Iterator[str]:
    yield from _folders(settings)
    yield from _database_urls(settings)
    yield from _redis_url(settings)
    yield from _rasa(settings)
    yield from _ports(settings)


def _folders(settings: Settings) -> Iterator[str]:
    var = settings.var_dir
    if var.exists() and not var.is_dir():
        yield f"TRIALBOT_VAR_DIR: {var} is a file, not a folder: set TRIALBOT_VAR_DIR to a folder"
    elif not _can_create(var):
        yield (
            f"TRIALBOT_VAR_DIR: {var} cannot be created or written by this user: set "
            "TRIALBOT_VAR_DIR to a folder it can write, or give it access"
        )
    knowledge = settings.knowledge_dir
    if not knowledge.is_dir():
        yield (
            f"TRIALBOT_KNOWLEDGE_DIR: no folder {knowledge}: set it to the knowledge folder "
            "(the project's knowledge/ when unset)"
        )


def _can_create(folder: Path) -> bool:
    """The folder is writable, or the nearest existing folder above it is."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    return False


def _database_urls(settings: Settings) -> Iterator[str]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from bot.db.session import normalise_url

    for name, url in (
        ("DATABASE_URL", settings.database_url),
        ("TRACKER_STORE_URL", settings.tracker_store_url),
    ):
        if not url:
            continue
        try:
            parsed = make_url(normalise_url(url))
            parsed.get_dialect()
        except (ArgumentError, NoSuchModuleError, ValueError):
            yield (
                f"{name}: not a database URL this assistant can use: write it as "
                "postgresql://USER:PASSWORD@HOST:PORT/DATABASE, or leave it empty for SQLite"
            )
            continue
        if parsed.get_backend_name() not in ("postgresql", "sqlite"):
            yield f"{name}: {parsed.get_backend_name()} is not supported: use PostgreSQL or SQLite"


def _redis_url(settings: Settings) -> Iterator[str]:
    if settings.redis_url and urlsplit(settings.redis_url).scheme not in ("redis", "rediss"):
        yield "REDIS_URL: not a Redis URL: write it as redis://HOST:6379/0, or leave it empty"


def _rasa(settings: Settings) -> Iterator[str]:
    if not (settings.rasa_venv / "bin" / "rasa").exists():
        yield (
            f"RASA_VENV: no Rasa in {settings.rasa_venv}: run `make setup`, or set RASA_VENV "
            "to the environment Rasa is installed in"
        )


def _ports(settings: Settings) -> Iterator[str]:
    wanted = {
        "GATEWAY_PORT": (settings.gateway_host, settings.gateway_port),
        "RASA_PORT": ("127.0.0.1", settings.rasa_port),
        "ACTIONS_PORT": ("127.0.0.1", settings.actions_port),
    }
    seen: dict[int, str] = {}
    for name, (host, port) in wanted.items():
        if port in seen:
            yield f"{name} and {seen[port]} are both {port}: give each its own port"
        seen[port] = name
        yield from _port_free(name, host, port)


def _port_free(name: str, host: str, port: int) -> Iterator[str]:
    holders = processes.listening_on(port)
    if holders:
        first = holders[0]
        command = first.command
        if len(command) > COMMAND_SHOWN:
            command = command[: COMMAND_SHOWN - 1] + "…"
        others = f" and {len(holders) - 1} other process(es)" if len(holders) > 1 else ""
        yield (
            f"{name}: port {port} is already in use by pid {first.pid}{others} ({command}): "
            f"stop that process (kill {first.pid}), or set {name} to a free port"
        )
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            probe.bind((host, port))
        except socket.gaierror:
            yield f"GATEWAY_HOST: {host} is not a known address: set it to 127.0.0.1 or 0.0.0.0"
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                yield (
                    f"{name}: port {port} is already in use, by a process of another user "
                    f"(`sudo ss -ltnp 'sport = :{port}'` shows it): stop it, or set {name} "
                    "to a free port"
                )
            elif error.errno == errno.EADDRNOTAVAIL and name == "GATEWAY_PORT":
                yield (
                    f"GATEWAY_HOST: {host} is not an address of this machine: set it to "
                    "127.0.0.1, 0.0.0.0 or one of the machine's addresses"
                )
            elif error.errno == errno.EACCES:
                yield f"{name}: port {port} needs privileges this user lacks: use one above 1023"
            else:
                yield f"{name}: port {port} cannot be used ({error.strerror}): set {name}"
