"""A failed send waits before the next try: doubling, capped, and never less than asked."""

from __future__ import annotations

import datetime as dt

from bot.outbox import retry_wait

FIRST, LONGEST = dt.timedelta(seconds=15), dt.timedelta(minutes=5)


def test_the_wait_doubles_up_to_the_longest() -> None:
    waits = [retry_wait(n, first=FIRST, longest=LONGEST).total_seconds() for n in range(1, 7)]
    assert waits == [15, 30, 60, 120, 240, 300]


def test_the_platforms_retry_after_is_the_least_wait() -> None:
    assert retry_wait(1, first=FIRST, longest=LONGEST, retry_after=90) == dt.timedelta(seconds=90)
    assert retry_wait(4, first=FIRST, longest=LONGEST, retry_after=5) == dt.timedelta(minutes=2)
