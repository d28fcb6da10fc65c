"""A failed send waits before the next try: doubling, capped, and never less than asked; a
claim counts a try, or leaves the count to the kind (the relay's waiting messages); the run
loop drains a backlog at once and outlives a failed round."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import conversations
from bot.db.models import InboundMessage
from bot.outbox import Outbox, retry_wait, run_forever

FIRST, LONGEST = dt.timedelta(seconds=15), dt.timedelta(minutes=5)


def test_the_wait_doubles_up_to_the_longest() -> None:
    waits = [retry_wait(n, first=FIRST, longest=LONGEST).total_seconds() for n in range(1, 7)]
    assert waits == [15, 30, 60, 120, 240, 300]


def test_the_platforms_retry_after_is_the_least_wait() -> None:
    assert retry_wait(1, first=FIRST, longest=LONGEST, retry_after=90) == dt.timedelta(seconds=90)
    assert retry_wait(4, first=FIRST, longest=LONGEST, retry_after=5) == dt.timedelta(minutes=2)


def test_a_claim_counts_a_try_unless_the_kind_counts_its_own() -> None:
    now, lease = dt.datetime(2030, 1, 1, tzinfo=dt.UTC), dt.timedelta(seconds=30)
    counted = Outbox(InboundMessage, lease, InboundMessage.id)
    assert set(counted.taken(now, "t")) == {"claim_token", "claimed_until", "attempts"}
    uncounted = Outbox(InboundMessage, lease, InboundMessage.id, count_at_claim=False)
    assert uncounted.taken(now, "t") == {"claim_token": "t", "claimed_until": now + lease}


def test_handing_back_leaves_attempts_alone_when_the_claim_counted_none(
    sessions: sessionmaker[Session],
) -> None:
    outbox = Outbox(InboundMessage, dt.timedelta(seconds=30), InboundMessage.id)
    uncounted = Outbox(InboundMessage, outbox.lease, InboundMessage.id, count_at_claim=False)
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        chat = conversations.get_or_create(
            session, channel="web", sender_key="k-outbox", default_language="en"
        )
        session.flush()
        session.add_all(InboundMessage(conversation_id=chat.id, attempts=2) for _ in range(2))
        session.flush()
        ready = InboundMessage.conversation_id == chat.id
        token, counted_ids = outbox.claim(session, ready, now, limit=1)
        outbox.hand_back(session, counted_ids, token)
        token, ids = uncounted.claim(session, ready, now, limit=None)
        assert len(ids) == 2
        attempts = session.scalars(select(InboundMessage.attempts).order_by(InboundMessage.id))
        assert list(attempts) == [2, 2]  # the counted claim's try was taken back on hand_back
        uncounted.hand_back(session, ids, token)
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        assert [(r.attempts, r.claim_token, r.claimed_until) for r in rows] == [(2, None, None)] * 2


async def test_the_run_loop_drains_a_backlog_at_once_and_survives_a_failed_round() -> None:
    rounds: list[float] = []
    results: list[int | Exception] = [RuntimeError("database away"), 5, 3, 0, 0]
    queue = iter(results)

    async def run_once() -> int:
        rounds.append(time.monotonic())
        result = next(queue, None)
        if isinstance(result, Exception):
            raise result
        if result is None:
            raise asyncio.CancelledError
        return result

    with pytest.raises(asyncio.CancelledError):
        await run_forever("things", run_once, interval=0.2)
    gaps = [later - earlier for earlier, later in itertools.pairwise(rounds)]
    assert len(rounds) == 6
    assert gaps[0] >= 0.2  # after the failed round: the interval
    assert gaps[1] < 0.1 and gaps[2] < 0.1  # while rounds send something: at once
    assert gaps[3] >= 0.2 and gaps[4] >= 0.2  # nothing to send: the interval
