"""Where a message's time goes: stages timed inside one request, sent as `Server-Timing`.

A request that is being timed (`timed_request`) collects the milliseconds each stage took: the
database (every statement and commit of the request, through SQLAlchemy's events on the
engine), the safety check, Rasa, the knowledge base's retrieval… Any code on the request's path
adds to it with `stage("name")`, including code run in a worker thread (asyncio.to_thread
copies the context, and the collection is shared). Outside a timed request nothing is
collected, so the measurement costs nothing there.

The gateway sends the collection in a `Server-Timing` header (the W3C format browsers and
`bench/latency` read) when SERVER_TIMING is on; the action server always does, to Rasa only,
which adds it to its own (rasa_addons/timing.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

HEADER = "Server-Timing"
_STAGES: ContextVar[dict[str, float] | None] = ContextVar("timing_stages", default=None)
_STARTED: ContextVar[float | None] = ContextVar("timing_statement_started", default=None)
_ENTRY = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*;\s*dur=([0-9.]+)\s*$")


@contextmanager
def timed_request() -> Iterator[dict[str, float]]:
    """Collect the stages of what runs inside; the collection (ms per stage) is yielded."""
    stages: dict[str, float] = {}
    token = _STAGES.set(stages)
    try:
        yield stages
    finally:
        _STAGES.reset(token)


def begin() -> Token[dict[str, float] | None]:
    """Start timing a request whose start and end are apart (a server's middleware)."""
    return _STAGES.set({})


def finish(token: Token[dict[str, float] | None]) -> dict[str, float]:
    """Stop timing the request `begin` started; its stages."""
    stages = _STAGES.get() or {}
    _STAGES.reset(token)
    return stages


def add(name: str, milliseconds: float) -> None:
    """Add to a stage of the request being timed, if one is."""
    stages = _STAGES.get()
    if stages is not None:
        stages[name] = stages.get(name, 0.0) + milliseconds


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the block as (part of) stage `name`."""
    if _STAGES.get() is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        add(name, (time.perf_counter() - started) * 1000)


def header(stages: dict[str, float]) -> str:
    """`name;dur=ms, …`, the header's value."""
    return ", ".join(f"{name};dur={ms:.1f}" for name, ms in stages.items())


def parse(value: str) -> dict[str, float]:
    """A `Server-Timing` value back into ms per stage (entries without a duration skipped)."""
    found: dict[str, float] = {}
    for entry in value.split(","):
        match = _ENTRY.match(entry)
        if match:
            found[match.group(1)] = found.get(match.group(1), 0.0) + float(match.group(2))
    return found


def reported(value: str, prefix: str) -> None:
    """Add the stages of another server's `Server-Timing` value, under `prefix`."""
    for name, ms in parse(value).items():
        add(prefix + name, ms)


def time_database(engine: Engine) -> None:
    """Count the engine's statements and commits in stage "db" of the request being timed."""

    def before(*_: Any) -> None:
        if _STAGES.get() is not None:
            _STARTED.set(time.perf_counter())

    def after(*_: Any) -> None:
        started = _STARTED.get()
        if started is not None:
            add("db", (time.perf_counter() - started) * 1000)
            _STARTED.set(None)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    # A commit's own time (SQLite's write to its log): from the connection's commit to the
    # session's after_commit.
    event.listen(engine, "commit", before)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)


def _after_commit(_session: Session) -> None:
    started = _STARTED.get()
    if started is not None:
        add("db", (time.perf_counter() - started) * 1000)
        _STARTED.set(None)
