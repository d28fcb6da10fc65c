"""One outbox: rows that something must be sent for, each sent by one sender at a time.

Reminders, staff alerts and the study team's answers are written to the database with what they
tell of (a crash loses none) and sent by any gateway or dispatcher. Each kind is a table with a
claim: a sender writes its token and a lease on the rows it takes, sends them one by one, and
records each as sent or failed only while it still holds it (the token matches). What the first
half of the lease did not reach is handed back, so that no other sender takes over a row this one
is still about to send: a send starts only while at least half the lease is left, and every send
is bounded well within that half (SMTP and HTTP timeouts). A sender that dies after sending and
before recording leaves its rows to another once the lease runs out: at most one duplicate,
never a loss.

On PostgreSQL the selection skips rows another sender is claiming (`FOR UPDATE SKIP LOCKED`); on
both engines the claim's update re-checks the lease, so that a row is held by one sender only.
A failure waits before the next try, doubling from a first wait up to a longest one, and never
less than the platform asked (its Retry-After).

What each kind adds is small: which rows are ready, in which order, what to send and to whom,
and whether it is still allowed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outbox:
    """The claim on one table: `model` has `id`, `claim_token`, `claimed_until`, `attempts`.

    By default a claim counts a try on each row it takes (`attempts`), so that a sender dying
    mid-send still counts, and `hand_back` takes that count back for rows it did not try. A kind
    that counts a try only when it fails, and itself (the relay's waiting messages), sets
    `count_at_claim=False`: then neither the claim nor `hand_back` touches `attempts`.
    """

    model: Any  # a mapped class with the columns above
    lease: dt.timedelta
    order: InstrumentedAttribute[Any] | ColumnElement[Any]  # oldest first
    count_at_claim: bool = True

    def free(self, now: dt.datetime) -> ColumnElement[bool]:
        """Rows nobody holds at `now`."""
        return or_(self.model.claimed_until.is_(None), self.model.claimed_until < now)

    def due(
        self, ready: ColumnElement[bool], now: dt.datetime, *, limit: int | None
    ) -> Select[Any]:
        """The ids of rows `ready` that nobody holds, oldest first: what a claim selects."""
        query = select(self.model.id).where(ready, self.free(now)).order_by(self.order)
        return query.limit(limit)

    def claim(
        self,
        session: Session,
        ready: ColumnElement[bool],
        now: dt.datetime,
        *,
        limit: int | None,
        token: str | None = None,
    ) -> tuple[str, list[int]]:
        """Claim up to `limit` (None: all) rows that are `ready` and free, for the lease; the
        claim's token (`token`, or a new one) and the ids it got, in order."""
        model, token = self.model, token or uuid.uuid4().hex
        candidates = list(session.scalars(skip_locked(session, self.due(ready, now, limit=limit))))
        if not candidates:
            return token, []
        session.execute(
            update(model)
            .where(model.id.in_(candidates), self.free(now))
            .values(**self.taken(now, token))
            .execution_options(synchronize_session=False)
        )
        held = select(model.id).where(self.held(candidates, token)).order_by(self.order)
        return token, list(session.scalars(held))

    def taken(self, now: dt.datetime, token: str) -> dict[str, Any]:
        """The values a claim writes on each row it takes: its token, the lease, and one more
        try unless the kind counts its tries itself (`count_at_claim`); then plain values, which
        a new row may also be written with, claimed from the start."""
        values: dict[str, Any] = {"claim_token": token, "claimed_until": now + self.lease}
        if self.count_at_claim:
            values["attempts"] = self.model.attempts + 1
        return values

    def held(self, ids: Sequence[int], token: str) -> ColumnElement[bool]:
        """`ids` that this claim still holds."""
        return and_(self.model.id.in_(ids), self.model.claim_token == token)

    def hand_back(self, session: Session, ids: Sequence[int], token: str) -> None:
        """Give back rows claimed and not tried: free at once, their try not counted."""
        if not ids:
            return
        uncount = {"attempts": self.model.attempts - 1} if self.count_at_claim else {}
        session.execute(
            update(self.model)
            .where(self.held(ids, token))
            .values(**RELEASED, **uncount)
            .execution_options(synchronize_session=False)
        )

    def deadline(self) -> Deadline:
        """When to stop starting sends under a claim taken now: half its lease."""
        return Deadline(time.monotonic() + self.lease.total_seconds() / 2)


def skip_locked(session: Session, query: Select[Any]) -> Select[Any]:
    """`query` skipping rows another sender is claiming, where the database can (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


# The values that end a claim, whatever its outcome.
RELEASED: dict[str, Any] = {"claim_token": None, "claimed_until": None}


@dataclass(frozen=True)
class Deadline:
    at: float  # time.monotonic()

    def passed(self) -> bool:
        return time.monotonic() > self.at


def retry_wait(
    attempts: int,
    *,
    first: dt.timedelta,
    longest: dt.timedelta,
    retry_after: float | None = None,
) -> dt.timedelta:
    """How long to wait after `attempts` tries that failed: doubling from `first` up to
    `longest`, and never less than the platform's Retry-After (seconds)."""
    wait: dt.timedelta = min(first * 2 ** max(attempts - 1, 0), longest)
    if retry_after is not None and retry_after > 0:
        wait = max(wait, dt.timedelta(seconds=retry_after))
    return wait


async def run_forever(what: str, run_once: Callable[[], Awaitable[int]], interval: float) -> None:
    """Send rounds forever: the next at once while a round sent something (a backlog drains
    without waiting), else after `interval` seconds; a round that fails is logged, and the
    next one tries again (what it claimed comes back when its lease runs out)."""
    while True:
        try:
            sent = await run_once()
        except Exception:
            log.exception("%s round failed; trying again", what)
            sent = 0
        if sent:
            log.info("sent %d %s", sent, what)
        else:
            await asyncio.sleep(interval)
