"""Engines and sessions: SQLite by default (WAL, foreign keys on), PostgreSQL in production."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import timing


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; creates the folder of an SQLite file."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_database(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    timing.time_database(engine)  # nothing outside a timed request
    return engine


# SQLite gives its -wal, -shm and -journal files the mode of the database file.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_database(path: Path) -> None:
    """Create `path` empty if missing (SQLite accepts an empty file), and make it and its
    companion files readable by the owner only, whatever the umask: whichever command opens
    the database first, no other account on the machine reads it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def unreachable(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached or written (a server restarting,
    a full disk), a state that passes, rather than a fault in what was asked of it."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def driver_reason(error: BaseException) -> str:
    """The driver's own first line about `error`: it names the server or the file, never the
    statement's values (which may be what a person wrote)."""
    lines = str(getattr(error, "orig", None) or type(error).__name__).splitlines()
    return (lines[0] if lines else type(error).__name__)[:200]


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@lru_cache
def default_sessions() -> sessionmaker[Session]:
    """Sessions on the configured database, created on first use (never at import)."""
    from bot.settings import get_settings

    return make_session_factory(create_db_engine(get_settings().db_url))


@contextmanager
def scratch_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `admin_url`, dropped afterwards (even
    with connections left open): for tests and benchmarks. Yields its URL."""
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
